import EndpointModel
import Synchronization

/// One `CircuitBreaker` per `provider/model`, shared by every endpoint and pool that calls it.
final class CircuitBreakerRegistry: Sendable {
    typealias Permission = CircuitBreaker.Permission

    let settings: CircuitBreakerSettings
    private let now: @Sendable () -> ContinuousClock.Instant
    private let breakers = Mutex<[String: CircuitBreaker]>([:])

    /// Told of each circuit that opens or closes here (not of those opened from elsewhere), after
    /// the change, outside the lock.
    private let onTransition: (@Sendable (String, CircuitBreaker.Transition) -> Void)?

    /// `now` is the clock; tests pass one they move by hand.
    init(
        settings: CircuitBreakerSettings, now: @escaping @Sendable () -> ContinuousClock.Instant = { .now },
        onTransition: (@Sendable (String, CircuitBreaker.Transition) -> Void)? = nil
    ) {
        self.settings = settings
        self.now = now
        self.onTransition = onTransition
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
        let transition = breakers.withLock { breakers in
            breakers[model, default: fresh()].record(outcome, ticket: ticket, now: now)
        }
        if let transition { onTransition?(model, transition) }
    }

    /// Opens `model`'s circuit because another replica did; says whether it was closed here.
    @discardableResult
    func openFromElsewhere(_ model: String) -> Bool {
        let now = now()
        return breakers.withLock { breakers in
            breakers[model, default: fresh()].openFromElsewhere(now: now)
        }
    }

    func state(of model: String) -> CircuitBreaker.State {
        breakers.withLock { $0[model]?.state ?? .closed(consecutiveFailures: 0) }
    }
}
