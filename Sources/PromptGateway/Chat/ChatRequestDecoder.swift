import EndpointModel

/// Reads an OpenAI chat completion request. What the gateway cannot translate to every provider
/// at all is a 400 naming the member (`messages[2].content[0].type`); what only some providers
/// honour is kept for them.
enum ChatRequestDecoder {
    /// Members of OpenAI's request that only OpenAI-compatible providers take.
    static let openAIOnlyMembers: Set<String> = [
        "presence_penalty", "frequency_penalty", "logit_bias", "logprobs", "top_logprobs", "parallel_tool_calls",
        "service_tier", "metadata", "store", "reasoning_effort", "prediction", "modalities", "verbosity",
    ]
    static let knownMembers: Set<String> = [
        "model", "messages", "tools", "tool_choice", "response_format", "max_tokens", "max_completion_tokens", "temperature",
        "top_p", "stop", "seed", "user", "stream", "stream_options", "n",
    ]
    /// Bounds on what a caller controls.
    static let maximumMessages = 1000
    static let maximumTools = 128

    static func decode(_ body: JSONValue) throws(GatewayError) -> ChatRequest {
        guard let object = body.objectValue else { throw invalid("the body must be a JSON object", at: "") }
        guard let model = object["model"]?.stringValue, !model.isEmpty else {
            throw invalid("'model' is required: a model group, pool/NAME or provider/model (GET /v1/models lists them)", at: "/model")
        }
        guard let messageValues = object["messages"]?.arrayValue, !messageValues.isEmpty else {
            throw invalid("'messages' is required and must be a non-empty array", at: "/messages")
        }
        guard messageValues.count <= maximumMessages else { throw invalid("at most \(maximumMessages) messages", at: "/messages") }
        var request = ChatRequest(model: model, messages: [])
        for (index, value) in messageValues.enumerated() {
            request.messages.append(try message(value, at: "/messages/\(index)"))
        }
        if let tools = object["tools"], tools != .null {
            guard let items = tools.arrayValue, items.count <= maximumTools else {
                throw invalid("'tools' must be an array of at most \(maximumTools) tools", at: "/tools")
            }
            for (index, item) in items.enumerated() { request.tools.append(try tool(item, at: "/tools/\(index)")) }
        }
        if let choice = object["tool_choice"], choice != .null { request.toolChoice = try toolChoice(choice, tools: request.tools) }
        if let format = object["response_format"], format != .null { request.responseFormat = try responseFormat(format) }
        if let n = object["n"], n != .null, n.intValue != 1 {
            throw invalid("'n' must be 1: promptc answers with one choice", at: "/n")
        }
        let maxCompletionTokens = try positiveInteger(object["max_completion_tokens"], at: "/max_completion_tokens")
        let maxTokens = try positiveInteger(object["max_tokens"], at: "/max_tokens")
        request.maxTokens = maxCompletionTokens ?? maxTokens
        request.temperature = try number(object["temperature"], in: 0...2, at: "/temperature")
        request.topP = try number(object["top_p"], in: 0...1, at: "/top_p")
        switch object["stop"] {
        case nil, .null?: break
        case .string(let text)?: request.stop = [text]
        case .array(let items)? where items.count <= 4 && items.allSatisfy({ $0.stringValue != nil }):
            request.stop = items.compactMap(\.stringValue)
        default: throw invalid("'stop' must be a string or an array of at most 4 strings", at: "/stop")
        }
        if let seed = object["seed"], seed != .null {
            guard let value = seed.intValue else { throw invalid("'seed' must be an integer", at: "/seed") }
            request.seed = value
        }
        if let user = object["user"], user != .null {
            guard let text = user.stringValue else { throw invalid("'user' must be a string", at: "/user") }
            request.user = text
        }
        if let stream = object["stream"], stream != .null {
            guard case .bool(let flag) = stream else { throw invalid("'stream' must be a boolean", at: "/stream") }
            request.stream = flag
        }
        request.includeUsage = object["stream_options"]?["include_usage"] == .bool(true)
        for (key, value) in object where !knownMembers.contains(key) {
            if openAIOnlyMembers.contains(key) { request.openAIOnly[key] = value } else { request.ignored.append(key) }
        }
        request.ignored.sort()
        return request
    }

