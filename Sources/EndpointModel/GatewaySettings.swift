import Foundation

/// What `promptc.yaml` tells the gateway, checked by the compiler and with every default
/// filled in. Keys never appear here, only the names of the variables that hold them.
public struct GatewaySettings: Sendable, Hashable {
    /// Every provider a model may name, by name: the built-in ones, overridden or joined by
    /// those in `promptc.yaml`.
    public var providers: [String: ProviderDefinition]
    public var circuitBreaker: CircuitBreakerSettings
    /// Request bodies over this size are answered with 413.
    public var maxBodyBytes: Int
    public var host: String?
    public var port: Int?
    /// `usage.database`: where usage records go; nil for the default, `promptc-usage.sqlite`.
    public var usageDatabase: String?
    /// `shared.database`: the PostgreSQL that replicas share limits, budgets and circuit
    /// openings through (gateway-contract.md, Cluster); usage records go there too unless
    /// `usage.database` says otherwise.
    public var sharedDatabase: String?
    /// `usage.journal`: the directory each usage record is appended to before its answer is
    /// sent; nil for the default, `promptc-usage.journal` beside the project.
    public var usageJournal: String?
    /// `usage.journal: false` turns the journal off.
    public var usageJournalEnabled = true
    /// Prices by `provider/model`, for costs in metrics and usage records.
    public var pricing: [String: ModelPrice] = [:]
    /// The response cache's bound, in bytes (`cache_max_bytes`).
    public var cacheMaxBytes: Int = 64 << 20
    /// Pools by name, for chain steps that name `pool/NAME`.
    public var pools: [String: PoolDefinition] = [:]
    /// `hedge_budget`: hedges may add at most this fraction of the calls of the last minute.
    public var hedgeBudget: Double = 0.05
    /// `trusted_proxies`: peers whose `X-Forwarded-For` names the client (addresses or CIDRs).
    public var trustedProxies: [String] = []
    /// Who may call the endpoints; none means every endpoint is open.
    public var consumers: [Consumer] = []
    /// SHA-256 (hex) of the key that guards `/admin/*`.
    public var adminKeySHA256: String?
    /// `limits:`: what any one client may hold of the gateway.
    public var limits = ClientLimits()
    /// `upstream:`: the connections to providers.
    public var upstream = UpstreamSettings()
    /// `model_groups:`: the names callers of `/v1/chat/completions` send as `model`.
    public var modelGroups: [String: ModelGroup] = [:]
    /// `portal:`: whether `/portal` (and `/`) serve the developer portal.
    public var portal = true
    /// `cors.origins`: the origins (`https://app.example.com`) whose pages may call the
    /// endpoints; empty sends no CORS headers.
    public var corsOrigins: [String] = []
    /// `alerts:`: webhooks and when alerts are raised.
    public var alerts = AlertSettings()

    public static let defaultMaxBodyBytes = 1 << 20

    public init(
        providers: [String: ProviderDefinition] = Dictionary(uniqueKeysWithValues: ProviderDefinition.builtIn.map { ($0.name, $0) }),
        circuitBreaker: CircuitBreakerSettings = CircuitBreakerSettings(),
        maxBodyBytes: Int = defaultMaxBodyBytes, host: String? = nil, port: Int? = nil
    ) {
        self.providers = providers
        self.circuitBreaker = circuitBreaker
        self.maxBodyBytes = maxBodyBytes
        self.host = host
        self.port = port
    }
}

/// `circuit_breaker:` in promptc.yaml: after `failureThreshold` consecutive failures a model's
/// circuit opens for `openMs`, then lets one trial call through.
public struct CircuitBreakerSettings: Sendable, Hashable {
    public var failureThreshold: Int
    public var openMs: Int

    public init(failureThreshold: Int = 5, openMs: Int = 30_000) {
        self.failureThreshold = failureThreshold
        self.openMs = openMs
    }
}

/// One entry of `consumers:` in promptc.yaml: who may call, known by the SHA-256 of its key
/// (the key itself is never stored), what it may call, and how often.
public struct Consumer: Sendable, Hashable {
    public var name: String
    /// SHA-256 of the key: 64 lower-case hex digits.
    public var keySHA256: String
    /// The endpoints it may call; nil for every endpoint.
    public var endpoints: [String]?
    public var rateLimit: RequestRate?
    /// Model tokens (input + output) per minute.
    public var tokensPerMinute: Int?
    /// `budget: { usd, per }`: the most it may spend per calendar period.
    public var budget: Budget?

