import EndpointModel
import Foundation

/// An HTTP request to a provider, built by an adapter and sent by `UpstreamClient`.
struct ProviderRequest: Sendable {
    var url: String
    var headers: [(String, String)]
    var body: [UInt8]
    /// The URL and headers already parsed and encoded, when the request came from a template:
    /// parsing the URL cost about 4 % of a request.
    var prepared: UpstreamTarget?
}

/// What a request to one model for one endpoint carries besides the prompt. It is made once per
/// chain step when routes load, so the schema a provider is held to is built and encoded once,
/// not on every request.
struct RequestTemplate: Sendable {
    var url: String
    var headers: [(String, String)]
    /// The body's members that do not depend on the prompt, encoded, without the braces:
    /// `"model":"gpt-4o-mini","response_format":{…},…`.
    var fixedMembers: [UInt8]
    /// Appended to the system prompt: OpenAI's json_object mode carries the schema there.
    var systemSuffix: String?
    /// `url` and `headers` parsed and encoded; nil when the URL does not parse, and the call then
    /// fails as `connection`, saying so.
    var prepared: UpstreamTarget?

    init(url: String, headers: [(String, String)], fixedMembers: [String: JSONValue], systemSuffix: String? = nil) {
        self.url = url
        self.headers = headers
        var encoded: [UInt8] = []
        CanonicalJSON.append(.object(fixedMembers), to: &encoded)
        self.fixedMembers = Array(encoded.dropFirst().dropLast())
        self.systemSuffix = systemSuffix
        prepared = UpstreamTarget(url: url, headers: headers)
    }

    /// This template with more fixed members (and another URL): how a streaming request is made
    /// from the plain one.
    func adding(_ members: [String: JSONValue], url: String? = nil) -> RequestTemplate {
        var copy = self
        var encoded: [UInt8] = []
        CanonicalJSON.append(.object(members), to: &encoded)
        if !copy.fixedMembers.isEmpty, encoded.count > 2 { copy.fixedMembers.append(UInt8(ascii: ",")) }
        copy.fixedMembers.append(contentsOf: encoded.dropFirst().dropLast())
        if let url {
            copy.url = url
            copy.prepared = UpstreamTarget(url: url, headers: headers)
        }
        return copy
    }
}

/// The seam between the fallback engine and a provider's wire format: a request template per
/// chain step, the prompt's place in the body, and the provider's HTTP answer read into a
/// `ModelAnswer` or a classified failure.
protocol ProviderAdapter: Sendable {
    /// The template for calls shaped like `call`; its prompt is not read.
    func template(for call: ModelCall, baseURL: String, apiKey: String?) -> RequestTemplate
    /// The body's members that carry the prompt.
    func promptMembers(system: String?, user: String) -> [String: JSONValue]
    /// Reads a 2xx answer. Errors (non-2xx) are classified by `UpstreamClient` with `errorMessage`.
    func answer(from body: [UInt8]) throws(AttemptFailure) -> ModelAnswer
    /// The same request, asking for a stream of events.
    func streaming(_ template: RequestTemplate) -> RequestTemplate
    /// A decoder for one streamed answer.
    func streamDecoder() -> any ProviderStreamDecoder
}

extension ProviderAdapter {
    /// The request for one prompt: its members encoded, then the template's fixed ones.
    func request(_ template: RequestTemplate, system: String?, user: String) -> ProviderRequest {
        var system = system
        if let suffix = template.systemSuffix { system = [system, suffix].compactMap { $0 }.joined(separator: "\n\n") }
        var body: [UInt8] = []
        body.reserveCapacity(template.fixedMembers.count + user.utf8.count + (system?.utf8.count ?? 0) + 128)
        CanonicalJSON.append(.object(promptMembers(system: system, user: user)), to: &body)
        if !template.fixedMembers.isEmpty {
            body.removeLast()
            if body.count > 1 { body.append(UInt8(ascii: ",")) }
            body.append(contentsOf: template.fixedMembers)
            body.append(UInt8(ascii: "}"))
        }
        return ProviderRequest(url: template.url, headers: template.headers, body: body, prepared: template.prepared)
    }

    /// The provider's answer as a JSON object, or `invalid_output` when it is not one.
    static func envelope(_ body: [UInt8]) throws(AttemptFailure) -> [String: JSONValue] {
        guard let value = try? JSONParser.parse(body), let object = value.objectValue else {
            throw AttemptFailure(.invalidOutput, "the provider's answer is not a JSON object")
        }
        return object
    }
}

enum ProviderAdapters {
    static func adapter(for api: ProviderAPI) -> (any ProviderAdapter)? {
        switch api {
        case .openai: OpenAIAdapter()
        case .anthropic: AnthropicAdapter()
        case .gemini: GeminiAdapter()
        case .mock: nil
        }
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
