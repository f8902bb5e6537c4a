import EndpointModel

/// One model call's record, as listed in `attempts` on errors and in logs: never a key or a prompt.
public struct AttemptRecord: Sendable, Hashable, Codable {
    public var model: String
    /// `ok`, a failure class, `circuit_open` or `unconfigured`.
    public var outcome: String
    public var ms: Int

    static let circuitOpen = "circuit_open"
    static let unconfigured = "unconfigured"

    var isCall: Bool { outcome != Self.circuitOpen && outcome != Self.unconfigured }
}

/// What a chain that answered returns.
struct ChainAnswer: Sendable {
    var output: JSONValue
    var model: String
    var usage: TokenUsage
    var attempts: [AttemptRecord]
    var calls: Int { attempts.count { $0.isCall } }
}

/// Why a chain gave no answer; each maps to one status of the contract.
enum ChainFailure: Error, Sendable {
    /// 502: every model failed, or one failed with a class `fallback.on` does not list.
    case upstreamFailed(message: String, attempts: [AttemptRecord])
    /// 503: every model was skipped; `retryAfterMs` when a circuit will half-open.
    case noHealthyUpstream(attempts: [AttemptRecord], retryAfterMs: Int?)
    /// 504: the request's deadline ran out.
    case deadlineExceeded(attempts: [AttemptRecord])
}

/// Runs one request through an endpoint's chain (gateway-contract.md, The fallback chain):
/// models in order, `1 + retries` attempts each with backoff and jitter, `Retry-After` when it
/// fits the deadline, a per-attempt timeout inside the request's deadline, `fallback.on`,
/// circuit breakers, and unconfigured models skipped.
struct FallbackChain: Sendable {
    typealias Attempt = @Sendable (ChainStep, Duration) async throws(AttemptFailure) -> (JSONValue, TokenUsage)

    let steps: [ChainStep]
    let policy: FallbackPolicy
    let breakers: CircuitBreakerRegistry
    let backoff: Backoff

    /// Failures that say a model is unhealthy and count towards opening its circuit. A bad
    /// request, a refusal or an answer that breaks the schema says nothing about its health.
    static let breakerFailures: Set<FailureClass> = [.connection, .timeout, .rateLimit, .serverError, .auth]

    /// `affinity` keeps one consumer on one member of a `hash` pool.
    func run(_ attempt: Attempt, affinity: String = "", onAttempt: @Sendable (AttemptRecord) -> Void = { _ in }) async throws -> ChainAnswer {
        let clock = ContinuousClock()
        let deadline = clock.now + .milliseconds(policy.deadlineMs)
        var records: [AttemptRecord] = []
        var soonestHalfOpenMs: Int?
        var lastFailure: (model: String, failure: AttemptFailure)?

        func record(_ model: String, _ outcome: String, since start: ContinuousClock.Instant?) {
            let entry = AttemptRecord(model: model, outcome: outcome, ms: start.map { (clock.now - $0).milliseconds } ?? 0)
            records.append(entry)
            onAttempt(entry)
        }

        for step in steps {
            guard step.isConfigured else {
                record(step.model, AttemptRecord.unconfigured, since: nil)
                continue
            }
            let tries = 1 + (step.retries ?? policy.retries)
            tryLoop: for tryIndex in 0..<tries {
                try Task.checkCancellation()
                // The model this try calls: the step's own, or the member its pool picks, whose
                // breaker has already let the call through.
                let target: ChainStep
                var poolMember: Int?
                if let pool = step.pool {
                    switch pool.choose(affinity: affinity, breakers: breakers) {
                    case .member(let index, let member):
                        target = member
                        poolMember = index
                    case .none(let retryAfterMs):
                        if tryIndex == 0 { record(step.model, AttemptRecord.circuitOpen, since: nil) }
                        if let retryAfterMs { soonestHalfOpenMs = min(soonestHalfOpenMs ?? .max, retryAfterMs) }
                        break tryLoop
                    }
                } else {
                    if case .open(let retryAfterMs) = breakers.permission(for: step.model) {
                        if tryIndex == 0 { record(step.model, AttemptRecord.circuitOpen, since: nil) }
                        soonestHalfOpenMs = min(soonestHalfOpenMs ?? .max, retryAfterMs)
                        break tryLoop
                    }
                    target = step
                }
                // A pool counts the member busy for the call only, not for the backoff after it.
                func release() {
                    if let member = poolMember { step.pool?.finished(member) }
                    poolMember = nil
                }
                defer { release() }
                let remaining = deadline - clock.now
                guard remaining > .zero else {
                    breakers.recordNeutral(target.model)
                    throw ChainFailure.deadlineExceeded(attempts: records)
                }
                let stepTimeout = Duration.milliseconds(step.timeoutMs ?? policy.timeoutMs)
                let cutByDeadline = remaining < stepTimeout
                let start = clock.now
                do throws(AttemptFailure) {
                    let (output, usage) = try await attempt(target, cutByDeadline ? remaining : stepTimeout)
                    release()
                    breakers.recordSuccess(target.model)
                    record(target.model, "ok", since: start)
                    return ChainAnswer(output: output, model: target.model, usage: usage, attempts: records)
                } catch {
                    release()
                    if Task.isCancelled {
                        breakers.recordNeutral(target.model)
                        throw CancellationError()
                    }
                    record(target.model, error.failureClass.rawValue, since: start)
                    if Self.breakerFailures.contains(error.failureClass) {
                        breakers.recordFailure(target.model)
                    } else {
                        breakers.recordNeutral(target.model)
                    }
                    lastFailure = (target.model, error)
                    if error.failureClass == .timeout, cutByDeadline {
                        throw ChainFailure.deadlineExceeded(attempts: records)
                    }
                    guard policy.on.contains(error.failureClass) else {
                        throw ChainFailure.upstreamFailed(
                            message: "\(target.model) failed with \(error.failureClass.rawValue), which fallback.on does not list",
                            attempts: records)
                    }
                    guard tryIndex + 1 < tries else { break tryLoop }
                    // Wait before the next try on this model: the provider's Retry-After when it
                    // fits the deadline (else leave this model), or backoff with jitter.
                    let left = deadline - clock.now
                    let wait: Duration
                    if let retryAfterMs = error.retryAfterMs {
                        guard Duration.milliseconds(retryAfterMs) < left else { break tryLoop }
                        wait = .milliseconds(retryAfterMs)
                    } else {
                        wait = min(backoff.delay(beforeRetry: tryIndex + 1), left)
                    }
                    try await Task.sleep(for: wait)
                }
            }
        }
        if !records.contains(where: \.isCall) {
            throw ChainFailure.noHealthyUpstream(attempts: records, retryAfterMs: soonestHalfOpenMs)
        }
        let summary = lastFailure.map { "every model failed; the last, \($0.model), with \($0.failure.failureClass.rawValue)" } ?? "every model failed"
        throw ChainFailure.upstreamFailed(message: summary, attempts: records)
    }
}

/// Exponential backoff with jitter between tries on the same model: the n-th retry waits
/// between half and all of `base * 2^(n-1)`, at most `cap`.
struct Backoff: Sendable {
    var baseMs = 200
    var capMs = 5_000

    func delay(beforeRetry retry: Int) -> Duration {
        let exponent = min(max(retry - 1, 0), 20)
        let ceiling = min(capMs, baseMs << exponent)
        return .milliseconds(Int.random(in: (ceiling / 2)...max(ceiling / 2, ceiling)))
    }
}
