import EndpointModel

/// Gemini generateContent: `responseMimeType: application/json` with `responseSchema`, Gemini's
/// OpenAPI-style schema (upper-case types, no `additionalProperties`, string enums only).
/// What it cannot express is still checked against the full output schema afterwards.
struct GeminiAdapter: ProviderAdapter {
    static let blockedReasons: Set<String> = ["SAFETY", "RECITATION", "PROHIBITED_CONTENT", "BLOCKLIST", "SPII", "IMAGE_SAFETY"]

    func template(for call: ModelCall, baseURL: String, apiKey: String?) -> RequestTemplate {
        var generation = call.parameters.jsonMembers(maxTokensKey: "maxOutputTokens", stopKey: "stopSequences", topPKey: "topP")
        generation["responseMimeType"] = "application/json"
        generation["responseSchema"] = Self.schema(call.output)
        var headers = [("content-type", "application/json")]
        if let apiKey { headers.append(("x-goog-api-key", apiKey)) }
        let model = call.model.hasPrefix("models/") ? call.model : "models/" + call.model
        return RequestTemplate(
            url: "\(baseURL)/\(model):generateContent", headers: headers, fixedMembers: ["generationConfig": .object(generation)])
    }

    /// `streamGenerateContent` with `alt=sse`: the same body, answered as Server-Sent Events.
    func streaming(_ template: RequestTemplate) -> RequestTemplate {
        let url = template.url.hasSuffix(":generateContent")
            ? String(template.url.dropLast(":generateContent".count)) + ":streamGenerateContent?alt=sse" : template.url
        return template.adding([:], url: url)
    }

    func streamDecoder() -> any ProviderStreamDecoder { GeminiStreamDecoder() }

    func promptMembers(system: String?, user: String) -> [String: JSONValue] {
        var members: [String: JSONValue] = ["contents": [["role": "user", "parts": [["text": .string(user)]]]]]
        if let system { members["systemInstruction"] = ["parts": [["text": .string(system)]]] }
        return members
    }

    func answer(from body: [UInt8]) throws(AttemptFailure) -> ModelAnswer {
        let envelope = try Self.envelope(body)
        if let reason = envelope["promptFeedback"]?["blockReason"]?.stringValue {
            throw AttemptFailure(.refusal, "the prompt was blocked (\(reason))")
        }
        guard let candidate = envelope["candidates"]?.arrayValue?.first else {
            throw AttemptFailure(.invalidOutput, "the answer has no candidates")
        }
        if let reason = candidate["finishReason"]?.stringValue, Self.blockedReasons.contains(reason) {
            throw AttemptFailure(.refusal, "the answer was blocked (finishReason \(reason))")
        }
        let parts = candidate["content"]?["parts"]?.arrayValue ?? []
        let text = parts.compactMap { $0["text"]?.stringValue }.joined()
        guard !text.isEmpty else { throw AttemptFailure(.invalidOutput, "the answer has no text") }
        let usage = envelope["usageMetadata"]
        return ModelAnswer(
            text: text,
            usage: TokenUsage(input: usage?["promptTokenCount"]?.intValue ?? 0, output: usage?["candidatesTokenCount"]?.intValue ?? 0))
    }

    static func schema(_ schema: FieldSchema) -> JSONValue {
        var members: [String: JSONValue] = ["type": .string(schema.type.rawValue.uppercased())]
        if let description = schema.description { members["description"] = .string(description) }
        if schema.type == .string, let values = schema.enumValues {
            members["enum"] = .array(values)
            members["format"] = "enum"
        }
        if schema.type == .string, let format = schema.format, format == .dateTime {
            members["format"] = "date-time"
        }
        if let minimum = schema.minimum { members["minimum"] = .number(minimum) }
        if let maximum = schema.maximum { members["maximum"] = .number(maximum) }
        if let items = schema.items { members["items"] = Self.schema(items) }
        if let minItems = schema.minItems { members["minItems"] = .string(String(minItems)) }
        if let maxItems = schema.maxItems { members["maxItems"] = .string(String(maxItems)) }
        if schema.type == .object {
            var properties: [String: JSONValue] = [:]
            for property in schema.properties { properties[property.name] = Self.schema(property.schema) }
            members["properties"] = .object(properties)
            members["required"] = .array(schema.properties.filter(\.isRequired).map { .string($0.name) })
            members["propertyOrdering"] = .array(schema.properties.map { .string($0.name) })
        }
        return .object(members)
    }
}
