/// Parses JSON text (RFC 8259) straight into a `JSONValue`.
///
/// Written by hand, not JSONDecoder, because this is the gateway's hot path: every request body,
/// every provider answer and every model output goes through it. Decoding an untyped value with
/// JSONDecoder means trying each type in turn and throwing a `DecodingError` per miss; profiling
/// `promptc serve` under load put it at a sixth of all CPU time. This parser makes one pass over
/// the bytes with no errors thrown on the way.
///
/// Strict: no comments, trailing commas, leading zeros, bare control characters, invalid UTF-8
/// or lone surrogate escapes. Integers that fit `Int` become `.integer`; any other number
/// becomes `.number`, and a number too large for a Double is an error. Of duplicate keys the
/// last wins. Nesting is limited to `maximumDepth`, so hostile input cannot exhaust the stack.
public struct JSONParser {
    public static let maximumDepth = 512

    /// Why a text is not JSON, and where.
    public struct Error: Swift.Error, Sendable, Equatable, CustomStringConvertible {
        public var message: String
        /// The 0-based byte offset of the problem.
        public var offset: Int
        public var description: String { "\(message) at byte \(offset)" }

        public init(message: String, offset: Int) {
            self.message = message
            self.offset = offset
        }
    }

    public static func parse(_ bytes: some Collection<UInt8>) throws(Error) -> JSONValue {
        // The buffer closures rethrow untyped errors, so the result is carried out as a value.
        let result = bytes.withContiguousStorageIfAvailable(parseResult) ?? Array(bytes).withUnsafeBufferPointer(parseResult)
        return try result.get()
    }

    public static func parse(_ text: String) throws(Error) -> JSONValue {
        var text = text
        return try text.withUTF8(parseResult).get()
    }

    private static func parseResult(_ buffer: UnsafeBufferPointer<UInt8>) -> Result<JSONValue, Error> {
        Result { () throws(Error) -> JSONValue in try parse(buffer: buffer) }
    }

    private static func parse(buffer: UnsafeBufferPointer<UInt8>) throws(Error) -> JSONValue {
        var parser = JSONParser(bytes: buffer)
        parser.skipWhitespace()
        let value = try parser.parseValue(depth: 0)
        parser.skipWhitespace()
        guard parser.index == buffer.count else { throw parser.error("unexpected text after the JSON value") }
        return value
    }

    /// Splits `{"k": v, …, "name": [e1, e2, …], …}` into its other members, parsed, and the byte
    /// ranges of the `name` array's elements, only scanned, so that the elements can be parsed
    /// side by side (`serve` reads a large routes.json this way). Nil when the text is not so
    /// shaped or is broken: the caller then parses it whole, which says what is wrong.
    public static func splitArrayMember(_ name: String, of bytes: UnsafeBufferPointer<UInt8>) -> (members: [String: JSONValue], elements: [Range<Int>])? {
        var parser = JSONParser(bytes: bytes)
        var members: [String: JSONValue] = [:]
        var elements: [Range<Int>]?
        parser.skipWhitespace()
        guard parser.current == UInt8(ascii: "{") else { return nil }
        parser.index += 1
        parser.skipWhitespace()
        while parser.current == UInt8(ascii: "\"") {
            guard let key = try? parser.parseString() else { return nil }
            parser.skipWhitespace()
            guard parser.current == UInt8(ascii: ":") else { return nil }
            parser.index += 1
            parser.skipWhitespace()
            if key == name, parser.current == UInt8(ascii: "[") {
                guard let ranges = parser.scanArrayElements() else { return nil }
                elements = ranges
            } else {
                guard let value = try? parser.parseValue(depth: 1) else { return nil }
                members[key] = value
            }
            parser.skipWhitespace()
            guard parser.current == UInt8(ascii: ",") else { break }
            parser.index += 1
            parser.skipWhitespace()
        }
        guard parser.current == UInt8(ascii: "}"), let elements else { return nil }
        parser.index += 1
        parser.skipWhitespace()
        return parser.index == bytes.count ? (members, elements) : nil
    }

    public static func parse(_ buffer: UnsafeBufferPointer<UInt8>, range: Range<Int>) throws(Error) -> JSONValue {
        do {
            return try parse(buffer: UnsafeBufferPointer(rebasing: buffer[range]))
        } catch {
            throw Error(message: error.message, offset: error.offset + range.lowerBound)
        }
    }

    private let bytes: UnsafeBufferPointer<UInt8>
    private var index = 0

