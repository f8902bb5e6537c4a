import EndpointModel

/// A streamed chat completion as OpenAI's `chat.completion.chunk` events: the first chunk (with
/// the role) at the model's first token, a chunk per piece after it, the one with the
/// `finish_reason`, the usage chunk (`choices: []`) when the caller asked for it, then `[DONE]`.
/// A failure once chunks went out is a final `data: {"error": …}` event, which the OpenAI SDKs
/// raise, and no `[DONE]`: a stream never ends as if it were complete.
struct ChatChunkPlanner: EventPlanner {
    let id: String
    /// What the caller sent as `model`: the answer is named after it.
    let model: String
    let created: Int
    let includeUsage: Bool
    private(set) var started = false

    init(id: String, model: String, created: Int, includeUsage: Bool) {
        self.id = id
        self.model = model
        self.created = created
        self.includeUsage = includeUsage
    }

    mutating func receive(_ progress: ChainProgress, now: ContinuousClock.Instant) -> [String] {
        guard case .stream(let deltas) = progress else { return [] }
        var events: [String] = []
        for delta in deltas {
            switch delta {
            case .content(let text):
                events += begin()
                events.append(chunk(["content": .string(text)]))
            case .toolCall(let index, let id, let name, let arguments):
                events += begin()
                var function: [String: JSONValue] = ["arguments": .string(arguments)]
                if let name { function["name"] = .string(name) }
                var call: [String: JSONValue] = ["index": .integer(index), "function": .object(function)]
                if let id {
                    call["id"] = .string(id)
                    call["type"] = "function"
                }
                events.append(chunk(["tool_calls": [.object(call)]]))
            case .finish, .usage:
                break  // sent with the ending, once the answer passed its checks
            }
        }
        return events
    }

    mutating func finish(_ answer: ChatPipeline.Answer) -> [String] {
        var events: [String] = []
        if !started {
            // Nothing was streamed (an answer from the mock, or one with no text): send it whole.
            events += begin()
            if let content = answer.answer.content { events.append(chunk(["content": .string(content)])) }
            for (index, call) in answer.answer.toolCalls.enumerated() {
                events.append(chunk(["tool_calls": [[
                    "index": .integer(index), "id": .string(call.id), "type": "function",
                    "function": ["name": .string(call.name), "arguments": .string(call.arguments)],
                ]]]))
            }
        }
        events.append(chunk([:], finish: answer.answer.finishReason))
        if includeUsage {
            events.append(Self.event([
                "id": .string(id), "object": "chat.completion.chunk", "created": .integer(created), "model": .string(model),
                "choices": [], "usage": answer.answer.usage.openAIJSON,
            ]))
        }
        events.append("data: [DONE]\n\n")
        return events
    }

    func fail(_ error: GatewayError, requestID: String) -> [String] {
        var error = error
        error.openAIShape = true
        return [Self.event(error.body(requestID: requestID))]
    }

    private mutating func begin() -> [String] {
        guard !started else { return [] }
        started = true
        return [chunk(["role": "assistant", "content": ""])]
    }

    private func chunk(_ delta: [String: JSONValue], finish: String? = nil) -> String {
        Self.event([
            "id": .string(id), "object": "chat.completion.chunk", "created": .integer(created), "model": .string(model),
            "choices": [["index": 0, "delta": .object(delta), "finish_reason": finish.map(JSONValue.string) ?? .null, "logprobs": .null]],
        ])
    }

    static func event(_ value: JSONValue) -> String {
        "data: " + CanonicalJSON.render(value, pretty: false) + "\n\n"
    }
}
