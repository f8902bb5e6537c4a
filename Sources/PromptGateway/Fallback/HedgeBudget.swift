import Foundation
import Synchronization

/// `hedge_budget` (gateway-contract.md, Tail latency): hedges may add at most `fraction` of the
/// calls of the last minute, gateway-wide. Counted in one-second buckets over 60 s, so a burst
/// of slow answers cannot turn every request into two. The calls counted are those of chains
/// that hedge: an endpoint without `hedge_after` pays nothing for it.
final class HedgeBudget: Sendable {
    let fraction: Double
    static let seconds = 60

    private struct State {
        var calls: [Int]
        var hedges: [Int]
        var second = 0
    }

    private let state: Mutex<State>

    init(fraction: Double) {
        self.fraction = fraction
        state = Mutex(State(calls: Array(repeating: 0, count: Self.seconds), hedges: Array(repeating: 0, count: Self.seconds)))
    }

    /// A call made by a chain that hedges.
    func countCall(now: Double = ProcessInfo.processInfo.systemUptime) {
        state.withLock { state in
            let slot = Self.advance(&state, now: now)
            state.calls[slot] += 1
        }
    }

    /// Takes one hedge from the budget if it has room: the hedges of the last minute, this one
    /// included, within `fraction` of its calls.
    func tryHedge(now: Double = ProcessInfo.processInfo.systemUptime) -> Bool {
        state.withLock { state in
            let slot = Self.advance(&state, now: now)
            let calls = state.calls.reduce(0, +)
            let hedges = state.hedges.reduce(0, +)
            guard Double(hedges + 1) <= fraction * Double(calls) else { return false }
            state.hedges[slot] += 1
            return true
        }
    }

    /// A hedge taken but not sent (its model could not be leased).
    func refund(now: Double = ProcessInfo.processInfo.systemUptime) {
        state.withLock { state in
            let slot = Self.advance(&state, now: now)
            if state.hedges[slot] > 0 { state.hedges[slot] -= 1 }
        }
    }

    /// Clears the buckets of the seconds that passed since the last call; returns this second's.
    private static func advance(_ state: inout State, now: Double) -> Int {
        let second = Int(now)
        if second > state.second {
            for passed in (state.second + 1)...min(second, state.second + seconds) {
                state.calls[passed % seconds] = 0
                state.hedges[passed % seconds] = 0
            }
            state.second = second
        }
        return second % seconds
    }
}
