import EndpointModel

/// A model's chat answer in terms every provider's translation produces.
struct ChatAnswer: Sendable, Equatable {
    var content: String?
    var toolCalls: [ChatRequest.ToolCall] = []
    /// OpenAI's words: `stop`, `length`, `tool_calls`, `content_filter`.
    var finishReason: String
    var usage: TokenUsage

    /// The answer as OpenAI's `chat.completion` object, named after `model` (what the caller sent).
    func completion(id: String, model: String, created: Int) -> JSONValue {
        var message: [String: JSONValue] = ["role": "assistant", "content": content.map(JSONValue.string) ?? .null, "refusal": .null]
        if !toolCalls.isEmpty { message["tool_calls"] = .array(toolCalls.map(\.json)) }
        return [
            "id": .string(id), "object": "chat.completion", "created": .integer(created), "model": .string(model),
            "choices": [["index": 0, "message": .object(message), "finish_reason": .string(finishReason), "logprobs": .null]],
            "usage": usage.openAIJSON,
        ]
    }
}

extension ChatRequest.ToolCall {
    var json: JSONValue {
        ["id": .string(id), "type": "function", "function": ["name": .string(name), "arguments": .string(arguments)]]
    }
}

extension TokenUsage {
    var openAIJSON: JSONValue {
        ["prompt_tokens": .integer(input), "completion_tokens": .integer(output), "total_tokens": .integer(input + output)]
    }
}
