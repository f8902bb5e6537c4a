import Synchronization

/// One routed request, as `promptc usage` reads it back (gateway-contract.md, Usage and cost
/// records). Never a key or a prompt.
public struct UsageRecord: Sendable, Hashable {
    /// Unique per record: a store ignores a record it already holds, so a retried batch is
    /// never counted twice.
    public var id: String
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
    /// The front the request came by: `rest`, `sse` (a streamed answer), `chat` (the
    /// OpenAI-compatible API) or `mcp`; nil in records written before promptc kept it.
    public var via: String?

    public init(
        timeMs: Int64, requestID: String, endpoint: String, consumer: String?, model: String?, attempts: Int, status: Int,
        inputTokens: Int, outputTokens: Int, costUSD: Double, latencyMs: Int, cache: String?, fellBack: Bool,
        via: String? = nil, id: String = UsageRecord.newID()
    ) {
        self.id = id
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
        self.via = via
    }

    /// A random 64-bit prefix per process, then a counter, in hex: unique across processes
    /// (replicas writing one PostgreSQL table) without a system call per record.
    public static func newID() -> String {
        let count = idCounter.add(1, ordering: .relaxed).newValue
        return idPrefix + hex(count)
    }

    private static let idPrefix = hex(UInt64.random(in: .min ... .max))
    private static let idCounter = Atomic<UInt64>(0)

    private static func hex(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}
