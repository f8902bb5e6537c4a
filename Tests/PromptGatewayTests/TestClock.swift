import Synchronization

/// A clock a test moves by hand, for the state machines that take their time from outside.
final class TestClock: Sendable {
    private let current = Mutex(ContinuousClock.now)

    var now: ContinuousClock.Instant { current.withLock { $0 } }

    func advance(by duration: Duration) {
        current.withLock { $0 += duration }
    }
}
