import Crypto
import EndpointModel
import NIOCore
import Synchronization

/// Answers of cached endpoints (gateway-contract.md, Response cache), by endpoint, spec hash
/// and validated input, in memory. Bounded by bytes: the least recently used answers go first.
final class ResponseCache: Sendable {
    struct Entry: Sendable {
        /// The answer's body, as sent.
        let body: ByteBuffer
        let model: String
        let freshUntil: ContinuousClock.Instant
        /// Until when the answer may stand in for a chain that failed (`stale_if_error`).
        let usableUntil: ContinuousClock.Instant
        let bytes: Int
    }

    enum Lookup: Sendable {
        case fresh(Entry)
        case stale(Entry)
        case none
    }

    /// What an entry costs beyond its body: key, bookkeeping, model name.
    static let entryOverhead = 160

    private struct Slot {
        var entry: Entry
        var tick: UInt64
    }

    /// Recency is a queue of (key, tick) with lazy deletion: a touch appends, and eviction pops
    /// from the front, skipping pairs whose tick is no longer the entry's. Amortised O(1), and
    /// the queue is compacted when it outgrows the entries.
    private struct State {
        var slots: [[UInt8]: Slot] = [:]
        var recency: [(key: [UInt8], tick: UInt64)] = []
        var head = 0
        var tick: UInt64 = 0
        var bytes = 0
    }

    let maximumBytes: Int
    private let state = Mutex(State())

    init(maximumBytes: Int) {
        self.maximumBytes = maximumBytes
    }

    /// The key of one request: the endpoint, its spec's hash and its input in canonical form
    /// (keys sorted, defaults filled in by the caller), hashed to 32 bytes.
    static func key(endpoint: String, specSHA256: String, input: JSONValue) -> [UInt8] {
        var material = Array(endpoint.utf8) + [0] + Array(specSHA256.utf8) + [0]
        CanonicalJSON.append(input, to: &material)
        return Array(SHA256.hash(data: material))
    }

    func lookup(_ key: [UInt8], now: ContinuousClock.Instant = .now) -> Lookup {
        state.withLock { state in
            guard let slot = state.slots[key] else { return .none }
            if now >= slot.entry.usableUntil {
                Self.remove(key, from: &state)
                return .none
            }
            Self.touch(key, in: &state)
            return now < slot.entry.freshUntil ? .fresh(slot.entry) : .stale(slot.entry)
        }
    }

    func store(_ key: [UInt8], body: ByteBuffer, model: String, policy: CachePolicy, now: ContinuousClock.Instant = .now) {
        guard let ttlMs = policy.ttlMs else { return }
        let bytes = body.readableBytes + model.utf8.count + Self.entryOverhead
        guard bytes <= maximumBytes else { return }
        let freshUntil = now + .milliseconds(ttlMs)
        let entry = Entry(
            body: body, model: model, freshUntil: freshUntil, usableUntil: freshUntil + .milliseconds(policy.staleIfErrorMs ?? 0),
            bytes: bytes)
        state.withLock { state in
            Self.remove(key, from: &state)
            state.slots[key] = Slot(entry: entry, tick: 0)
            state.bytes += bytes
            Self.touch(key, in: &state)
            while state.bytes > maximumBytes, state.head < state.recency.count {
                let (oldest, tick) = state.recency[state.head]
                state.head += 1
                if state.slots[oldest]?.tick == tick { Self.remove(oldest, from: &state) }
            }
        }
    }

    var usedBytes: Int { state.withLock { $0.bytes } }
    var count: Int { state.withLock { $0.slots.count } }

    private static func touch(_ key: [UInt8], in state: inout State) {
        state.tick += 1
        state.slots[key]?.tick = state.tick
        state.recency.append((key, state.tick))
        if state.head > 1024, state.head * 2 > state.recency.count {
            state.recency.removeFirst(state.head)
            state.head = 0
        }
        if state.recency.count - state.head > 2 * state.slots.count + 1024 {
            // Many touches of few keys: keep only each key's latest.
            let live = state.recency[state.head...].filter { state.slots[$0.key]?.tick == $0.tick }
            state.recency = Array(live)
            state.head = 0
        }
    }

    private static func remove(_ key: [UInt8], from state: inout State) {
        guard let slot = state.slots.removeValue(forKey: key) else { return }
        state.bytes -= slot.entry.bytes
    }
}
