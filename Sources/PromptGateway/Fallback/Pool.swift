import EndpointModel
import Synchronization

/// A pool: one step of a chain spread over several models (gateway-contract.md, Pools). Each
/// attempt goes to one member, chosen by the strategy among the members whose key is set and
/// whose circuit lets a call through; every member keeps its own circuit breaker, by its own
/// `provider/model`, so a failing member is skipped while the others serve.
final class Pool: Sendable {
    let name: String
    let strategy: PoolDefinition.Strategy
    let members: [ChainStep]
    /// What `hash` goes by.
    let hashKey: ChainAffinity.HashKey
    private let weights: [Int]

    private struct State {
        var nextIndex = 0
        var inFlight: [Int]
        /// Smooth weighted round robin (as nginx does it): each member's running score.
        var scores: [Int]
    }

    private let state: Mutex<State>

    init(name: String, strategy: PoolDefinition.Strategy, members: [ChainStep], weights: [Int], hashBy: PoolDefinition.HashBy = .consumer) {
        hashKey = ChainAffinity.HashKey(hashBy)
        self.name = name
        self.strategy = strategy
        self.members = members
        self.weights = weights
        state = Mutex(State(inFlight: Array(repeating: 0, count: members.count), scores: Array(repeating: 0, count: members.count)))
    }

    var isConfigured: Bool { members.contains(where: \.isConfigured) }

    enum Choice {
        case member(index: Int, step: ChainStep, ticket: CircuitBreaker.Ticket)
        /// No member could take the call; the soonest circuit half-opens after this long, if any.
        case none(retryAfterMs: Int?)
    }

    /// The member for one attempt. `affinity` keeps a consumer on one member under `hash`.
    /// The member's circuit breaker has let the call through; call `finished` when it ends.
    func choose(affinity: ChainAffinity, breakers: CircuitBreakerRegistry, excluding: Int? = nil) -> Choice {
        var soonest: Int?
        for index in order(affinity: affinity) where members[index].isConfigured && index != excluding {
            switch breakers.permission(for: members[index].model) {
            case .allowed(let ticket):
                state.withLock { $0.inFlight[index] += 1 }
                return .member(index: index, step: members[index], ticket: ticket)
            case .open(let retryAfterMs):
                soonest = min(soonest ?? .max, retryAfterMs)
            }
        }
        return .none(retryAfterMs: soonest)
    }

    func finished(_ index: Int) {
        state.withLock { $0.inFlight[index] = max(0, $0.inFlight[index] - 1) }
    }

    /// Every member, best first: the strategy's pick, then the rest, so that a pick whose
    /// circuit is open falls through to another member in the same attempt.
    func order(affinity: ChainAffinity) -> [Int] {
        let count = members.count
        guard count > 1 else { return Array(0..<count) }
        switch strategy {
        case .roundRobin:
            let start = state.withLock { state in
                defer { state.nextIndex = (state.nextIndex + 1) % count }
                return state.nextIndex
            }
            return (0..<count).map { (start + $0) % count }
        case .hash:
            let start = Int(Self.fnv1a(affinity.key(hashKey)) % UInt64(count))
            return (0..<count).map { (start + $0) % count }
        case .leastBusy:
            let inFlight = state.withLock { $0.inFlight }
            let start = state.withLock { state in
                defer { state.nextIndex = (state.nextIndex + 1) % count }
                return state.nextIndex
            }
            // Ties go round robin, so an idle pool still spreads its calls.
            return (0..<count).map { (start + $0) % count }.sorted { inFlight[$0] < inFlight[$1] }
        case .lowestLatency:
            return lowestLatencyOrder()
        case .weighted:
            return state.withLock { state in
                let total = weights.reduce(0, +)
                for index in 0..<count { state.scores[index] += weights[index] }
                let ranked = (0..<count).sorted { state.scores[$0] > state.scores[$1] }
                state.scores[ranked[0]] -= total
                return ranked
            }
        }
    }

    /// The power of two random choices over peak-EWMA latency (as Finagle and Linkerd balance):
    /// two members drawn at random, the one whose latency times its calls in flight (plus one)
    /// is lower goes first, then the other, then the rest. Two draws, not all members, keep a
    /// member that just got faster from being stampeded by every request at once.
    private func lowestLatencyOrder() -> [Int] {
        let count = members.count
        let first = Int.random(in: 0..<count)
        var second = Int.random(in: 0..<(count - 1))
        if second >= first { second += 1 }
        let inFlight = state.withLock { $0.inFlight }
        func cost(_ index: Int) -> Double { members[index].latency.estimateMs() * Double(inFlight[index] + 1) }
        let (best, other) = cost(second) < cost(first) ? (second, first) : (first, second)
        return [best, other] + (0..<count).filter { $0 != best && $0 != other }
    }

    /// FNV-1a: a stable hash, the same in every process, unlike Swift's seeded `Hasher`.
    static func fnv1a(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        return hash
    }
}
