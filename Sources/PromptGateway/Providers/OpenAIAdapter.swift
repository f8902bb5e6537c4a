import EndpointModel

/// OpenAI chat completions, also spoken by Ollama and other OpenAI-compatible servers.
/// Structured output: `response_format: json_schema` (strict) when the output schema fits
/// OpenAI's strict subset, else `json_object` with the schema as instructions.
struct OpenAIAdapter: ProviderAdapter {
    func template(for call: ModelCall, baseURL: String, apiKey: String?) -> RequestTemplate {
        let responseFormat: JSONValue
        var systemSuffix: String?
        if OpenAIStrictSchema.fits(call.output) {
            responseFormat = [
                "type": "json_schema",
                "json_schema": ["name": .string(call.endpointName), "strict": true, "schema": OpenAIStrictSchema.schema(call.output)],
            ]
        } else {
            // json_object mode requires the word JSON in the messages; the instructions carry it.
            responseFormat = ["type": "json_object"]
            systemSuffix = OutputInstructions.text(for: call.output)
        }
        var body = call.parameters.jsonMembers()
        body["model"] = .string(call.model)
        body["response_format"] = responseFormat
        var headers = [("content-type", "application/json")]
        if let apiKey { headers.append(("authorization", "Bearer \(apiKey)")) }
        return RequestTemplate(url: baseURL + "/chat/completions", headers: headers, fixedMembers: body, systemSuffix: systemSuffix)
    }

    func streaming(_ template: RequestTemplate) -> RequestTemplate {
        template.adding(["stream": true, "stream_options": ["include_usage": true]])
    }

    func streamDecoder() -> any ProviderStreamDecoder { OpenAIStreamDecoder() }

    func promptMembers(system: String?, user: String) -> [String: JSONValue] {
        var messages: [JSONValue] = []
        if let system { messages.append(["role": "system", "content": .string(system)]) }
        messages.append(["role": "user", "content": .string(user)])
        return ["messages": .array(messages)]
    }

    func answer(from body: [UInt8]) throws(AttemptFailure) -> ModelAnswer {
        let envelope = try Self.envelope(body)
        guard let choice = envelope["choices"]?.arrayValue?.first, let message = choice["message"] else {
            throw AttemptFailure(.invalidOutput, "the answer has no choices[0].message")
        }
        if let refusal = message["refusal"]?.stringValue, !refusal.isEmpty {
            throw AttemptFailure(.refusal, "the model refused")
        }
        if choice["finish_reason"]?.stringValue == "content_filter" {
            throw AttemptFailure(.refusal, "the answer was filtered (finish_reason content_filter)")
        }
        guard let text = message["content"]?.stringValue else {
            throw AttemptFailure(.invalidOutput, "the answer has no message content")
        }
        let usage = envelope["usage"]
        return ModelAnswer(
            text: text,
            usage: TokenUsage(input: usage?["prompt_tokens"]?.intValue ?? 0, output: usage?["completion_tokens"]?.intValue ?? 0))
    }
}

/// OpenAI's strict structured outputs accept a subset of JSON Schema: every property
/// required, `additionalProperties: false`, no string lengths, limited nesting and size
/// (platform.openai.com/docs/guides/structured-outputs, "Supported schemas").
enum OpenAIStrictSchema {
    static let maximumDepth = 5
    static let maximumProperties = 100

    static func fits(_ schema: FieldSchema) -> Bool {
        var count = 0
        return fits(schema, depth: 1, count: &count) && count <= maximumProperties
    }

    private static func fits(_ schema: FieldSchema, depth: Int, count: inout Int) -> Bool {
        guard depth <= maximumDepth, schema.minLength == nil, schema.maxLength == nil else { return false }
        if let items = schema.items, !fits(items, depth: depth + 1, count: &count) { return false }
        for property in schema.properties {
            count += 1
            guard property.isRequired, fits(property.schema, depth: depth + 1, count: &count) else { return false }
        }
        return true
    }

    /// The schema without the keywords strict mode rejects (`default` cannot occur in a fitting
    /// output schema, but is dropped all the same; `x-` extensions are ours).
    static func schema(_ schema: FieldSchema) -> JSONValue {
        ProviderSchema.json(schema, dropping: ["default"])
    }
}

extension JSONValue {
    var intValue: Int? {
        switch self {
        case .integer(let value): value
        case .number(let value) where value == value.rounded() && abs(value) < 1e15: Int(value)
        default: nil
        }
    }
}
