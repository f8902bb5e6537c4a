import EndpointModel

/// The in-process `mock` provider: answers an example's input with that example's output, any
/// other input with the first example's output, and without examples with a value synthesised
/// from the output schema. A model named `fail-CLASS`
/// (`mock/fail-server_error`) fails every call with that class, so a chain's fallback can be
/// tried with no network and no key.
enum MockProvider {
    static let failurePrefix = "fail-"

    static func answer(_ call: ModelCall) throws(AttemptFailure) -> ModelAnswer {
        if call.model.hasPrefix(failurePrefix) {
            let name = String(call.model.dropFirst(failurePrefix.count))
            throw AttemptFailure(FailureClass(rawValue: name) ?? .serverError, "mock model '\(call.model)' fails by design")
        }
        let value = call.exampleAnswers[call.user] ?? call.exampleOutputs.first ?? synthesize(call.output)
        return ModelAnswer(text: CanonicalJSON.render(value, pretty: false), usage: TokenUsage())
    }

    /// The same answer, streamed in pieces a few milliseconds apart, so a streaming endpoint can
    /// be tried with `--mock` and show its partials grow.
    static func stream(_ call: ModelCall, progress: ChainProgressSink) async throws(AttemptFailure) -> ModelAnswer {
        let answer = try self.answer(call)
        for (index, piece) in answer.text.pieces(4).enumerated() {
            if index > 0 {
                do { try await Task.sleep(for: .milliseconds(60)) } catch { throw AttemptFailure(.connection, "cancelled") }
            }
            progress(.delta(piece))
        }
        return answer
    }

    /// A value that satisfies `schema` for every keyword but `pattern`, which cannot be inverted.
    static func synthesize(_ schema: FieldSchema) -> JSONValue {
        if let first = schema.enumValues?.first { return first }
        switch schema.type {
        case .string: return .string(sampleString(schema))
        case .integer:
            let low = schema.minimum.map { clamped($0.rounded(.up)) } ?? 0
            return .integer(min(max(low, 0), schema.maximum.map { clamped($0.rounded(.down)) } ?? Int.max))
        case .number:
            return .number(min(max(schema.minimum ?? 0, 0), schema.maximum ?? .greatestFiniteMagnitude))
        case .boolean: return .bool(true)
        case .array:
            guard let items = schema.items else { return .array([]) }
            let count = min(max(schema.minItems ?? 1, 1), schema.maxItems ?? Int.max)
            return .array(Array(repeating: synthesize(items), count: count))
        case .object:
            var members: [String: JSONValue] = [:]
            for property in schema.properties { members[property.name] = synthesize(property.schema) }
            return .object(members)
        }
    }

    /// A bound as an Int, without trapping on bounds beyond Int's range.
    private static func clamped(_ value: Double) -> Int {
        guard value.isFinite else { return value > 0 ? Int.max : Int.min }
        return value >= 9.2e18 ? Int.max : value <= -9.2e18 ? Int.min : Int(value)
    }

    private static func sampleString(_ schema: FieldSchema) -> String {
        var text: String
        switch schema.format {
        case .email?: text = "user@example.com"
        case .uri?: text = "https://example.com/"
        case .date?: text = "2024-01-01"
        case .dateTime?: text = "2024-01-01T00:00:00Z"
        case .uuid?: text = "00000000-0000-4000-8000-000000000000"
        case nil: text = "example"
        }
        if let minLength = schema.minLength, text.unicodeScalars.count < minLength {
            text += String(repeating: "x", count: minLength - text.unicodeScalars.count)
        }
        if let maxLength = schema.maxLength, text.unicodeScalars.count > maxLength {
            text = String(String.UnicodeScalarView(text.unicodeScalars.prefix(maxLength)))
        }
        return text
    }
}
