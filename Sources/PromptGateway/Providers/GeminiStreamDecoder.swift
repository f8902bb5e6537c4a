import EndpointModel

/// Gemini `streamGenerateContent?alt=sse`: each event is a whole `GenerateContentResponse` with
/// the next parts; the last has a `finishReason` and the usage. A function call comes whole, in
/// one part. An `{"error": …}` event is a failure.
struct GeminiStreamDecoder: ProviderStreamDecoder {
    private(set) var isComplete = false
    private var toolCalls = 0

    mutating func decode(_ event: ServerSentEvent) throws(AttemptFailure) -> [StreamDelta] {
        let value = try event.json()
        if let error = value["error"] { throw ProviderErrorClassifier.classifyStreamError(error) }
        if let reason = value["promptFeedback"]?["blockReason"]?.stringValue {
            throw AttemptFailure(.refusal, "the prompt was blocked (\(reason))")
        }
        var deltas: [StreamDelta] = []
        let candidate = value["candidates"]?.arrayValue?.first
        for part in candidate?["content"]?["parts"]?.arrayValue ?? [] {
            if let text = part["text"]?.stringValue, !text.isEmpty, part["thought"] != .bool(true) {
                deltas.append(.content(text))
            }
            if let call = part["functionCall"] {
                let arguments = call["args"].map { CanonicalJSON.render($0, pretty: false) } ?? "{}"
                deltas.append(.toolCall(index: toolCalls, id: "call_\(toolCalls)", name: call["name"]?.stringValue, arguments: arguments))
                toolCalls += 1
            }
        }
        if let usage = value["usageMetadata"] {
            deltas.append(.usage(TokenUsage(input: usage["promptTokenCount"]?.intValue ?? 0, output: usage["candidatesTokenCount"]?.intValue ?? 0)))
        }
        if let reason = candidate?["finishReason"]?.stringValue {
            if GeminiAdapter.blockedReasons.contains(reason) { throw AttemptFailure(.refusal, "the answer was blocked (finishReason \(reason))") }
            isComplete = true
            deltas.append(.finish(reason: toolCalls > 0 ? "tool_calls" : reason == "MAX_TOKENS" ? "length" : "stop"))
        }
        return deltas
    }
}
