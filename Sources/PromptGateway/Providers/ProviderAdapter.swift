import EndpointModel
import Foundation

/// An HTTP request to a provider, built by an adapter and sent by `UpstreamClient`.
struct ProviderRequest: Sendable {
    var url: String
    var headers: [(String, String)]
    var body: [UInt8]
}

/// The seam between the fallback engine and a provider's wire format: turn a `ModelCall` into
/// an HTTP request, and the provider's HTTP answer into a `ModelAnswer` or a classified failure.
protocol ProviderAdapter: Sendable {
    func request(for call: ModelCall, baseURL: String, apiKey: String?) throws(AttemptFailure) -> ProviderRequest
    /// Reads a 2xx answer. Errors (non-2xx) are classified by `UpstreamClient` with `errorMessage`.
    func answer(from body: [UInt8]) throws(AttemptFailure) -> ModelAnswer
}

extension ProviderAdapter {
    static func encode(_ value: JSONValue) -> [UInt8] {
        Array(CanonicalJSON.render(value, pretty: false).utf8)
    }

    /// The provider's answer as a JSON object, or `invalid_output` when it is not one.
    static func envelope(_ body: [UInt8]) throws(AttemptFailure) -> [String: JSONValue] {
        guard let value = try? JSONDecoder().decode(JSONValue.self, from: Data(body)), let object = value.objectValue else {
            throw AttemptFailure(.invalidOutput, "the provider's answer is not a JSON object")
        }
        return object
    }
}

/// The model's parameters as most wire formats name them.
extension ModelParameters {
    func jsonMembers(maxTokensKey: String = "max_tokens", stopKey: String = "stop", topPKey: String = "top_p") -> [String: JSONValue] {
        var members: [String: JSONValue] = [:]
        if let temperature { members["temperature"] = .number(temperature) }
        if let topP { members[topPKey] = .number(topP) }
        if let maxTokens { members[maxTokensKey] = .integer(maxTokens) }
        if let stop { members[stopKey] = .array(stop.map(JSONValue.string)) }
        if let seed { members["seed"] = .integer(seed) }
        return members
    }
}

/// Instructions for providers that cannot be held to a schema: the output's JSON Schema,
/// descriptions included, so the model knows what to answer.
enum OutputInstructions {
    static func text(for output: FieldSchema) -> String {
        "Answer with one JSON object and nothing else. It must match this JSON Schema:\n"
            + CanonicalJSON.render(output.jsonSchema, pretty: false)
    }
}

/// An output schema as JSON Schema for a provider: without our `x-` extensions, at every
/// depth, and without any other keywords the provider rejects. Field names are never touched,
/// even one that starts with `x-`.
enum ProviderSchema {
    static func json(_ schema: FieldSchema, dropping keywords: Set<String> = []) -> JSONValue {
        guard case .object(var members) = schema.jsonSchema else { return schema.jsonSchema }
        strip(&members, dropping: keywords)
        return .object(members)
    }

    private static func strip(_ members: inout [String: JSONValue], dropping keywords: Set<String>) {
        for key in members.keys where key.hasPrefix("x-") || keywords.contains(key) { members[key] = nil }
        if case .object(var items)? = members["items"] {
            strip(&items, dropping: keywords)
            members["items"] = .object(items)
        }
        if case .object(var properties)? = members["properties"] {
            for (name, value) in properties {
                guard case .object(var property) = value else { continue }
                strip(&property, dropping: keywords)
                properties[name] = .object(property)
            }
            members["properties"] = .object(properties)
        }
    }
}