    private static func message(_ value: JSONValue, at path: String) throws(GatewayError) -> ChatRequest.Message {
        guard let object = value.objectValue else { throw invalid("a message must be an object", at: path) }
        guard let roleName = object["role"]?.stringValue else { throw invalid("a message needs a 'role'", at: path + "/role") }
        let role: ChatRequest.Message.Role
        switch roleName {
        case "system", "developer": role = .system
        case "user": role = .user
        case "assistant": role = .assistant
        case "tool": role = .tool
        default: throw invalid("role '\(roleName)' is not one promptc translates (system, developer, user, assistant, tool)", at: path + "/role")
        }
        var message = ChatRequest.Message(role: role, content: try content(object["content"], at: path + "/content"))
        if role == .assistant, let calls = object["tool_calls"], calls != .null {
            guard let items = calls.arrayValue else { throw invalid("'tool_calls' must be an array", at: path + "/tool_calls") }
            for (index, item) in items.enumerated() {
                let callPath = path + "/tool_calls/\(index)"
                guard let id = item["id"]?.stringValue, let name = item["function"]?["name"]?.stringValue else {
                    throw invalid("a tool call needs 'id' and 'function.name'", at: callPath)
                }
                message.toolCalls.append(.init(id: id, name: name, arguments: item["function"]?["arguments"]?.stringValue ?? "{}"))
            }
        }
        if role == .tool {
            guard let id = object["tool_call_id"]?.stringValue else {
                throw invalid("a tool message needs 'tool_call_id'", at: path + "/tool_call_id")
            }
            message.toolCallID = id
        }
        if role != .assistant, message.content == nil { throw invalid("this message needs 'content'", at: path + "/content") }
        return message
    }

    /// A string, or text parts joined; any other part cannot be translated for every provider.
    private static func content(_ value: JSONValue?, at path: String) throws(GatewayError) -> String? {
        switch value {
        case nil, .null?: return nil
        case .string(let text)?: return text
        case .array(let parts)?:
            var text = ""
            for (index, part) in parts.enumerated() {
                guard part["type"]?.stringValue == "text", let piece = part["text"]?.stringValue else {
                    let type = part["type"]?.stringValue ?? "?"
                    throw invalid("content part type '\(type)' is not supported; promptc translates text parts", at: path + "/\(index)/type")
                }
                text += piece
            }
            return text
        default:
            throw invalid("'content' must be a string or an array of text parts", at: path)
        }
    }

    private static func tool(_ value: JSONValue, at path: String) throws(GatewayError) -> ChatRequest.Tool {
        guard value["type"]?.stringValue == "function", let function = value["function"] else {
            throw invalid("a tool must be {\"type\": \"function\", \"function\": {...}}", at: path)
        }
        guard let name = function["name"]?.stringValue, !name.isEmpty else { throw invalid("a function needs a 'name'", at: path + "/function/name") }
        let parameters = function["parameters"] ?? ["type": "object", "properties": [:]]
        guard parameters.objectValue != nil else { throw invalid("'parameters' must be a JSON Schema object", at: path + "/function/parameters") }
        return ChatRequest.Tool(name: name, description: function["description"]?.stringValue, parameters: parameters)
    }

    private static func toolChoice(_ value: JSONValue, tools: [ChatRequest.Tool]) throws(GatewayError) -> ChatRequest.ToolChoice {
        switch value {
        case "auto": return .auto
        case "none": return .none
        case "required": return .required
        default:
            guard let name = value["function"]?["name"]?.stringValue else {
                throw invalid("'tool_choice' must be auto, none, required or {\"type\": \"function\", \"function\": {\"name\": ...}}", at: "/tool_choice")
            }
            guard tools.contains(where: { $0.name == name }) else { throw invalid("'tool_choice' names '\(name)', which is not in 'tools'", at: "/tool_choice") }
            return .function(name)
        }
    }

    private static func responseFormat(_ value: JSONValue) throws(GatewayError) -> ChatRequest.ResponseFormat {
        switch value["type"]?.stringValue {
        case "text"?: return .text
        case "json_object"?: return .jsonObject
        case "json_schema"?:
            guard let schema = value["json_schema"]?["schema"] else {
                throw invalid("'json_schema' needs a 'schema'", at: "/response_format/json_schema/schema")
            }
            let fieldSchema: FieldSchema
            do {
                fieldSchema = try FieldSchema(jsonSchema: schema, pointer: "/response_format/json_schema/schema")
            } catch {
                throw invalid("the schema cannot be checked by promptc: \(error)", at: "/response_format/json_schema/schema")
            }
            return .jsonSchema(
                name: value["json_schema"]?["name"]?.stringValue ?? "response", schema: schema, validator: SchemaValidator(fieldSchema))
        default:
            throw invalid("'response_format.type' must be text, json_object or json_schema", at: "/response_format/type")
        }
    }

    private static func positiveInteger(_ value: JSONValue?, at path: String) throws(GatewayError) -> Int? {
        guard let value, value != .null else { return nil }
        guard let number = value.intValue, number >= 1 else { throw invalid("must be a whole number of at least 1", at: path) }
        return number
    }

    private static func number(_ value: JSONValue?, in range: ClosedRange<Double>, at path: String) throws(GatewayError) -> Double? {
        guard let value, value != .null else { return nil }
        guard let number = value.doubleValue, range.contains(number) else {
            throw invalid("must be a number from \(range.lowerBound) to \(range.upperBound)", at: path)
        }
        return number
    }

    static func invalid(_ message: String, at path: String) -> GatewayError {
        GatewayError.invalidRequest(path.isEmpty ? message : "\(path): \(message)", details: [Violation(path: path, message: message)])
    }
}
