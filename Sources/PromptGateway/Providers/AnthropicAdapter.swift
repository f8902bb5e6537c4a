import EndpointModel

/// Anthropic messages. Structured output through a forced tool call: one tool whose
/// `input_schema` is the output schema, and `tool_choice` naming it; the tool's input is the answer.
struct AnthropicAdapter: ProviderAdapter {
    static let version = "2023-06-01"
    static let toolName = "respond"
    /// Anthropic requires `max_tokens`; this is used when the spec sets none.
    static let defaultMaxTokens = 1024

    func template(for call: ModelCall, baseURL: String, apiKey: String?) -> RequestTemplate {
        var body = call.parameters.jsonMembers(stopKey: "stop_sequences")
        body["seed"] = nil  // not part of the messages API
        body["model"] = .string(call.model)
        body["max_tokens"] = .integer(call.parameters.maxTokens ?? Self.defaultMaxTokens)
        let inputSchema = ProviderSchema.json(call.output)
        body["tools"] = [[
            "name": .string(Self.toolName),
            "description": .string("Give the answer as this tool's input."),
            "input_schema": inputSchema,
        ]]
        body["tool_choice"] = ["type": "tool", "name": .string(Self.toolName)]
        var headers = [("content-type", "application/json"), ("anthropic-version", Self.version)]
        if let apiKey { headers.append(("x-api-key", apiKey)) }
        return RequestTemplate(url: baseURL + "/messages", headers: headers, fixedMembers: body)
    }

    func streaming(_ template: RequestTemplate) -> RequestTemplate {
        template.adding(["stream": true])
    }

    func streamDecoder() -> any ProviderStreamDecoder { AnthropicStreamDecoder() }

    func promptMembers(system: String?, user: String) -> [String: JSONValue] {
        var members: [String: JSONValue] = ["messages": [["role": "user", "content": .string(user)]]]
        if let system { members["system"] = .string(system) }
        return members
    }

    func answer(from body: [UInt8]) throws(AttemptFailure) -> ModelAnswer {
        let envelope = try Self.envelope(body)
        if envelope["stop_reason"]?.stringValue == "refusal" {
            throw AttemptFailure(.refusal, "the model refused (stop_reason refusal)")
        }
        let blocks = envelope["content"]?.arrayValue ?? []
        let text: String
        if let tool = blocks.first(where: { $0["type"]?.stringValue == "tool_use" }), let input = tool["input"] {
            text = CanonicalJSON.render(input, pretty: false)
        } else if let textBlock = blocks.first(where: { $0["type"]?.stringValue == "text" })?["text"]?.stringValue {
            // A model that ignores the forced tool may still answer JSON as text.
            text = textBlock
        } else {
            throw AttemptFailure(.invalidOutput, "the answer has no tool_use block")
        }
        let usage = envelope["usage"]
        return ModelAnswer(
            text: text,
            usage: TokenUsage(input: usage?["input_tokens"]?.intValue ?? 0, output: usage?["output_tokens"]?.intValue ?? 0))
    }
}