    /// The elements of the array at `index`, found by nesting and strings alone; `index` ends
    /// past the closing bracket.
    private mutating func scanArrayElements() -> [Range<Int>]? {
        index += 1
        var ranges: [Range<Int>] = []
        skipWhitespace()
        if current == UInt8(ascii: "]") {
            index += 1
            return ranges
        }
        while true {
            let start = index
            var depth = 0
            scan: while index < bytes.count {
                switch bytes[index] {
                case UInt8(ascii: "\""):
                    index += 1
                    while index < bytes.count, bytes[index] != UInt8(ascii: "\"") {
                        index += bytes[index] == UInt8(ascii: "\\") ? 2 : 1
                    }
                case UInt8(ascii: "{"), UInt8(ascii: "["):
                    depth += 1
                case UInt8(ascii: "}"), UInt8(ascii: "]"):
                    if depth == 0 { break scan }
                    depth -= 1
                case UInt8(ascii: ","):
                    if depth == 0 { break scan }
                default:
                    break
                }
                index += 1
            }
            guard index < bytes.count, index > start else { return nil }
            ranges.append(start..<index)
            if bytes[index] == UInt8(ascii: "]") {
                index += 1
                return ranges
            }
            guard bytes[index] == UInt8(ascii: ",") else { return nil }
            index += 1
        }
    }

    private init(bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
    }

    private func error(_ message: String, at offset: Int? = nil) -> Error {
        Error(message: message, offset: offset ?? index)
    }

    private var current: UInt8? { index < bytes.count ? bytes[index] : nil }

