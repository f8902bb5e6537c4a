import EndpointModel

/// The seam between the OpenAI-compatible API and a provider's wire format: a chat request
/// translated to the provider's own, and its answer (plain or streamed) translated back.
protocol ChatWire: Sendable {
    /// The provider's request for `chat` sent to `model`, and the members of `chat` this provider
    /// cannot honour (dropped for it alone, and logged).
    func request(_ chat: ChatRequest, model: String, baseURL: String, apiKey: String?) -> (request: ProviderRequest, dropped: [String])
    func answer(from body: [UInt8]) throws(AttemptFailure) -> ChatAnswer
    func streamDecoder() -> any ProviderStreamDecoder
}

enum ChatWires {
    static func wire(for api: ProviderAPI) -> (any ChatWire)? {
        switch api {
        case .openai: OpenAIChatWire()
        case .anthropic: AnthropicChatWire()
        case .gemini: GeminiChatWire()
        case .mock: nil
        }
    }

    /// A POST of `body` as compact JSON.
    static func post(_ url: String, headers: [(String, String)], body: [String: JSONValue]) -> ProviderRequest {
        var bytes: [UInt8] = []
        CanonicalJSON.append(.object(body), to: &bytes)
        return ProviderRequest(url: url, headers: headers, body: bytes, prepared: UpstreamTargetCache.shared.target(url: url, headers: headers))
    }

    /// Instructions for a provider with no JSON mode of its own: answer JSON, and match the
    /// schema when the caller gave one.
    static func jsonInstructions(_ format: ChatRequest.ResponseFormat) -> String? {
        switch format {
        case .text: nil
        case .jsonObject: "Answer with one JSON object and nothing else."
        case .jsonSchema(_, let schema, _):
            "Answer with one JSON object and nothing else. It must match this JSON Schema:\n" + CanonicalJSON.render(schema, pretty: false)
        }
    }

    /// Adds one message's parts as a turn of `role`, or to the last turn when it has that role:
    /// Anthropic and Gemini want user and assistant turns alternating.
    static func append(_ parts: [JSONValue], as role: String, to turns: inout [(role: String, parts: [JSONValue])]) {
        if let last = turns.last, last.role == role {
            turns[turns.count - 1].parts += parts
        } else {
            turns.append((role, parts))
        }
    }

    /// A tool call's arguments as a JSON object, for providers that carry them parsed.
    static func arguments(_ text: String) -> JSONValue {
        (try? JSONParser.parse(text)).flatMap { $0.objectValue != nil ? $0 : nil } ?? [:]
    }
}
