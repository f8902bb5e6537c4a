import Foundation
import Synchronization

/// One model's recent latency on one chain step (gateway-contract.md, Tail latency): the last
/// 200 answered calls in a fixed ring, for `hedge_after: p95`, and a peak-EWMA estimate for the
/// `lowest_latency` pool strategy. Recording writes into storage made once: nothing is allocated
/// per call, and the p95 is worked out again only every `recomputeEvery` calls, into a scratch
/// buffer that is also made once.
final class LatencyWindow: Sendable {
    static let capacity = 200
    /// No p95 until this many calls are known.
    static let minimumCount = 20
    static let recomputeEvery = 10
    /// How fast the peak-EWMA forgets: an old peak has a third of its weight after this long.
    static let decaySeconds = 10.0

    private struct State: ~Copyable {
        var ring: [Int32]
        var scratch: [Int32]
        var next = 0
        var count = 0
        var sinceRecompute = 0
        var p95Ms: Int?
        var ewmaMs = 0.0
        var ewmaAt = 0.0
    }

    private let state: Mutex<State>

    init() {
        state = Mutex(State(ring: Array(repeating: 0, count: Self.capacity), scratch: Array(repeating: 0, count: Self.capacity)))
    }

    /// A call that answered after `ms`.
    func record(_ ms: Int, now: Double = ProcessInfo.processInfo.systemUptime) {
        state.withLock { state in
            state.ring[state.next] = Int32(clamping: ms)
            state.next = (state.next + 1) % Self.capacity
            state.count = min(state.count + 1, Self.capacity)
            state.sinceRecompute += 1
            if state.count >= Self.minimumCount, state.p95Ms == nil || state.sinceRecompute >= Self.recomputeEvery {
                Self.recomputeP95(&state)
            }
            Self.observe(Double(ms), now: now, &state)
        }
    }

    /// A call that failed after `ms` by taking too long: the estimate sees it, the p95 does not.
    func recordSlowFailure(_ ms: Int, now: Double = ProcessInfo.processInfo.systemUptime) {
        state.withLock { Self.observe(Double(ms), now: now, &$0) }
    }

    /// The 95th percentile of the recent calls; nil until `minimumCount` are known.
    var p95Ms: Int? { state.withLock { $0.p95Ms } }

    /// The peak-EWMA latency now, in milliseconds (0 for a model never called: it gets tried).
    func estimateMs(now: Double = ProcessInfo.processInfo.systemUptime) -> Double {
        state.withLock { state in state.ewmaMs * Self.decay(since: state.ewmaAt, now: now) }
    }

    private static func recomputeP95(_ state: inout State) {
        let count = state.count
        for index in 0..<count { state.scratch[index] = state.ring[index] }
        state.scratch.withUnsafeMutableBufferPointer { buffer in
            var part = UnsafeMutableBufferPointer(rebasing: buffer[0..<count])
            part.sort()
            // The nearest-rank percentile.
            let rank = max(Int((0.95 * Double(count)).rounded(.up)) - 1, 0)
            state.p95Ms = Int(part[rank])
        }
        state.sinceRecompute = 0
    }

    /// Peak-EWMA (as Finagle's and Linkerd's balancers do it): a slower call is taken at once,
    /// a faster one only gradually, and the whole decays towards zero while the model is idle.
    private static func observe(_ ms: Double, now: Double, _ state: inout State) {
        let weight = decay(since: state.ewmaAt, now: now)
        let current = state.ewmaMs * weight
        state.ewmaMs = ms > current ? ms : current + (ms - current) * (1 - weight)
        state.ewmaAt = now
    }

    private static func decay(since: Double, now: Double) -> Double {
        exp(-max(now - since, 0) / decaySeconds)
    }
}