    public init(name: String, keySHA256: String, endpoints: [String]? = nil, rateLimit: RequestRate? = nil, tokensPerMinute: Int? = nil) {
        self.name = name
        self.keySHA256 = keySHA256
        self.endpoints = endpoints
        self.rateLimit = rateLimit
        self.tokensPerMinute = tokensPerMinute
    }
}

/// `budget: { usd: 100, per: month }`: what a consumer may spend per calendar period (UTC),
/// counted from the same costs as usage records.
public struct Budget: Sendable, Hashable {
    public enum Period: String, Sendable, Hashable, CaseIterable {
        case day, week, month
    }

    public var usd: Double
    public var per: Period

    public init(usd: Double, per: Period) {
        self.usd = usd
        self.per = per
    }
}

/// `rate_limit: 120/min`: at most `requests` per `periodSeconds`.
public struct RequestRate: Sendable, Hashable {
    public var requests: Int
    public var periodSeconds: Int

    public init(requests: Int, periodSeconds: Int) {
        self.requests = requests
        self.periodSeconds = periodSeconds
    }

    /// `N/s`, `N/min` or `N/h`, N at least 1.
    public init?(_ text: String) {
        let parts = text.split(separator: "/", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
        guard parts.count == 2, let requests = Int(parts[0]), requests >= 1 else { return nil }
        switch parts[1] {
        case "s": periodSeconds = 1
        case "min": periodSeconds = 60
        case "h": periodSeconds = 3600
        default: return nil
        }
        self.requests = requests
    }
}

/// `pools:` in promptc.yaml: models that share one step of a chain, chosen by `strategy`.
public struct PoolDefinition: Sendable, Hashable {
    public enum Strategy: String, Sendable, Hashable, CaseIterable {
        case roundRobin = "round_robin"
        case leastBusy = "least_busy"
        case weighted
        case hash
        /// Peak-EWMA latency with the power of two random choices.
        case lowestLatency = "lowest_latency"
    }

    /// What `hash` goes by.
    public enum HashBy: Sendable, Hashable {
        case consumer
        /// The peer's address, or `X-Forwarded-For`'s first when the peer is a trusted proxy.
        case clientIP
        /// A request header's value (lowercased name).
        case header(String)
    }

    public struct Member: Sendable, Hashable {
        /// `provider/model`.
        public var model: String
        public var weight: Int

        public init(model: String, weight: Int = 1) {
            self.model = model
            self.weight = weight
        }
    }

    public var name: String
    public var strategy: Strategy
    public var members: [Member]
    public var hashBy: HashBy = .consumer

    public init(name: String, strategy: Strategy, members: [Member]) {
        self.name = name
        self.strategy = strategy
        self.members = members
    }
}

/// A model's price in `pricing:`, in US dollars per million tokens.
public struct ModelPrice: Sendable, Hashable {
    public var inputPerMillion: Double
    public var outputPerMillion: Double

    public init(inputPerMillion: Double, outputPerMillion: Double) {
        self.inputPerMillion = inputPerMillion
        self.outputPerMillion = outputPerMillion
    }

    public func cost(input: Int, output: Int) -> Double {
        (Double(input) * inputPerMillion + Double(output) * outputPerMillion) / 1_000_000
    }
}

/// `limits:` in promptc.yaml (gateway-contract.md, Limits, timeouts and failure accounting).
public struct ClientLimits: Sendable, Hashable {
    /// Client connections served at once; more wait in the accept backlog.
    public var maxConnections = 4096
    /// A request's head and body must arrive within this, else 408 and the connection closes.
    public var clientTimeoutMs = 30_000
    /// A keep-alive connection idle this long is closed.
    public var idleTimeoutMs = 75_000
    /// A 400 lists at most this many violations, then says how many more.
    public var maxErrorDetails = 100

    public init() {}
}

/// `upstream:` in promptc.yaml: the pool of connections to each provider host.
public struct UpstreamSettings: Sendable, Hashable {
    /// Connections to one provider host; further calls wait for one (breaker-neutral).
    public var maxConnectionsPerHost = 1000
    public var connectTimeoutMs = 2000

    public init() {}
}

/// A model group of `promptc.yaml` (gateway-contract.md, The OpenAI-compatible API): a chain of
/// models and its fallback policy, called by name through `/v1/chat/completions`.
public struct ModelGroup: Sendable, Hashable {
    public var name: String
    public var models: [EndpointDefinition.ModelStep]
    public var fallback: FallbackPolicy

    public init(name: String, models: [EndpointDefinition.ModelStep], fallback: FallbackPolicy = FallbackPolicy()) {
        self.name = name
        self.models = models
        self.fallback = fallback
    }
}
