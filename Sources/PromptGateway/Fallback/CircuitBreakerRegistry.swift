import EndpointModel
import Synchronization

/// One `CircuitBreaker` per `provider/model`, shared by every endpoint and pool that calls it.
final class CircuitBreakerRegistry: Sendable {
    typealias Permission = CircuitBreaker.Permission

    let settings: CircuitBreakerSettings
    private let now: @Sendable () -> ContinuousClock.Instant
    private let breakers = Mutex<[String: CircuitBreaker]>([:])

    /// `now` is the clock; tests pass one they move by hand.
    init(settings: CircuitBreakerSettings, now: @escaping @Sendable () -> ContinuousClock.Instant = { .now }) {
        self.settings = settings
        self.now = now
    }

    private func fresh() -> CircuitBreaker {
        CircuitBreaker(failureThreshold: settings.failureThreshold, openFor: .milliseconds(settings.openMs))
    }

    func permission(for model: String) -> Permission {
        let now = now()
        return breakers.withLock { breakers in
            breakers[model, default: fresh()].permission(now: now)
        }
    }

    func record(_ outcome: CircuitBreaker.Outcome, for model: String, ticket: CircuitBreaker.Ticket) {
        let now = now()
        breakers.withLock { breakers in
            breakers[model, default: fresh()].record(outcome, ticket: ticket, now: now)
        }
    }

    func state(of model: String) -> CircuitBreaker.State {
        breakers.withLock { $0[model]?.state ?? .closed(consecutiveFailures: 0) }
    }
}
