import Synchronization

/// A new request id: a random (version 4) UUID in lowercase, as `UUID().uuidString.lowercased()`
/// made it, without its cost.
///
/// Why not Foundation's `UUID()`: on Linux it opens, reads and closes `/dev/urandom` for every id,
/// three system calls on the event loop for every request (seen with `strace` on the benchmark's
/// prompt endpoint). A request id needs to be unique, not secret (clients choose their own), so
/// here it comes from xoshiro256** seeded once per process from the system's generator: 122
/// random bits per id, no system call, one uncontended lock.
enum RequestID {
    private static let generator = Mutex(Xoshiro256StarStar())

    static func make() -> String {
        let (high, low) = generator.withLock { ($0.next(), $0.next()) }
        return format(high: high, low: low)
    }

    /// The UUID text of 128 bits, with the version (4) and variant (10) bits set.
    static func format(high: UInt64, low: UInt64) -> String {
        let high = (high & ~0xF000) | 0x4000
        let low = (low & ~(0xC << 60)) | (0x8 << 60)
        let digits: StaticString = "0123456789abcdef"
        return String(unsafeUninitializedCapacity: 36) { buffer in
            var at = 0
            func put(_ value: UInt64, nibbles: Int) {
                for shift in stride(from: (nibbles - 1) * 4, through: 0, by: -4) {
                    buffer[at] = digits.utf8Start[Int((value >> UInt64(shift)) & 0xF)]
                    at += 1
                }
            }
            func dash() {
                buffer[at] = UInt8(ascii: "-")
                at += 1
            }
            put(high >> 32, nibbles: 8)
            dash()
            put(high >> 16, nibbles: 4)
            dash()
            put(high, nibbles: 4)
            dash()
            put(low >> 48, nibbles: 4)
            dash()
            put(low, nibbles: 12)
            return at
        }
    }
}

/// xoshiro256** (Blackman and Vigna), seeded from `SystemRandomNumberGenerator`.
struct Xoshiro256StarStar: RandomNumberGenerator {
    private var state: (UInt64, UInt64, UInt64, UInt64)

    init() {
        var system = SystemRandomNumberGenerator()
        state = (system.next(), system.next(), system.next(), system.next())
        // The all-zero state would give zeros for ever; 2^-256 unlikely, but cheap to rule out.
        if state == (0, 0, 0, 0) { state.0 = 0x9E37_79B9_7F4A_7C15 }
    }

    /// A set state, for the reference sequence in the tests.
    init(state: (UInt64, UInt64, UInt64, UInt64)) {
        self.state = state
    }

    mutating func next() -> UInt64 {
        let result = rotate(state.1 &* 5, 7) &* 9
        let shifted = state.1 << 17
        state.2 ^= state.0
        state.3 ^= state.1
        state.1 ^= state.2
        state.0 ^= state.3
        state.2 ^= shifted
        state.3 = rotate(state.3, 45)
        return result
    }

    private func rotate(_ value: UInt64, _ count: UInt64) -> UInt64 {
        (value << count) | (value >> (64 - count))
    }
}
