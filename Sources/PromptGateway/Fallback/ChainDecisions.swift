import EndpointModel

/// The fallback chain's decisions (gateway-contract.md, The fallback chain), apart from the I/O
/// that carries them out: which step to try next and with what timeout, how long to wait before
/// a retry, when to leave a model, and when to give up and with which failure. Time comes in as
/// instants, so tests drive it with a clock of their own; `FallbackChain` runs it.
struct ChainDecisions: Sendable {
    /// What one step of the chain allows.
    struct Step: Sendable {
        var model: String
        var isConfigured: Bool
        var tries: Int
        var timeout: Duration
    }

    enum Action: Sendable, Equatable {
        /// Call step `step`; `timeout` is the step's own, or what is left of the deadline.
        case attempt(step: Int, timeout: Duration)
        /// Wait before the next try on the same model.
        case wait(Duration)
        /// Give up.
        case fail(ChainFailure)
    }

    private let steps: [Step]
    private let on: Set<FailureClass>
    private let deadline: ContinuousClock.Instant
    private let backoff: Backoff
    private var stepIndex = 0
    private var tryIndex = 0
    private var pendingWait: Duration?
    private var soonestHalfOpenMs: Int?
    private var lastFailure: (model: String, failureClass: FailureClass)?
    /// Every attempt so far, skipped steps included.
    private(set) var records: [AttemptRecord] = []

    init(steps: [Step], on: Set<FailureClass>, deadline: ContinuousClock.Instant, backoff: Backoff) {
        self.steps = steps
        self.on = on
        self.deadline = deadline
        self.backoff = backoff
    }

    mutating func next(now: ContinuousClock.Instant) -> Action {
        if let wait = pendingWait {
            pendingWait = nil
            return .wait(wait)
        }
        while stepIndex < steps.count {
            let step = steps[stepIndex]
            guard step.isConfigured else {
                records.append(AttemptRecord(model: step.model, outcome: AttemptRecord.unconfigured, ms: 0))
                advance()
                continue
            }
            guard tryIndex < step.tries else {
                advance()
                continue
            }
            let remaining = deadline - now
            guard remaining > .zero else { return .fail(.deadlineExceeded(attempts: records)) }
            return .attempt(step: stepIndex, timeout: min(step.timeout, remaining))
        }
        if !records.contains(where: \.isCall) {
            return .fail(.noHealthyUpstream(attempts: records, retryAfterMs: soonestHalfOpenMs))
        }
        let summary = lastFailure.map { "every model failed; the last, \($0.model), with \($0.failureClass.rawValue)" } ?? "every model failed"
        return .fail(.upstreamFailed(message: summary, attempts: records))
    }

    /// The step's circuit (or every member's, for a pool) let no call through: leave it.
    mutating func skipped(retryAfterMs: Int?) {
        if tryIndex == 0 { records.append(AttemptRecord(model: steps[stepIndex].model, outcome: AttemptRecord.circuitOpen, ms: 0)) }
        if let retryAfterMs { soonestHalfOpenMs = min(soonestHalfOpenMs ?? .max, retryAfterMs) }
        advance()
    }

    /// `model` (the step's, or its pool member's) answered.
    mutating func succeeded(model: String, ms: Int) {
        records.append(AttemptRecord(model: model, outcome: "ok", ms: ms))
    }

    /// What is left of the request's deadline.
    func timeLeft(now: ContinuousClock.Instant) -> Duration { max(deadline - now, .zero) }

    /// Whether a model has been called yet: only a request's first call is hedged.
    var hasCalled: Bool { records.contains(where: \.isCall) }

    /// A call of a hedged race ended: `ok`, `hedged` (cancelled: the other answered first) or a
    /// failure class. A raced step is not retried.
    mutating func raced(model: String, outcome: String, ms: Int) {
        records.append(AttemptRecord(model: model, outcome: outcome, ms: ms))
        if let failureClass = FailureClass(rawValue: outcome) { lastFailure = (model, failureClass) }
    }

    /// Neither call of a race answered: the failure that ends the chain, if one of them does;
    /// else the chain goes on after `step`, the later of the two.
    mutating func raceFailed(_ failures: [(model: String, failure: AttemptFailure)], through step: Int, now: ContinuousClock.Instant) -> ChainFailure? {
        for (model, failure) in failures {
            if let terminal = terminal(model: model, failure, now: now) { return terminal }
        }
        stepIndex = step + 1
        tryIndex = 0
        return nil
    }

    /// The failure that ends the chain at once when `model` failed with `failure`, if any.
    private func terminal(model: String, _ failure: AttemptFailure, now: ContinuousClock.Instant) -> ChainFailure? {
        // A timeout ends the request as 504 only when the deadline itself has run out; a
        // provider's own 408 with time left moves on like any other timeout.
        if failure.failureClass == .timeout, now >= deadline { return .deadlineExceeded(attempts: records) }
        if failure.endsChain {
            return .upstreamFailed(
                message: "\(model) failed with \(failure.failureClass.rawValue) after its answer had begun to stream", attempts: records)
        }
        guard on.contains(failure.failureClass) else {
            return .upstreamFailed(
                message: "\(model) failed with \(failure.failureClass.rawValue), which fallback.on does not list", attempts: records)
        }
        return nil
    }

    /// `model` failed; returns the failure that ends the chain, if it ends here.
    mutating func failed(model: String, _ failure: AttemptFailure, ms: Int, now: ContinuousClock.Instant) -> ChainFailure? {
        records.append(AttemptRecord(model: model, outcome: failure.failureClass.rawValue, ms: ms))
        lastFailure = (model, failure.failureClass)
        if let terminal = terminal(model: model, failure, now: now) { return terminal }
        tryIndex += 1
        guard failure.retrySameModel, tryIndex < steps[stepIndex].tries else {
            advance()
            return nil
        }
        // Before the next try on this model: the provider's Retry-After when it fits the
        // deadline (else leave this model), or backoff with jitter.
        let left = deadline - now
        if let retryAfterMs = failure.retryAfterMs {
            guard Duration.milliseconds(retryAfterMs) < left else {
                advance()
                return nil
            }
            pendingWait = .milliseconds(retryAfterMs)
        } else {
            pendingWait = min(backoff.delay(beforeRetry: tryIndex), left)
        }
        return nil
    }

    private mutating func advance() {
        stepIndex += 1
        tryIndex = 0
    }
}
