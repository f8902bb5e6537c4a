import EndpointModel

/// Chat requests to Gemini's generateContent: system messages become `systemInstruction`; the
/// assistant is the `model` role; tool calls are `functionCall` parts and tool answers
/// `functionResponse` parts (named after the call they answer); tools are function declarations
/// with their JSON Schema (`parametersJsonSchema`); JSON answers use `responseMimeType` and
/// `responseJsonSchema`. Gemini gives calls no ids: they are numbered `call_N`.
struct GeminiChatWire: ChatWire {
    func request(_ chat: ChatRequest, model: String, baseURL: String, apiKey: String?) -> (request: ProviderRequest, dropped: [String]) {
        let dropped = chat.ignored + chat.openAIOnly.keys.sorted() + (chat.user != nil ? ["user"] : [])
        var namesByCall: [String: String] = [:]
        var contents: [(role: String, parts: [JSONValue])] = []
        for message in chat.messages where message.role != .system {
            var parts: [JSONValue] = []
            let role: String
            switch message.role {
            case .user, .system:
                role = "user"
                parts.append(["text": .string(message.content ?? "")])
            case .assistant:
                role = "model"
                if let content = message.content, !content.isEmpty { parts.append(["text": .string(content)]) }
                for call in message.toolCalls {
                    namesByCall[call.id] = call.name
                    parts.append(["functionCall": ["name": .string(call.name), "args": ChatWires.arguments(call.arguments)]])
                }
            case .tool:
                role = "user"
                let content = message.content ?? ""
                let response: JSONValue = (try? JSONParser.parse(content)).flatMap { $0.objectValue != nil ? $0 : nil } ?? ["content": .string(content)]
                parts.append(["functionResponse": ["name": .string(namesByCall[message.toolCallID ?? ""] ?? "tool"), "response": response]])
            }
            ChatWires.append(parts, as: role, to: &contents)
        }
        var body: [String: JSONValue] = ["contents": .array(contents.map { ["role": .string($0.role), "parts": .array($0.parts)] })]
        let system = chat.messages.filter { $0.role == .system }.compactMap(\.content)
        if !system.isEmpty { body["systemInstruction"] = ["parts": [["text": .string(system.joined(separator: "\n\n"))]]] }
        if !chat.tools.isEmpty {
            body["tools"] = [["functionDeclarations": .array(chat.tools.map { tool in
                var declaration: [String: JSONValue] = ["name": .string(tool.name), "parametersJsonSchema": tool.parameters]
                if let description = tool.description { declaration["description"] = .string(description) }
                return .object(declaration)
            })]]
        }
        switch chat.toolChoice {
        case nil: break
        case .auto?: body["toolConfig"] = ["functionCallingConfig": ["mode": "AUTO"]]
        case .none?: body["toolConfig"] = ["functionCallingConfig": ["mode": "NONE"]]
        case .required?: body["toolConfig"] = ["functionCallingConfig": ["mode": "ANY"]]
        case .function(let name)?:
            body["toolConfig"] = ["functionCallingConfig": ["mode": "ANY", "allowedFunctionNames": [.string(name)]]]
        }
        var generation: [String: JSONValue] = [:]
        switch chat.responseFormat {
        case .text: break
        case .jsonObject: generation["responseMimeType"] = "application/json"
        case .jsonSchema(_, let schema, _):
            generation["responseMimeType"] = "application/json"
            generation["responseJsonSchema"] = schema
        }
        if let maxTokens = chat.maxTokens { generation["maxOutputTokens"] = .integer(maxTokens) }
        if let temperature = chat.temperature { generation["temperature"] = .number(temperature) }
        if let topP = chat.topP { generation["topP"] = .number(topP) }
        if let stop = chat.stop { generation["stopSequences"] = .array(stop.map(JSONValue.string)) }
        if let seed = chat.seed { generation["seed"] = .integer(seed) }
        if !generation.isEmpty { body["generationConfig"] = .object(generation) }
        var headers = [("content-type", "application/json")]
        if let apiKey { headers.append(("x-goog-api-key", apiKey)) }
        let name = model.hasPrefix("models/") ? model : "models/" + model
        let url = "\(baseURL)/\(name)" + (chat.stream ? ":streamGenerateContent?alt=sse" : ":generateContent")
        return (ChatWires.post(url, headers: headers, body: body), dropped.sorted())
    }

    func answer(from body: [UInt8]) throws(AttemptFailure) -> ChatAnswer {
        let envelope = try GeminiAdapter.envelope(body)
        var decoder = GeminiStreamDecoder()
        // A plain answer is one streamed event's worth: the decoder reads both the same way.
        let deltas = try decoder.decode(ServerSentEvent(event: nil, data: CanonicalJSON.render(.object(envelope), pretty: false)))
        return ChatAnswer(deltas: deltas)
    }

    func streamDecoder() -> any ProviderStreamDecoder { GeminiStreamDecoder() }
}

extension ChatAnswer {
    /// The answer that a whole stream of deltas adds up to.
    init(deltas: [StreamDelta]) {
        var content: String?
        var calls: [ChatRequest.ToolCall] = []
        var finish = "stop"
        var usage = TokenUsage()
        for delta in deltas {
            switch delta {
            case .content(let text): content = (content ?? "") + text
            case .toolCall(let index, let id, let name, let arguments):
                if index < calls.count {
                    calls[index].arguments += arguments
                } else {
                    calls.append(.init(id: id ?? "call_\(index)", name: name ?? "", arguments: arguments))
                }
            case .finish(let reason): finish = reason
            case .usage(let counted): usage = counted
            }
        }
        self.init(content: content, toolCalls: calls, finishReason: finish, usage: usage)
    }
}
