import EndpointModel

/// One call to one model: the rendered prompt and what the answer must look like.
public struct ModelCall: Sendable {
    /// The model's name at its provider (`gpt-4o-mini`), without the provider prefix.
    public var model: String
    public var system: String?
    public var user: String
    public var parameters: ModelParameters
    /// The endpoint's name, used to name the output schema or tool for the provider.
    public var endpointName: String
    public var output: FieldSchema
    /// Example outputs from the spec, for the mock provider.
    public var exampleOutputs: [JSONValue]
    /// Example outputs by their rendered user prompt, for the mock provider.
    public var exampleAnswers: [String: JSONValue] = [:]
}

/// What a provider answered: the model's text, meant to be one JSON object, and the tokens
/// the provider counted.
public struct ModelAnswer: Sendable, Hashable {
    public var text: String
    public var usage: TokenUsage

    public init(text: String, usage: TokenUsage) {
        self.text = text
        self.usage = usage
    }
}

public struct TokenUsage: Sendable, Hashable {
    public var input: Int
    public var output: Int

    /// No provider's answer counts more than this many tokens; counts come from outside, and
    /// rate limits, metrics and usage records add them up.
    public static let maximumCount = 1_000_000_000

    /// Counts are clamped to `0...maximumCount`: a provider that answers a negative or huge
    /// count must not make the sums overflow.
    public init(input: Int = 0, output: Int = 0) {
        self.input = min(max(input, 0), Self.maximumCount)
        self.output = min(max(output, 0), Self.maximumCount)
    }
}

/// Why one attempt failed, classified for `fallback.on`. `message` is for logs and never
/// carries a key or prompt text.
public struct AttemptFailure: Error, Sendable, Hashable {
    public var failureClass: FailureClass
    public var message: String
    /// From the provider's `Retry-After` (or `retry-after-ms`), in milliseconds.
    public var retryAfterMs: Int?
    /// Whether the failure says the model is unhealthy and counts towards opening its circuit.
    /// A bad request, a refusal or an answer that breaks the schema says nothing about its
    /// health; neither does a wait for one of the gateway's own connections.
    public var countsTowardsCircuit: Bool
    /// What the provider said about it (its error message), kept apart from `message`: it may
    /// quote the request, so it is logged only with `--log-prompts`.
    public var providerMessage: String?
    /// Whether another try on the same model may help; OpenAI's `insufficient_quota` will not
    /// go away within a request.
    public var retrySameModel = true
    /// The client already has part of this model's answer (a streamed chat completion): no other
    /// model may take over, so the chain ends here whatever `fallback.on` says.
    public var endsChain = false

    /// Failures that say a model is unhealthy.
    static let healthFailures: Set<FailureClass> = [.connection, .timeout, .rateLimit, .serverError, .auth]

    public init(_ failureClass: FailureClass, _ message: String, retryAfterMs: Int? = nil) {
        self.failureClass = failureClass
        self.message = message
        self.retryAfterMs = retryAfterMs
        countsTowardsCircuit = Self.healthFailures.contains(failureClass)
    }
}
