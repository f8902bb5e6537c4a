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
