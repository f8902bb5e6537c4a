/// The circuit of one `provider/model` (gateway-contract.md, The fallback chain; Limits,
/// timeouts and failure accounting), as a state machine over instants a caller supplies, so
/// that tests drive it with a clock of their own.
///
/// Every permission comes with a `Ticket` naming the state it was given in. An outcome only
/// moves the circuit when its ticket belongs to the current state: a call that started before
/// the circuit opened, or while it was half-open but was not the trial, decides nothing. So a
/// half-open circuit is decided by exactly one call, its trial.
struct CircuitBreaker: Sendable, Equatable {
    enum State: Sendable, Equatable {
        case closed(consecutiveFailures: Int)
        case open(until: ContinuousClock.Instant)
        case halfOpen(trialInFlight: Bool)
    }

    /// Proof of a permission: the state's generation, and whether it is the half-open trial.
    struct Ticket: Sendable, Hashable {
        var generation: UInt64
        var isTrial: Bool
    }

    enum Permission: Sendable, Equatable {
        case allowed(Ticket)
        /// Skipped; the circuit may let a call through after this many milliseconds.
        case open(retryAfterMs: Int)

        var isAllowed: Bool { if case .allowed = self { true } else { false } }
    }

    enum Outcome: Sendable {
        case success
        /// A failure that says the model is unhealthy.
        case failure
        /// Tells nothing of the model's health (cancelled, a bad request, our own queue).
        case neutral
    }

    /// A change that other replicas and alerts hear of.
    enum Transition: Sendable, Equatable {
        case opened
        case closed
    }

    /// While a trial is out, others wait about this long before asking again.
    static let trialRetryAfterMs = 1000

    let failureThreshold: Int
    let openFor: Duration
    private(set) var state: State = .closed(consecutiveFailures: 0)
    /// Grows with every change of state; tickets of an earlier generation are stale.
    private(set) var generation: UInt64 = 0

    init(failureThreshold: Int, openFor: Duration) {
        self.failureThreshold = max(1, failureThreshold)
        self.openFor = openFor
    }

    mutating func permission(now: ContinuousClock.Instant) -> Permission {
        switch state {
        case .closed:
            return .allowed(Ticket(generation: generation, isTrial: false))
        case .open(let until):
            guard now >= until else { return .open(retryAfterMs: max(1, (until - now).milliseconds)) }
            move(to: .halfOpen(trialInFlight: true))
            return .allowed(Ticket(generation: generation, isTrial: true))
        case .halfOpen(let trialInFlight):
            if trialInFlight { return .open(retryAfterMs: Self.trialRetryAfterMs) }
            state = .halfOpen(trialInFlight: true)
            return .allowed(Ticket(generation: generation, isTrial: true))
        }
    }

    /// Moves the circuit by a call's outcome; says when that opened or closed it.
    @discardableResult
    mutating func record(_ outcome: Outcome, ticket: Ticket, now: ContinuousClock.Instant) -> Transition? {
        guard ticket.generation == generation else { return nil }
        switch (state, outcome) {
        case (.closed, .success):
            state = .closed(consecutiveFailures: 0)
        case (.closed(let failures), .failure):
            if failures + 1 >= failureThreshold {
                move(to: .open(until: now + openFor))
                return .opened
            }
            state = .closed(consecutiveFailures: failures + 1)
        case (.halfOpen, .success) where ticket.isTrial:
            move(to: .closed(consecutiveFailures: 0))
            return .closed
        case (.halfOpen, .failure) where ticket.isTrial:
            move(to: .open(until: now + openFor))
        case (.halfOpen, .neutral) where ticket.isTrial:
            // The trial told nothing: the next caller gets to try.
            state = .halfOpen(trialInFlight: false)
        default:
            break
        }
        return nil
    }

    /// Another replica opened this model's circuit (gateway-contract.md, Cluster): a closed
    /// circuit opens for `openFor` as if it had failed here, and then half-opens on its own. An
    /// open or half-open one is left as it is. Says whether it opened.
    mutating func openFromElsewhere(now: ContinuousClock.Instant) -> Bool {
        guard case .closed = state else { return false }
        move(to: .open(until: now + openFor))
        return true
    }

    private mutating func move(to newState: State) {
        state = newState
        generation &+= 1
    }
}
