import Synchronization

/// For a streamed request whose first call is hedged (gateway-contract.md, Tail latency: "for a
/// streaming request the hedge is on the first token"): which call the client hears. Until a
/// hedge starts, the first call's progress passes straight through. Once it has, the first call
/// to send a token claims the stream: what it held back (its `began`) goes out with that token,
/// and from then on only the claimer is heard; the race is told, and cancels the other call.
final class StreamGate: Sendable {
    private struct State {
        var hedgeStarted = false
        var owner: Int?
        var held: [Int: [ChainProgress]] = [:]
    }

    private let state = Mutex(State())
    private let claims: AsyncStream<Int>.Continuation
    /// The slot that claimed the stream, once.
    let claimed: AsyncStream<Int>

    init() {
        (claimed, claims) = AsyncStream.makeStream(of: Int.self)
    }

    /// The slot of the call that sent the first token, once one has.
    var owner: Int? { state.withLock { $0.owner } }

    /// A hedge may start only while no token has been sent; from now on both calls are held.
    func startHedge() -> Bool {
        state.withLock { state in
            guard state.owner == nil else { return false }
            state.hedgeStarted = true
            return true
        }
    }

    func finish() {
        claims.finish()
    }

    /// `sink`, for the call in `slot`.
    func sink(slot: Int, forwardingTo sink: @escaping ChainProgressSink) -> ChainProgressSink {
        { [self] event in pass(event, from: slot, to: sink) }
    }

    private func pass(_ event: ChainProgress, from slot: Int, to sink: ChainProgressSink) {
        let (events, claimedNow) = state.withLock { state -> ([ChainProgress], Bool) in
            switch event {
            case .delta, .stream:
                if state.owner == nil {
                    state.owner = slot
                    defer { state.held = [:] }
                    return ((state.held[slot] ?? []) + [event], true)
                }
                return (state.owner == slot ? [event] : [], false)
            case .began, .failed:
                if state.owner == slot || (!state.hedgeStarted && state.owner == nil) { return ([event], false) }
                if state.owner == nil, case .began = event { state.held[slot, default: []].append(event) } else { state.held[slot] = nil }
                return ([], false)
            }
        }
        for event in events { sink(event) }
        if claimedNow { claims.yield(slot) }
    }
}

/// The stream gate of the hedged call this task is making, when its request is streamed: the
/// attempt wraps its progress sink with it.
enum HedgeStreamSlot {
    @TaskLocal static var current: (gate: StreamGate, slot: Int)?

    /// `sink` as the current hedged call must use it.
    static func wrap(_ sink: @escaping ChainProgressSink) -> ChainProgressSink {
        guard let (gate, slot) = current else { return sink }
        return gate.sink(slot: slot, forwardingTo: sink)
    }
}
