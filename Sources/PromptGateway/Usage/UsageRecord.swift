/// One routed request, as `promptc usage` reads it back (gateway-contract.md, Usage and cost
/// records). Never a key or a prompt.
public struct UsageRecord: Sendable, Hashable {
    /// Milliseconds since 1970, when the request came in.
    public var timeMs: Int64
    public var requestID: String
    public var endpoint: String
    public var consumer: String?
    /// The model that answered, if one did.
    public var model: String?
    public var attempts: Int
    public var status: Int
    public var inputTokens: Int
    public var outputTokens: Int
    public var costUSD: Double
    public var latencyMs: Int
    /// `hit`, `miss` or `stale`; nil for an endpoint without a cache.
    public var cache: String?
    /// Whether a model other than the chain's first answered.
    public var fellBack: Bool

    public init(
        timeMs: Int64, requestID: String, endpoint: String, consumer: String?, model: String?, attempts: Int, status: Int,
        inputTokens: Int, outputTokens: Int, costUSD: Double, latencyMs: Int, cache: String?, fellBack: Bool
    ) {
        self.timeMs = timeMs
        self.requestID = requestID
        self.endpoint = endpoint
        self.consumer = consumer
        self.model = model
        self.attempts = attempts
        self.status = status
        self.inputTokens = inputTokens
        self.outputTokens = outputTokens
        self.costUSD = costUSD
        self.latencyMs = latencyMs
        self.cache = cache
        self.fellBack = fellBack
    }
}
