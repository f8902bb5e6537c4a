import EndpointModel

/// OpenAI chat completion chunks (`stream: true`): `choices[0].delta` with `content`,
/// `refusal` or `tool_calls`, a `finish_reason`, the usage in the last chunk (with
/// `stream_options.include_usage`), then `data: [DONE]`. An `{"error": …}` chunk is a failure.
struct OpenAIStreamDecoder: ProviderStreamDecoder {
    private(set) var isComplete = false

    mutating func decode(_ event: ServerSentEvent) throws(AttemptFailure) -> [StreamDelta] {
        if event.data == "[DONE]" {
            isComplete = true
            return []
        }
        let chunk = try event.json()
        if let error = chunk["error"] { throw ProviderErrorClassifier.classifyStreamError(error) }
        var deltas: [StreamDelta] = []
        if let choice = chunk["choices"]?.arrayValue?.first {
            let delta = choice["delta"]
            if let refusal = delta?["refusal"]?.stringValue, !refusal.isEmpty { throw AttemptFailure(.refusal, "the model refused") }
            if let content = delta?["content"]?.stringValue, !content.isEmpty { deltas.append(.content(content)) }
            for call in delta?["tool_calls"]?.arrayValue ?? [] {
                deltas.append(.toolCall(
                    index: call["index"]?.intValue ?? 0, id: call["id"]?.stringValue, name: call["function"]?["name"]?.stringValue,
                    arguments: call["function"]?["arguments"]?.stringValue ?? ""))
            }
            if let reason = choice["finish_reason"]?.stringValue {
                if reason == "content_filter" { throw AttemptFailure(.refusal, "the answer was filtered (finish_reason content_filter)") }
                deltas.append(.finish(reason: reason))
            }
        }
        if let usage = chunk["usage"], usage.objectValue != nil {
            deltas.append(.usage(TokenUsage(input: usage["prompt_tokens"]?.intValue ?? 0, output: usage["completion_tokens"]?.intValue ?? 0)))
        }
        return deltas
    }
}
