import EndpointModel
import Synchronization

/// One consumer's `rate_limit` and `tokens_per_minute`, counted in fixed windows: the window
/// opens with the first request and closes `period` later, which is what `RateLimit-Reset` says.
final class ConsumerLimits: Sendable {
    /// What a request may do, and what the `RateLimit-*` headers say.
    struct Decision: Sendable {
        var allowed: Bool
        var limit: Int
        var remaining: Int
        /// Seconds until the window that limits this consumer closes.
        var resetSeconds: Int
    }

    private struct Window {
        var start: ContinuousClock.Instant
        var used: Int
    }

    private struct State {
        var requests: Window?
        var tokens: Window?
    }

    let requests: RequestRate?
    let tokensPerMinute: Int?
    private let state = Mutex(State())

    init(requests: RequestRate?, tokensPerMinute: Int?) {
        self.requests = requests
        self.tokensPerMinute = tokensPerMinute
    }

    /// Counts one request when both limits allow it. The headers describe the request limit when
    /// there is one, else the token limit.
    func admit(now: ContinuousClock.Instant = .now) -> Decision {
        state.withLock { state in
            var tokenDecision: Decision?
            if let tokensPerMinute {
                let window = Self.current(state.tokens, period: .seconds(60), now: now)
                state.tokens = window
                tokenDecision = Decision(
                    allowed: window.used < tokensPerMinute, limit: tokensPerMinute, remaining: max(0, tokensPerMinute - window.used),
                    resetSeconds: Self.secondsLeft(window, period: .seconds(60), now: now))
            }
            guard let requests else {
                return tokenDecision ?? Decision(allowed: true, limit: 0, remaining: 0, resetSeconds: 0)
            }
            let period = Duration.seconds(requests.periodSeconds)
            var window = Self.current(state.requests, period: period, now: now)
            let allowed = window.used < requests.requests && (tokenDecision?.allowed ?? true)
            if allowed { window.used += 1 }
            state.requests = window
            var decision = Decision(
                allowed: allowed, limit: requests.requests, remaining: max(0, requests.requests - window.used),
                resetSeconds: Self.secondsLeft(window, period: period, now: now))
            // Out of tokens: the wait that matters is the token window's.
            if let tokenDecision, !tokenDecision.allowed { decision.resetSeconds = tokenDecision.resetSeconds }
            return decision
        }
    }

    /// Adds the model tokens an answer used.
    func spend(tokens: Int, now: ContinuousClock.Instant = .now) {
        guard tokensPerMinute != nil, tokens > 0 else { return }
        state.withLock { state in
            var window = Self.current(state.tokens, period: .seconds(60), now: now)
            window.used += tokens
            state.tokens = window
        }
    }

    private static func current(_ window: Window?, period: Duration, now: ContinuousClock.Instant) -> Window {
        guard let window, now - window.start < period else { return Window(start: now, used: 0) }
        return window
    }

    private static func secondsLeft(_ window: Window, period: Duration, now: ContinuousClock.Instant) -> Int {
        let left = window.start + period - now
        return max(1, Int((Double(left.nanoseconds) / 1e9).rounded(.up)))
    }
}
