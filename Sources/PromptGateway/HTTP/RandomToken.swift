/// 128 random bits as 32 hex digits, from the system's generator: session ids and cookies that
/// cannot be guessed, in visible ASCII.
enum RandomToken {
    static func make() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<2).map { _ in
            let hex = String(generator.next() as UInt64, radix: 16)
            return String(repeating: "0", count: 16 - hex.count) + hex
        }.joined()
    }
}
