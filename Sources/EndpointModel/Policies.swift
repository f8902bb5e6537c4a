/// Why a model attempt failed (spec-format.md, Failure classes). `fallback.on` lists the
/// classes that move on to the next try; the others end the request.
public enum FailureClass: String, Sendable, Codable, CaseIterable {
    case connection
    case timeout
    case rateLimit = "rate_limit"
    case serverError = "server_error"
    case auth
    case badRequest = "bad_request"
    case invalidOutput = "invalid_output"
    case refusal
}

/// Durations in specs: an integer followed by `ms`, `s`, `m` or `h` (`h` because the
/// contract's cache example uses `stale_if_error: 24h`).
public enum DurationText {
    /// Milliseconds, or nil when the text is not a duration.
    public static func milliseconds(_ text: String) -> Int? {
        let units: [(suffix: String, factor: Int)] = [("ms", 1), ("s", 1000), ("m", 60_000), ("h", 3_600_000)]
        for unit in units where text.hasSuffix(unit.suffix) {
            let digits = text.dropLast(unit.suffix.count)
            guard !digits.isEmpty, digits.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
                  let value = Int(digits) else { return nil }
            let (product, overflow) = value.multipliedReportingOverflow(by: unit.factor)
            return overflow ? nil : product
        }
        return nil
    }
}

/// Model parameters, the spec's `parameters` and each model's own.
public struct ModelParameters: Sendable, Hashable, Codable {
    public var temperature: Double?
    public var topP: Double?
    public var maxTokens: Int?
    public var stop: [String]?
    public var seed: Int?

    public static let names = ["temperature", "top_p", "max_tokens", "stop", "seed"]

    public init(temperature: Double? = nil, topP: Double? = nil, maxTokens: Int? = nil, stop: [String]? = nil, seed: Int? = nil) {
        self.temperature = temperature
        self.topP = topP
        self.maxTokens = maxTokens
        self.stop = stop
        self.seed = seed
    }

    /// These parameters with the ones `overrides` sets taking their place.
    public func merged(with overrides: ModelParameters) -> ModelParameters {
        ModelParameters(
            temperature: overrides.temperature ?? temperature, topP: overrides.topP ?? topP,
            maxTokens: overrides.maxTokens ?? maxTokens, stop: overrides.stop ?? stop, seed: overrides.seed ?? seed)
    }

    enum CodingKeys: String, CodingKey {
        case temperature, seed, stop
        case topP = "top_p"
        case maxTokens = "max_tokens"
    }
}

/// The spec's `fallback`, with its defaults filled in.
public struct FallbackPolicy: Sendable, Hashable, Codable {
    public var on: [FailureClass]
    public var retries: Int
    public var timeoutMs: Int
    public var deadlineMs: Int
    /// Streaming only: how long a model may take to send its first token; nil means `timeoutMs`.
    public var firstTokenTimeoutMs: Int?
    /// When a request's first attempt has not answered by then, one more starts on the next
    /// model (gateway-contract.md, Tail latency); nil: no hedging.
    public var hedgeAfter: HedgeAfter?

    public static let defaultTimeoutMs = 30_000
    public static let defaultDeadlineMs = 60_000

    public init(on: [FailureClass] = FailureClass.allCases, retries: Int = 0,
                timeoutMs: Int = defaultTimeoutMs, deadlineMs: Int = defaultDeadlineMs, firstTokenTimeoutMs: Int? = nil) {
        self.firstTokenTimeoutMs = firstTokenTimeoutMs
        self.on = on
        self.retries = retries
        self.timeoutMs = timeoutMs
        self.deadlineMs = deadlineMs
    }

    enum CodingKeys: String, CodingKey {
        case on, retries
        case timeoutMs = "timeout_ms"
        case deadlineMs = "deadline_ms"
        case firstTokenTimeoutMs = "first_token_timeout_ms"
        case hedgeAfter = "hedge_after"
    }
}

/// `fallback.hedge_after`: a fixed wait, or the endpoint's own recent p95 latency on the model.
public enum HedgeAfter: Sendable, Hashable, Codable {
    case milliseconds(Int)
    case p95
}

/// The spec's `cache`.
public struct CachePolicy: Sendable, Hashable, Codable {
    public var ttlMs: Int?
    public var staleIfErrorMs: Int?

    public init(ttlMs: Int? = nil, staleIfErrorMs: Int? = nil) {
        self.ttlMs = ttlMs
        self.staleIfErrorMs = staleIfErrorMs
    }

    enum CodingKeys: String, CodingKey {
        case ttlMs = "ttl_ms"
        case staleIfErrorMs = "stale_if_error_ms"
    }
}
