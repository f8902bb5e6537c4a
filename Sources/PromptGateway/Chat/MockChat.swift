import EndpointModel

/// The mock provider's chat answers, so the OpenAI-compatible API can be tried with `--mock`:
/// a forced tool is called with arguments made from its parameters' schema, a JSON answer is made
/// from the caller's schema, and anything else is a fixed sentence that says it is a mock.
enum MockChat {
    static let sentence = "This is a mock answer from promptc (serve --mock)."

    static func answer(_ chat: ChatRequest, model: String) throws(AttemptFailure) -> ChatAnswer {
        if model.hasPrefix(MockProvider.failurePrefix) {
            let name = String(model.dropFirst(MockProvider.failurePrefix.count))
            throw AttemptFailure(FailureClass(rawValue: name) ?? .serverError, "mock model '\(model)' fails by design")
        }
        let forced: ChatRequest.Tool? =
            switch chat.toolChoice {
            case .required?: chat.tools.first
            case .function(let name)?: chat.tools.first { $0.name == name }
            default: nil
            }
        if let tool = forced {
            let arguments = (try? FieldSchema(jsonSchema: tool.parameters)).map { MockProvider.synthesize($0) } ?? [:]
            return ChatAnswer(
                content: nil, toolCalls: [.init(id: "call_mock_0", name: tool.name, arguments: CanonicalJSON.render(arguments, pretty: false))],
                finishReason: "tool_calls", usage: TokenUsage())
        }
        let content: String
        switch chat.responseFormat {
        case .text: content = sentence
        case .jsonObject: content = CanonicalJSON.render(["answer": .string(sentence)], pretty: false)
        case .jsonSchema(_, let schema, _):
            content = CanonicalJSON.render((try? FieldSchema(jsonSchema: schema)).map { MockProvider.synthesize($0) } ?? [:], pretty: false)
        }
        return ChatAnswer(content: content, finishReason: "stop", usage: TokenUsage())
    }
}
