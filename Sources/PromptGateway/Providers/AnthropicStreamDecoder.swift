import EndpointModel

/// Anthropic message events (`stream: true`): `message_start` (input tokens),
/// `content_block_start` (a text or tool_use block), `content_block_delta` (`text_delta`, or the
/// tool's `input_json_delta`), `message_delta` (stop reason, output tokens), `message_stop`.
/// An `error` event inside the 200 stream is a failure.
struct AnthropicStreamDecoder: ProviderStreamDecoder {
    private(set) var isComplete = false
    private var inputTokens = 0
    /// Tool calls are numbered among themselves; Anthropic numbers every content block.
    private var toolIndexByBlock: [Int: Int] = [:]

    mutating func decode(_ event: ServerSentEvent) throws(AttemptFailure) -> [StreamDelta] {
        let value = try event.json()
        let type = event.event ?? value["type"]?.stringValue ?? ""
        switch type {
        case "message_start":
            inputTokens = value["message"]?["usage"]?["input_tokens"]?.intValue ?? 0
            return [.usage(TokenUsage(input: inputTokens))]
        case "content_block_start":
            guard let block = value["content_block"], block["type"]?.stringValue == "tool_use" else { return [] }
            let index = toolIndexByBlock.count
            toolIndexByBlock[value["index"]?.intValue ?? 0] = index
            return [.toolCall(index: index, id: block["id"]?.stringValue, name: block["name"]?.stringValue, arguments: "")]
        case "content_block_delta":
            let delta = value["delta"]
            switch delta?["type"]?.stringValue {
            case "text_delta":
                guard let text = delta?["text"]?.stringValue, !text.isEmpty else { return [] }
                return [.content(text)]
            case "input_json_delta":
                guard let json = delta?["partial_json"]?.stringValue, !json.isEmpty,
                      let index = toolIndexByBlock[value["index"]?.intValue ?? 0] else { return [] }
                return [.toolCall(index: index, id: nil, name: nil, arguments: json)]
            default:
                return []
            }
        case "message_delta":
            var deltas: [StreamDelta] = []
            if let output = value["usage"]?["output_tokens"]?.intValue {
                deltas.append(.usage(TokenUsage(input: value["usage"]?["input_tokens"]?.intValue ?? inputTokens, output: output)))
            }
            switch value["delta"]?["stop_reason"]?.stringValue {
            case "refusal"?: throw AttemptFailure(.refusal, "the model refused (stop_reason refusal)")
            case "max_tokens"?: deltas.append(.finish(reason: "length"))
            case "tool_use"?: deltas.append(.finish(reason: "tool_calls"))
            case .some: deltas.append(.finish(reason: "stop"))
            case nil: break
            }
            return deltas
        case "message_stop":
            isComplete = true
            return []
        case "error":
            throw ProviderErrorClassifier.classifyStreamError(value["error"])
        default:
            return []  // ping, content_block_stop, and event types added later
        }
    }
}