    private mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x0A, 0x0D, 0x09: index += 1
            default: return
            }
        }
    }

    private mutating func parseValue(depth: Int) throws(Error) -> JSONValue {
        guard let byte = current else { throw error("unexpected end of the text, a value was expected") }
        switch byte {
        case UInt8(ascii: "{"): return try parseObject(depth: depth + 1)
        case UInt8(ascii: "["): return try parseArray(depth: depth + 1)
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): try expectLiteral("true"); return .bool(true)
        case UInt8(ascii: "f"): try expectLiteral("false"); return .bool(false)
        case UInt8(ascii: "n"): try expectLiteral("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseNumber()
        default: throw error("unexpected character '\(Self.printable(byte))', a value was expected")
        }
    }

    private mutating func expectLiteral(_ literal: StaticString) throws(Error) {
        let start = index
        for expected in UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount) {
            guard current == expected else { throw error("invalid literal, expected '\(literal)'", at: start) }
            index += 1
        }
    }

    private mutating func parseObject(depth: Int) throws(Error) -> JSONValue {
        guard depth <= Self.maximumDepth else { throw error("nesting deeper than \(Self.maximumDepth) levels") }
        index += 1
        var members: [String: JSONValue] = [:]
        skipWhitespace()
        if current == UInt8(ascii: "}") {
            index += 1
            return .object(members)
        }
        while true {
            guard current == UInt8(ascii: "\"") else { throw error("expected a quoted key") }
            let key = try parseString()
            skipWhitespace()
            guard current == UInt8(ascii: ":") else { throw error("expected ':' after the key \"\(key)\"") }
            index += 1
            skipWhitespace()
            members[key] = try parseValue(depth: depth)
            skipWhitespace()
            switch current {
            case UInt8(ascii: ","):
                index += 1
                skipWhitespace()
            case UInt8(ascii: "}"):
                index += 1
                return .object(members)
            default:
                throw error("expected ',' or '}' in an object")
            }
        }
    }

    private mutating func parseArray(depth: Int) throws(Error) -> JSONValue {
        guard depth <= Self.maximumDepth else { throw error("nesting deeper than \(Self.maximumDepth) levels") }
        index += 1
        var items: [JSONValue] = []
        skipWhitespace()
        if current == UInt8(ascii: "]") {
            index += 1
            return .array(items)
        }
        while true {
            items.append(try parseValue(depth: depth))
            skipWhitespace()
            switch current {
            case UInt8(ascii: ","):
                index += 1
                skipWhitespace()
            case UInt8(ascii: "]"):
                index += 1
                return .array(items)
            default:
                throw error("expected ',' or ']' in an array")
            }
        }
    }

    /// A string, the opening quote at `index`. The common case, no escapes, is one scan and one
    /// copy; escapes go through a byte buffer.
    private mutating func parseString() throws(Error) -> String {
        let start = index
        index += 1
        let contentStart = index
        var isASCII = true
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                let content = UnsafeBufferPointer(rebasing: bytes[contentStart..<index])
                index += 1
                if isASCII { return String(decoding: content, as: UTF8.self) }
                guard let string = String(validating: content, as: UTF8.self) else {
                    throw error("the string is not valid UTF-8", at: start)
                }
                return string
            }
            if byte == UInt8(ascii: "\\") { return try parseEscapedString(start: start, contentStart: contentStart) }
            if byte < 0x20 { throw error("a control character must be escaped in a string") }
            if byte >= 0x80 { isASCII = false }
            index += 1
        }
        throw error("the string is not closed", at: start)
    }

    private mutating func parseEscapedString(start: Int, contentStart: Int) throws(Error) -> String {
        var scratch = Array(bytes[contentStart..<index])
        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "\""):
                index += 1
                guard let string = String(validating: scratch, as: UTF8.self) else {
                    throw error("the string is not valid UTF-8", at: start)
                }
                return string
            case UInt8(ascii: "\\"):
                index += 1
                guard let escape = current else { break }
                index += 1
                switch escape {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): scratch.append(escape)
                case UInt8(ascii: "b"): scratch.append(0x08)
                case UInt8(ascii: "f"): scratch.append(0x0C)
                case UInt8(ascii: "n"): scratch.append(0x0A)
                case UInt8(ascii: "r"): scratch.append(0x0D)
                case UInt8(ascii: "t"): scratch.append(0x09)
                case UInt8(ascii: "u"): try appendUnicodeEscape(into: &scratch)
                default: throw error("invalid escape '\\\(Self.printable(escape))'", at: index - 2)
                }
            default:
                if byte < 0x20 { throw error("a control character must be escaped in a string") }
                scratch.append(byte)
                index += 1
            }
        }
        throw error("the string is not closed", at: start)
    }

    /// `\uXXXX`, `u` already read; a high surrogate must be followed by `\u` and a low one.
    private mutating func appendUnicodeEscape(into scratch: inout [UInt8]) throws(Error) {
        let escapeStart = index - 2
        var scalar = try readHex4()
        if (0xD800..<0xDC00).contains(scalar) {
            guard current == UInt8(ascii: "\\"), index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "u") else {
                throw error("a lone surrogate in a \\u escape", at: escapeStart)
            }
            index += 2
            let low = try readHex4()
            guard (0xDC00..<0xE000).contains(low) else { throw error("a lone surrogate in a \\u escape", at: escapeStart) }
            scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
        } else if (0xDC00..<0xE000).contains(scalar) {
            throw error("a lone surrogate in a \\u escape", at: escapeStart)
        }
        guard let unicode = Unicode.Scalar(scalar) else { throw error("an invalid \\u escape", at: escapeStart) }
        scratch.append(contentsOf: UTF8.encode(unicode).map { Array($0) } ?? [])
    }

    private mutating func readHex4() throws(Error) -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard let byte = current else { throw error("a \\u escape needs four hex digits") }
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw error("a \\u escape needs four hex digits")
            }
            value = value << 4 | UInt32(digit)
            index += 1
        }
        return value
    }

    /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`
    private mutating func parseNumber() throws(Error) -> JSONValue {
        let start = index
        if current == UInt8(ascii: "-") { index += 1 }
        guard let first = current, Self.isDigit(first) else { throw error("a digit was expected in the number", at: index) }
        index += 1
        if first == UInt8(ascii: "0"), let next = current, Self.isDigit(next) {
            throw error("a number cannot start with a leading zero", at: start)
        }
        skipDigits()
        var isInteger = true
        if current == UInt8(ascii: ".") {
            isInteger = false
            index += 1
            guard let digit = current, Self.isDigit(digit) else { throw error("a digit was expected after the decimal point") }
            skipDigits()
        }
        if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
            isInteger = false
            index += 1
            if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { index += 1 }
            guard let digit = current, Self.isDigit(digit) else { throw error("a digit was expected in the exponent") }
            skipDigits()
        }
        let text = UnsafeBufferPointer(rebasing: bytes[start..<index])
        if isInteger, let integer = Self.integer(text) { return .integer(integer) }
        // The grammar was checked above, so this is Swift's own correctly rounded conversion.
        guard let number = Double(String(decoding: text, as: UTF8.self)), number.isFinite else {
            throw error("the number is too large", at: start)
        }
        return .number(number)
    }

    private mutating func skipDigits() {
        while let byte = current, Self.isDigit(byte) { index += 1 }
    }

    private static func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }

    /// The integer of an already checked `-?[0-9]+`, or nil when it does not fit `Int`.
    private static func integer(_ text: UnsafeBufferPointer<UInt8>) -> Int? {
        var digits = text[...]
        let negative = digits.first == UInt8(ascii: "-")
        if negative { digits = digits.dropFirst() }
        var value = 0
        for byte in digits {
            let (shifted, overflow1) = value.multipliedReportingOverflow(by: 10)
            let digit = Int(byte - UInt8(ascii: "0"))
            let (next, overflow2) = negative ? shifted.subtractingReportingOverflow(digit) : shifted.addingReportingOverflow(digit)
            if overflow1 || overflow2 { return nil }
            value = next
        }
        return value
    }

    private static func printable(_ byte: UInt8) -> String {
        byte >= 0x20 && byte < 0x7F ? String(UnicodeScalar(byte)) : "\\u{\(String(byte, radix: 16))}"
    }
}
