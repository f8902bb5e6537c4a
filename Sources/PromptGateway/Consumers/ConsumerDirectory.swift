import Crypto
import EndpointModel

/// The configured consumers, found by key. Keys are kept only as their SHA-256 digests, as
/// promptc.yaml has them; a presented key is hashed and compared with every consumer's digest
/// in constant time, so neither the answer's timing nor an early exit tells how close a guess was.
struct ConsumerDirectory: Sendable {
    struct Entry: Sendable {
        let consumer: Consumer
        let digest: [UInt8]
        /// nil: every endpoint.
        let endpoints: Set<String>?
        let limits: ConsumerLimits?
        let budget: ConsumerBudget?
    }

    let entries: [Entry]

    /// With `previous` (a reload), a consumer configured exactly as before keeps its limits'
    /// and budget's counts: a reload does not hand anyone a fresh allowance.
    init(_ consumers: [Consumer], carryingOver previous: ConsumerDirectory? = nil) {
        let kept = Dictionary((previous?.entries ?? []).map { ($0.consumer, $0) }) { first, _ in first }
        entries = consumers.compactMap { consumer in
            guard let digest = Self.bytes(hex: consumer.keySHA256) else { return nil }
            let limits = consumer.rateLimit != nil || consumer.tokensPerMinute != nil
                ? (kept[consumer]?.limits ?? ConsumerLimits(requests: consumer.rateLimit, tokensPerMinute: consumer.tokensPerMinute)) : nil
            let budget = consumer.budget.map { kept[consumer]?.budget ?? ConsumerBudget($0) }
            return Entry(consumer: consumer, digest: digest, endpoints: consumer.endpoints.map(Set.init), limits: limits, budget: budget)
        }
    }

    var isEmpty: Bool { entries.isEmpty }

    /// The consumer whose key this is, after looking at every consumer.
    func entry(forKey key: String) -> Entry? {
        let digest = Self.digest(of: key)
        var found: Entry?
        for entry in entries where Self.constantTimeEqual(entry.digest, digest) {
            found = entry
        }
        return found
    }

    static func digest(of key: String) -> [UInt8] {
        Array(SHA256.hash(data: Array(key.utf8)))
    }

    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for index in a.indices { difference |= a[index] ^ b[index] }
        return difference == 0
    }

    static func bytes(hex: String) -> [UInt8]? {
        let digits = Array(hex.utf8)
        guard digits.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(digits.count / 2)
        for index in stride(from: 0, to: digits.count, by: 2) {
            guard let high = nibble(digits[index]), let low = nibble(digits[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
        }
        return bytes
    }

    private static func nibble(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): digit - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
