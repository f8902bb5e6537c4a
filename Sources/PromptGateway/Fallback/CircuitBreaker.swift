import EndpointModel
import Synchronization

/// One circuit breaker per `provider/model`: after `failureThreshold` consecutive failures it
/// opens for `openMs`, during which the model is skipped; then it lets one trial call through
/// (half-open), and that call's success closes it again while a failure re-opens it.
final class CircuitBreakerRegistry: Sendable {
    enum State: Sendable, Equatable {
        case closed(consecutiveFailures: Int)
        case open(until: ContinuousClock.Instant)
        case halfOpen(trialInFlight: Bool)
    }

    /// What the breaker lets a caller do now.
    enum Permission: Sendable, Equatable {
        case allowed
        /// Skipped; the circuit half-opens after this many milliseconds.
        case open(retryAfterMs: Int)
    }

    let settings: CircuitBreakerSettings
    private let states = Mutex<[String: State]>([:])

    init(settings: CircuitBreakerSettings) {
        self.settings = settings
    }

    func permission(for model: String, now: ContinuousClock.Instant = .now) -> Permission {
        states.withLock { states in
            switch states[model] ?? .closed(consecutiveFailures: 0) {
            case .closed:
                return .allowed
            case .open(let until):
                if now >= until {
                    states[model] = .halfOpen(trialInFlight: true)
                    return .allowed
                }
                return .open(retryAfterMs: max(1, (until - now).milliseconds))
            case .halfOpen(let trialInFlight):
                if trialInFlight { return .open(retryAfterMs: 1000) }
                states[model] = .halfOpen(trialInFlight: true)
                return .allowed
            }
        }
    }

    func recordSuccess(_ model: String) {
        states.withLock { $0[model] = .closed(consecutiveFailures: 0) }
    }

    func recordFailure(_ model: String, now: ContinuousClock.Instant = .now) {
        states.withLock { states in
            let openUntil = now + .milliseconds(settings.openMs)
            switch states[model] ?? .closed(consecutiveFailures: 0) {
            case .closed(let failures):
                let count = failures + 1
                states[model] = count >= settings.failureThreshold ? .open(until: openUntil) : .closed(consecutiveFailures: count)
            case .halfOpen, .open:
                states[model] = .open(until: openUntil)
            }
        }
    }

    /// A call that ended without telling anything about the model's health (the client went
    /// away, or the answer broke the schema): a half-open trial slot is given back.
    func recordNeutral(_ model: String) {
        states.withLock { states in
            if case .halfOpen = states[model] { states[model] = .halfOpen(trialInFlight: false) }
        }
    }

    func state(of model: String) -> State {
        states.withLock { $0[model] ?? .closed(consecutiveFailures: 0) }
    }

    /// Every model with an open circuit, for `/metrics`.
    var snapshot: [String: State] { states.withLock { $0 } }
}
