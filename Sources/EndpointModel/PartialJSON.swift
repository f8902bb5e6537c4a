/// The JSON value a model has written so far, as a snapshot a client can use before the answer
/// is complete (gateway-contract.md, Streaming: `partial` events).
///
/// A pure function of the text: complete members are as they are; the string being written is
/// cut where it stands (before an escape that is not complete yet); a member whose value has not
/// begun, or is a number or literal still being written, is absent; every open object and array
/// is closed. Text before the first `{` or `[` (a Markdown fence) is skipped. The snapshot of a
/// complete answer is the answer itself.
///
/// It re-reads the whole text each time: the gateway takes a snapshot at most every 50 ms, and a
/// resumable parser would have to keep state across every provider's deltas for no measured gain.
public enum PartialJSON {
    public static func snapshot(_ text: String) -> JSONValue? {
        var text = text
        return text.withUTF8 { snapshot(bytes: $0) }
    }

    private enum Container { case object, array }
    private enum Expect { case value, key, colon, separator }

    private static let quote = UInt8(ascii: "\""), backslash = UInt8(ascii: "\\")

    public static func snapshot(bytes: UnsafeBufferPointer<UInt8>) -> JSONValue? {
        guard let start = bytes.firstIndex(where: { $0 == UInt8(ascii: "{") || $0 == UInt8(ascii: "[") }) else { return nil }
        var stack: [Container] = []
        var expect = Expect.value
        // The longest prefix that, with `closers`, is complete JSON.
        var safeCut = start
        var safeClosers: [UInt8] = []
        var index = start

        func closers(_ stack: [Container]) -> [UInt8] {
            stack.reversed().map { $0 == .object ? UInt8(ascii: "}") : UInt8(ascii: "]") }
        }
        func complete(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, _ tail: [UInt8]) -> JSONValue? {
            var text = Array(bytes[range])
            text.append(contentsOf: tail)
            return try? JSONParser.parse(text)
        }

        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case 0x20, 0x0A, 0x0D, 0x09:
                index += 1
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                guard expect == .value, stack.count < JSONParser.maximumDepth else { return nil }
                stack.append(byte == UInt8(ascii: "{") ? .object : .array)
                expect = byte == UInt8(ascii: "{") ? .key : .value
                index += 1
                safeCut = index
                safeClosers = closers(stack)
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                guard !stack.isEmpty else { return nil }
                stack.removeLast()
                index += 1
                if stack.isEmpty { return complete(bytes, start..<index, []) }
                expect = .separator
                safeCut = index
                safeClosers = closers(stack)
            case UInt8(ascii: ","):
                expect = stack.last == .object ? .key : .value
                index += 1
            case UInt8(ascii: ":"):
                expect = .value
                index += 1
            case quote:
                let isKey = expect == .key
                switch scanString(bytes, from: index + 1) {
                case .closed(let end):
                    index = end
                    if isKey {
                        expect = .colon
                    } else {
                        expect = .separator
                        safeCut = index
                        safeClosers = closers(stack)
                    }
                case .open(let cut):
                    // The text ends inside this string: a value is cut where it stands, a key
                    // (its member not begun) is left out.
                    guard !isKey else { return complete(bytes, start..<safeCut, safeClosers) }
                    return complete(bytes, start..<cut, [quote] + closers(stack))
                }
            default:
                // A number or literal: complete only once something follows it.
                var end = index
                while end < bytes.count, !isDelimiter(bytes[end]) { end += 1 }
                guard end < bytes.count else { return complete(bytes, start..<safeCut, safeClosers) }
                index = end
                expect = .separator
                safeCut = index
                safeClosers = closers(stack)
            }
        }
        return complete(bytes, start..<safeCut, safeClosers)
    }

    private enum StringScan { case closed(end: Int), open(cut: Int) }

    /// Scans a string's contents from `index` (just after its opening quote).
    private static func scanString(_ bytes: UnsafeBufferPointer<UInt8>, from index: Int) -> StringScan {
        var index = index
        while index < bytes.count {
            switch bytes[index] {
            case quote:
                return .closed(end: index + 1)
            case backslash:
                guard index + 1 < bytes.count else { return .open(cut: index) }
                guard bytes[index + 1] == UInt8(ascii: "u") else {
                    index += 2
                    continue
                }
                guard index + 6 <= bytes.count else { return .open(cut: index) }
                // A high surrogate is only complete with the low one after it.
                if let unit = hex4(bytes, index + 2), (0xD800...0xDBFF).contains(unit) {
                    guard index + 12 <= bytes.count else { return .open(cut: index) }
                    index += 12
                } else {
                    index += 6
                }
            default:
                index += 1
            }
        }
        return .open(cut: index)
    }

    private static func hex4(_ bytes: UnsafeBufferPointer<UInt8>, _ index: Int) -> Int? {
        var value = 0
        for byte in bytes[index..<index + 4] {
            guard let digit = hexDigit(byte) else { return nil }
            value = value * 16 + digit
        }
        return value
    }

    private static func hexDigit(_ byte: UInt8) -> Int? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): Int(byte - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): Int(byte - UInt8(ascii: "a")) + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): Int(byte - UInt8(ascii: "A")) + 10
        default: nil
        }
    }

    private static func isDelimiter(_ byte: UInt8) -> Bool {
        switch byte {
        case 0x20, 0x0A, 0x0D, 0x09, UInt8(ascii: ","), UInt8(ascii: "}"), UInt8(ascii: "]"): true
        default: false
        }
    }
}
