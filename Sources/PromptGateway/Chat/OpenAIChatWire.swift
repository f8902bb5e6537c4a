import EndpointModel

/// Chat requests to OpenAI and OpenAI-compatible servers: OpenAI's own format, rebuilt from the
/// decoded request so that only what was understood is sent; always asks for the usage of a
/// stream, so tokens are counted either way.
struct OpenAIChatWire: ChatWire {
    func request(_ chat: ChatRequest, model: String, baseURL: String, apiKey: String?) -> (request: ProviderRequest, dropped: [String]) {
        var body = chat.openAIOnly
        body["model"] = .string(model)
        body["messages"] = .array(chat.messages.map(Self.message))
        if !chat.tools.isEmpty {
            body["tools"] = .array(chat.tools.map { tool in
                var function: [String: JSONValue] = ["name": .string(tool.name), "parameters": tool.parameters]
                if let description = tool.description { function["description"] = .string(description) }
                return ["type": "function", "function": .object(function)]
            })
        }
        switch chat.toolChoice {
        case nil: break
        case .auto?: body["tool_choice"] = "auto"
        case .none?: body["tool_choice"] = "none"
        case .required?: body["tool_choice"] = "required"
        case .function(let name)?: body["tool_choice"] = ["type": "function", "function": ["name": .string(name)]]
        }
        switch chat.responseFormat {
        case .text: break
        case .jsonObject: body["response_format"] = ["type": "json_object"]
        case .jsonSchema(let name, let schema, _):
            body["response_format"] = ["type": "json_schema", "json_schema": ["name": .string(name), "schema": schema]]
        }
        if let maxTokens = chat.maxTokens { body["max_tokens"] = .integer(maxTokens) }
        if let temperature = chat.temperature { body["temperature"] = .number(temperature) }
        if let topP = chat.topP { body["top_p"] = .number(topP) }
        if let stop = chat.stop { body["stop"] = .array(stop.map(JSONValue.string)) }
        if let seed = chat.seed { body["seed"] = .integer(seed) }
        if let user = chat.user { body["user"] = .string(user) }
        if chat.stream {
            body["stream"] = true
            body["stream_options"] = ["include_usage": true]
        }
        var headers = [("content-type", "application/json")]
        if let apiKey { headers.append(("authorization", "Bearer \(apiKey)")) }
        return (ChatWires.post(baseURL + "/chat/completions", headers: headers, body: body), chat.ignored)
    }

    static func message(_ message: ChatRequest.Message) -> JSONValue {
        var object: [String: JSONValue] = ["role": .string(message.role.rawValue), "content": message.content.map(JSONValue.string) ?? .null]
        if !message.toolCalls.isEmpty { object["tool_calls"] = .array(message.toolCalls.map(\.json)) }
        if let id = message.toolCallID { object["tool_call_id"] = .string(id) }
        return .object(object)
    }

    func answer(from body: [UInt8]) throws(AttemptFailure) -> ChatAnswer {
        let envelope = try OpenAIAdapter.envelope(body)
        guard let choice = envelope["choices"]?.arrayValue?.first, let message = choice["message"] else {
            throw AttemptFailure(.invalidOutput, "the answer has no choices[0].message")
        }
        if let refusal = message["refusal"]?.stringValue, !refusal.isEmpty { throw AttemptFailure(.refusal, "the model refused") }
        let finish = choice["finish_reason"]?.stringValue ?? "stop"
        if finish == "content_filter" { throw AttemptFailure(.refusal, "the answer was filtered (finish_reason content_filter)") }
        let calls = (message["tool_calls"]?.arrayValue ?? []).compactMap { call -> ChatRequest.ToolCall? in
            guard let name = call["function"]?["name"]?.stringValue else { return nil }
            return .init(id: call["id"]?.stringValue ?? "call_0", name: name, arguments: call["function"]?["arguments"]?.stringValue ?? "{}")
        }
        let usage = envelope["usage"]
        return ChatAnswer(
            content: message["content"]?.stringValue, toolCalls: calls, finishReason: finish,
            usage: TokenUsage(input: usage?["prompt_tokens"]?.intValue ?? 0, output: usage?["completion_tokens"]?.intValue ?? 0))
    }

    func streamDecoder() -> any ProviderStreamDecoder { OpenAIStreamDecoder() }
}
