import EndpointModel

/// One model call's record, as listed in `attempts` on errors and in logs: never a key or a prompt.
public struct AttemptRecord: Sendable, Hashable, Codable {
    public var model: String
    /// `ok`, a failure class, `circuit_open` or `unconfigured`.
    public var outcome: String
    public var ms: Int

    static let circuitOpen = "circuit_open"
    static let unconfigured = "unconfigured"
    /// A call cancelled because the other call of its hedged race answered first.
    static let hedged = "hedged"

    var isCall: Bool { outcome != Self.circuitOpen && outcome != Self.unconfigured }
}

/// What a chain that answered returns: a prompt endpoint's output, or a chat answer.
struct ChainResult<Output: Sendable>: Sendable {
    var output: Output
    var model: String
    var usage: TokenUsage
    var attempts: [AttemptRecord]
    /// For a hedged request: whether the hedge's answer won.
    var hedge: HedgeOutcome?
    /// The call that lost a hedged race, with the tokens it used as far as they can be known.
    var hedgeLoser: CallUsage?
    var calls: Int { attempts.count { $0.isCall } }
    /// The call that answered, as the request pays for it.
    var answered: CallUsage { CallUsage(model: model, tokens: usage) }
}

/// How a hedged request ended, for `promptc_hedges_total{outcome}`.
enum HedgeOutcome: String, Sendable {
    /// The hedge answered first.
    case won
    /// The first call answered first, and the hedge was cancelled.
    case lost
}

typealias ChainAnswer = ChainResult<JSONValue>

/// Why a chain gave no answer; each maps to one status of the contract.
enum ChainFailure: Error, Sendable, Equatable {
    /// 502: every model failed, or one failed with a class `fallback.on` does not list.
    case upstreamFailed(message: String, attempts: [AttemptRecord])
    /// 503: every model was skipped; `retryAfterMs` when a circuit will half-open.
    case noHealthyUpstream(attempts: [AttemptRecord], retryAfterMs: Int?)
    /// 504: the request's deadline ran out.
    case deadlineExceeded(attempts: [AttemptRecord])
}

/// Runs one request through an endpoint's chain: `ChainDecisions` says what to do next, and
/// this carries it out: asks the step's circuit (or its pool) for a ticket, calls the model,
/// reports the outcome to the circuit and to the decisions, and sleeps when told to wait. With
/// `fallback.hedge_after`, a request's first call may be raced against a hedge (`HedgedRace`).
struct FallbackChain: Sendable {

    let steps: [ChainStep]
    let policy: FallbackPolicy
    let breakers: CircuitBreakerRegistry
    let backoff: Backoff
    /// The gateway's `hedge_budget`; nil: this chain never hedges.
    var hedgeBudget: HedgeBudget?
    /// What `ChainDecisions` is given for each request, made once with the chain.
    private let decisionSteps: [ChainDecisions.Step]
    private let fallsBackOn: Set<FailureClass>

    init(steps: [ChainStep], policy: FallbackPolicy, breakers: CircuitBreakerRegistry, backoff: Backoff, hedgeBudget: HedgeBudget? = nil) {
        self.steps = steps
        self.policy = policy
        self.breakers = breakers
        self.backoff = backoff
        self.hedgeBudget = hedgeBudget
        decisionSteps = steps.map { step in
            ChainDecisions.Step(
                model: step.model, isConfigured: step.isConfigured, tries: 1 + (step.retries ?? policy.retries),
                timeout: .milliseconds(step.timeoutMs ?? policy.timeoutMs))
        }
        fallsBackOn = Set(policy.on)
    }

    /// `affinity` keeps one consumer on one member of a `hash` pool. `streamed`: the attempts
    /// stream to the client, so a hedged race is won by the first token (`StreamGate`).
    func run<Output: Sendable>(
        _ attempt: @escaping @Sendable (ChainStep, Duration) async throws(AttemptFailure) -> (Output, TokenUsage), affinity: ChainAffinity = "",
        streamed: Bool = false, onAttempt: @Sendable (AttemptRecord) -> Void = { _ in }
    ) async throws -> ChainResult<Output> {
        let clock = ContinuousClock()
        var decisions = ChainDecisions(
            steps: decisionSteps, on: fallsBackOn, deadline: clock.now + .milliseconds(policy.deadlineMs), backoff: backoff)
        let hedgeBudget = policy.hedgeAfter == nil ? nil : hedgeBudget
        var reported = 0
        func report() {
            for record in decisions.records.dropFirst(reported) { onAttempt(record) }
            reported = decisions.records.count
        }
        defer { report() }
        while true {
            try Task.checkCancellation()
            let action = decisions.next(now: clock.now)
            report()
            switch action {
            case .wait(let duration):
                try await Task.sleep(for: duration)
            case .fail(let failure):
                throw failure
            case .attempt(let index, let timeout):
                let lease: Lease
                switch Lease.acquire(steps[index], affinity: affinity, breakers: breakers) {
                case .lease(let granted): lease = granted
                case .refused(let retryAfterMs):
                    decisions.skipped(retryAfterMs: retryAfterMs)
                    continue
                }
                hedgeBudget?.countCall()
                if let hedgeBudget, !decisions.hasCalled, let wait = hedgeWait(lease.target) {
                    let race = HedgedRace(
                        chain: self, budget: hedgeBudget, affinity: affinity, attempt: attempt, gate: streamed ? StreamGate() : nil)
                    switch await race.run(first: lease, step: index, timeout: timeout, hedgeAfter: wait, decisions: &decisions) {
                    case .answered(let result):
                        return result
                    case .firstFailedAlone(let failure, let ms):
                        try settle(failure, of: lease, ms: ms, decisions: &decisions, now: clock.now)
                    case .bothFailed(let failure):
                        if let failure { throw failure }
                    }
                    continue
                }
                let start = clock.now
                do throws(AttemptFailure) {
                    let (output, usage) = try await attempt(lease.target, timeout)
                    let ms = (clock.now - start).milliseconds
                    lease.end(.success)
                    lease.target.latency.record(ms)
                    decisions.succeeded(model: lease.target.model, ms: ms)
                    return ChainResult(output: output, model: lease.target.model, usage: usage, attempts: decisions.records)
                } catch {
                    try settle(error, of: lease, ms: (clock.now - start).milliseconds, decisions: &decisions, now: clock.now)
                }
            }
        }
    }

    /// A failed call: its circuit and the decisions told; throws when the chain ends here.
    private func settle(_ failure: AttemptFailure, of lease: Lease, ms: Int, decisions: inout ChainDecisions, now: ContinuousClock.Instant) throws {
        guard !Task.isCancelled else {
            lease.end(.neutral)
            throw CancellationError()
        }
        lease.end(failure.countsTowardsCircuit ? .failure : .neutral)
        if failure.failureClass == .timeout { lease.target.latency.recordSlowFailure(ms) }
        if let ending = decisions.failed(model: lease.target.model, failure, ms: ms, now: now) { throw ending }
    }

    /// How long the first call may take before a hedge: `hedge_after`, or the model's recent p95
    /// on this endpoint (none until enough calls are known).
    private func hedgeWait(_ target: ChainStep) -> Duration? {
        switch policy.hedgeAfter {
        case .milliseconds(let ms)?: .milliseconds(ms)
        case .p95?: target.latency.p95Ms.map { .milliseconds($0) }
        case nil: nil
        }
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
