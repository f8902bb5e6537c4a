import Synchronization

/// The bounds on a streamed answer that the exchange's own deadline (the request's end) does not
/// keep: the first token within `firstToken`, no gap between tokens longer than `gap`,
/// and nothing past `end`, the request's deadline. `run()` throws when a bound passes; the
/// reader moves the bound on with `progressed()` each time the model writes.
final class StreamWatch: Sendable {
    struct Expired: Error {
        var beforeFirstToken: Bool
    }

    private struct State {
        var due: ContinuousClock.Instant
        var sawToken = false
    }

    private let state: Mutex<State>
    private let gap: Duration
    private let end: ContinuousClock.Instant

    init(firstToken: Duration, gap: Duration, end: ContinuousClock.Instant, now: ContinuousClock.Instant = .now) {
        self.gap = gap
        self.end = end
        state = Mutex(State(due: min(now + firstToken, end)))
    }

    /// The model wrote something: the next gap starts now.
    func progressed(now: ContinuousClock.Instant = .now) {
        state.withLock { state in
            state.sawToken = true
            state.due = min(now + gap, end)
        }
    }

    /// Sleeps until a bound passes, then throws `Expired`; ends only by throwing (or cancellation).
    func run() async throws {
        while true {
            let (due, sawToken) = state.withLock { ($0.due, $0.sawToken) }
            if ContinuousClock.now >= due { throw Expired(beforeFirstToken: !sawToken) }
            try await Task.sleep(until: due, clock: .continuous)
        }
    }
}
