import EndpointModel

/// Chat requests to Anthropic's messages API: system messages become `system`; tool calls
/// become `tool_use` blocks and tool answers `tool_result` blocks in a user turn; turns of one
/// role in a row are merged, as the API wants them alternating. JSON answers are asked for in
/// the system prompt (the API has no JSON mode); `seed` is dropped.
struct AnthropicChatWire: ChatWire {
    func request(_ chat: ChatRequest, model: String, baseURL: String, apiKey: String?) -> (request: ProviderRequest, dropped: [String]) {
        var dropped = chat.ignored + chat.openAIOnly.keys.sorted()
        var system = chat.messages.filter { $0.role == .system }.compactMap(\.content)
        if let instructions = ChatWires.jsonInstructions(chat.responseFormat) { system.append(instructions) }
        var turns: [(role: String, parts: [JSONValue])] = []
        for message in chat.messages where message.role != .system {
            var blocks: [JSONValue] = []
            let role: String
            switch message.role {
            case .user, .system:
                role = "user"
                blocks.append(["type": "text", "text": .string(message.content ?? "")])
            case .assistant:
                role = "assistant"
                if let content = message.content, !content.isEmpty { blocks.append(["type": "text", "text": .string(content)]) }
                for call in message.toolCalls {
                    blocks.append(["type": "tool_use", "id": .string(call.id), "name": .string(call.name), "input": ChatWires.arguments(call.arguments)])
                }
            case .tool:
                role = "user"
                blocks.append(["type": "tool_result", "tool_use_id": .string(message.toolCallID ?? ""), "content": .string(message.content ?? "")])
            }
            ChatWires.append(blocks, as: role, to: &turns)
        }
        var body: [String: JSONValue] = [
            "model": .string(model),
            "max_tokens": .integer(chat.maxTokens ?? AnthropicAdapter.defaultMaxTokens),
            "messages": .array(turns.map { ["role": .string($0.role), "content": .array($0.parts)] }),
        ]
        if !system.isEmpty { body["system"] = .string(system.joined(separator: "\n\n")) }
        if !chat.tools.isEmpty {
            body["tools"] = .array(chat.tools.map { tool in
                var object: [String: JSONValue] = ["name": .string(tool.name), "input_schema": tool.parameters]
                if let description = tool.description { object["description"] = .string(description) }
                return .object(object)
            })
        }
        switch chat.toolChoice {
        case nil: break
        case .auto?: body["tool_choice"] = ["type": "auto"]
        case .none?: body["tool_choice"] = ["type": "none"]
        case .required?: body["tool_choice"] = ["type": "any"]
        case .function(let name)?: body["tool_choice"] = ["type": "tool", "name": .string(name)]
        }
        if let temperature = chat.temperature { body["temperature"] = .number(min(temperature, 1)) }
        if let topP = chat.topP { body["top_p"] = .number(topP) }
        if let stop = chat.stop { body["stop_sequences"] = .array(stop.map(JSONValue.string)) }
        if let user = chat.user { body["metadata"] = ["user_id": .string(user)] }
        if chat.seed != nil { dropped.append("seed") }
        if chat.stream { body["stream"] = true }
        var headers = [("content-type", "application/json"), ("anthropic-version", AnthropicAdapter.version)]
        if let apiKey { headers.append(("x-api-key", apiKey)) }
        return (ChatWires.post(baseURL + "/messages", headers: headers, body: body), dropped.sorted())
    }

    func answer(from body: [UInt8]) throws(AttemptFailure) -> ChatAnswer {
        let envelope = try AnthropicAdapter.envelope(body)
        let stopReason = envelope["stop_reason"]?.stringValue
        if stopReason == "refusal" { throw AttemptFailure(.refusal, "the model refused (stop_reason refusal)") }
        var text: String?
        var calls: [ChatRequest.ToolCall] = []
        for block in envelope["content"]?.arrayValue ?? [] {
            switch block["type"]?.stringValue {
            case "text"?: text = (text ?? "") + (block["text"]?.stringValue ?? "")
            case "tool_use"?:
                calls.append(.init(
                    id: block["id"]?.stringValue ?? "toolu_\(calls.count)", name: block["name"]?.stringValue ?? "",
                    arguments: CanonicalJSON.render(block["input"] ?? [:], pretty: false)))
            default: break
            }
        }
        let usage = envelope["usage"]
        return ChatAnswer(
            content: text, toolCalls: calls, finishReason: Self.finishReason(stopReason),
            usage: TokenUsage(input: usage?["input_tokens"]?.intValue ?? 0, output: usage?["output_tokens"]?.intValue ?? 0))
    }

    static func finishReason(_ stopReason: String?) -> String {
        switch stopReason {
        case "max_tokens"?: "length"
        case "tool_use"?: "tool_calls"
        default: "stop"
        }
    }

    func streamDecoder() -> any ProviderStreamDecoder { AnthropicStreamDecoder() }
}
