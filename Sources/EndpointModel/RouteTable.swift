/// The route table, `Generated/routes.json`: what `promptc compile` writes and `promptc serve`
/// loads. Its keys are snake_case, as in the rest of the contract.
public struct RouteTable: Sendable, Hashable, Codable {
    public static let currentFormat = "promptc-routes/1"

    public var format: String
    public var endpoints: [EndpointDefinition]

    public init(endpoints: [EndpointDefinition]) {
        self.format = Self.currentFormat
        self.endpoints = endpoints
    }
}

/// One endpoint, checked and with every default filled in: the compiler's IR.
public struct EndpointDefinition: Sendable, Hashable, Codable {
    public var name: String
    public var version: Int
    public var description: String
    public var method: String
    public var path: String
    /// The spec file it came from, as the compiler was given it.
    public var source: String
    /// SHA-256 (hex) of the spec file's bytes; part of the response cache key.
    public var specSHA256: String
    public var input: FieldSchema
    public var output: FieldSchema
    public var prompt: Prompt
    public var models: [ModelStep]
    public var parameters: ModelParameters
    public var fallback: FallbackPolicy
    public var cache: CachePolicy?
    /// Deprecation, sunset and retirement; nil for an endpoint that has none (and then absent
    /// from routes.json, so route tables written before it are read the same).
    public var lifecycle: Lifecycle?
    public var examples: [Example]
    /// The spec's top-level `x-` keys, carried through untouched.
    public var extensions: [String: JSONValue]

    public struct Prompt: Sendable, Hashable, Codable {
        public var system: String?
        public var user: String

        public init(system: String?, user: String) {
            self.system = system
            self.user = user
        }
    }

    /// One step of the fallback chain: a `provider/model`, or a pool as `pool/NAME`.
    public struct ModelStep: Sendable, Hashable, Codable {
        public var model: String
        public var provider: String
        public var name: String
        public var timeoutMs: Int?
        public var retries: Int?
        public var parameters: ModelParameters

        public init(model: String, provider: String, name: String, timeoutMs: Int?, retries: Int?, parameters: ModelParameters) {
            self.model = model
            self.provider = provider
            self.name = name
            self.timeoutMs = timeoutMs
            self.retries = retries
            self.parameters = parameters
        }

        public var isPool: Bool { provider == ProviderDefinition.poolPrefix }

        enum CodingKeys: String, CodingKey {
            case model, provider, name, retries, parameters
            case timeoutMs = "timeout_ms"
        }
    }

    public struct Example: Sendable, Hashable, Codable {
        public var input: JSONValue
        public var output: JSONValue

        public init(input: JSONValue, output: JSONValue) {
            self.input = input
            self.output = output
        }
    }

    public init(
        name: String, version: Int, description: String, method: String, path: String, source: String,
        specSHA256: String, input: FieldSchema, output: FieldSchema, prompt: Prompt, models: [ModelStep],
        parameters: ModelParameters, fallback: FallbackPolicy, cache: CachePolicy?, lifecycle: Lifecycle? = nil, examples: [Example],
        extensions: [String: JSONValue]
    ) {
        self.name = name
        self.version = version
        self.description = description
        self.method = method
        self.path = path
        self.source = source
        self.specSHA256 = specSHA256
        self.input = input
        self.output = output
        self.prompt = prompt
        self.models = models
        self.parameters = parameters
        self.fallback = fallback
        self.cache = cache
        self.lifecycle = lifecycle
        self.examples = examples
        self.extensions = extensions
    }

    enum CodingKeys: String, CodingKey {
        case name, version, description, method, path, source, input, output, prompt, models, parameters
        case fallback, cache, lifecycle, examples, extensions
        case specSHA256 = "spec_sha256"
    }
}
