import EndpointModel

/// A chat completion request, decoded from OpenAI's wire format into terms every provider's
/// translation reads (gateway-contract.md, The OpenAI-compatible API).
struct ChatRequest: Sendable {
    struct Message: Sendable, Equatable {
        enum Role: String, Sendable { case system, user, assistant, tool }
        var role: Role
        /// The text, with text parts joined; nil for an assistant message that only calls tools.
        var content: String?
        var toolCalls: [ToolCall] = []
        /// For a `tool` message: the call it answers.
        var toolCallID: String?
    }

    struct ToolCall: Sendable, Equatable {
        var id: String
        var name: String
        /// The arguments as JSON text, as OpenAI carries them.
        var arguments: String
    }

    struct Tool: Sendable, Equatable {
        var name: String
        var description: String?
        /// The parameters' JSON Schema.
        var parameters: JSONValue
    }

    enum ToolChoice: Sendable, Equatable {
        case auto, none, required
        case function(String)
    }

    enum ResponseFormat: Sendable {
        case text
        case jsonObject
        /// `json_schema`: the schema, and the validator that checks answers against it.
        case jsonSchema(name: String, schema: JSONValue, validator: SchemaValidator)
    }

    var model: String
    var messages: [Message]
    var tools: [Tool] = []
    var toolChoice: ToolChoice?
    var responseFormat: ResponseFormat = .text
    var maxTokens: Int?
    var temperature: Double?
    var topP: Double?
    var stop: [String]?
    var seed: Int?
    var user: String?
    var stream = false
    var includeUsage = false
    /// Members OpenAI defines that only OpenAI-compatible providers honour, passed to them as
    /// they came (`presence_penalty`, `logit_bias`, …).
    var openAIOnly: [String: JSONValue] = [:]
    /// Members no provider is sent, for the log.
    var ignored: [String] = []
}
