import EndpointModel
import Foundation
import Testing

@Suite("JSON parser")
struct JSONParserTests {
    @Test func parsesEveryKindOfValue() throws {
        let value = try JSONParser.parse(#" { "s": "a\"b\\c\/d\n\t", "i": -42, "n": 2.5, "e": 1e3, "t": true, "f": false, "z": null, "a": [1, [], {}], "o": {"k": "v"} } "#)
        #expect(value == [
            "s": "a\"b\\c/d\n\t", "i": -42, "n": 2.5, "e": .number(1000), "t": true, "f": false, "z": .null,
            "a": [1, .array([]), .object([:])], "o": ["k": "v"],
        ])
    }

    @Test func unicodeRawAndEscaped() throws {
        #expect(try JSONParser.parse(#""Zoë 😀""#) == "Zoë 😀")
        #expect(try JSONParser.parse(#""\u00e9\ud83d\ude00\u0041""#) == "é😀A")
        #expect(try JSONParser.parse(#""caf\u00e9 é""#) == "café é")
    }

    @Test func integersThatDoNotFitBecomeNumbers() throws {
        #expect(try JSONParser.parse("9223372036854775807") == .integer(Int.max))
        #expect(try JSONParser.parse("-9223372036854775808") == .integer(Int.min))
        #expect(try JSONParser.parse("9223372036854775808") == .number(9223372036854775808))
        #expect(try JSONParser.parse("-0") == .integer(0))
        #expect(try JSONParser.parse("1.0") == .number(1))
    }

    @Test func lastDuplicateKeyWins() throws {
        #expect(try JSONParser.parse(#"{"a": 1, "a": 2}"#) == ["a": 2])
    }

    @Test(arguments: [
        ("", "unexpected end of the text, a value was expected at byte 0"),
        (#"{"a":1,}"#, "expected a quoted key at byte 7"),
        (#"{"a" 1}"#, "expected ':' after the key \"a\" at byte 5"),
        ("[1 2]", "expected ',' or ']' in an array at byte 3"),
        ("[1,]", "unexpected character ']', a value was expected at byte 3"),
        ("01", "a number cannot start with a leading zero at byte 0"),
        ("1.", "a digit was expected after the decimal point at byte 2"),
        ("-", "a digit was expected in the number at byte 1"),
        ("1e400", "the number is too large at byte 0"),
        ("tru", "invalid literal, expected 'true' at byte 0"),
        (#"{"a": 1} x"#, "unexpected text after the JSON value at byte 9"),
        (#""abc"#, "the string is not closed at byte 0"),
        ("\"a\nb\"", "a control character must be escaped in a string at byte 2"),
        (#""\x""#, "invalid escape '\\x' at byte 1"),
        (#""\ud83d""#, "a lone surrogate in a \\u escape at byte 1"),
        (#""\ude00""#, "a lone surrogate in a \\u escape at byte 1"),
        (#""\u12G4""#, "a \\u escape needs four hex digits at byte 5"),
        ("// no\n{}", "unexpected character '/', a value was expected at byte 0"),
    ])
    func rejectsWithTheReasonAndOffset(text: String, expected: String) {
        #expect(throws: JSONParser.Error.self) { try JSONParser.parse(text) }
        do {
            _ = try JSONParser.parse(text)
        } catch {
            #expect(error.description == expected)
        }
    }

    @Test func rejectsInvalidUTF8() {
        let bytes: [UInt8] = [0x22, 0x61, 0xFF, 0x22]
        #expect(throws: JSONParser.Error(message: "the string is not valid UTF-8", offset: 0)) { try JSONParser.parse(bytes) }
        let escaped: [UInt8] = [0x22, 0x5C, 0x6E, 0xC3, 0x22]
        #expect(throws: JSONParser.Error(message: "the string is not valid UTF-8", offset: 0)) { try JSONParser.parse(escaped) }
    }

    @Test func nestingIsBoundedNotAStackOverflow() throws {
        let deepest = String(repeating: "[", count: JSONParser.maximumDepth) + String(repeating: "]", count: JSONParser.maximumDepth)
        #expect(throws: Never.self) { try JSONParser.parse(deepest) }
        let tooDeep = String(repeating: "[", count: 100_000)
        #expect(throws: JSONParser.Error(message: "nesting deeper than 512 levels", offset: 512)) { try JSONParser.parse(tooDeep) }
    }

    @Test func splitsAnArrayMemberIntoElementRanges() throws {
        let text = #"{"a": 1, "items": [ {"x": "]\",[{"}, [1, 2] , 3 ], "b": [true]}"#
        let bytes = Array(text.utf8)
        let split = try #require(bytes.withUnsafeBufferPointer { JSONParser.splitArrayMember("items", of: $0) })
        #expect(split.members == ["a": 1, "b": [true]])
        let elements = try bytes.withUnsafeBufferPointer { buffer in
            try split.elements.map { try JSONParser.parse(buffer, range: $0) }
        }
        #expect(elements == [["x": "]\",[{"], [1, 2], 3])
    }

    @Test(arguments: [#"{"items": [1, 2}"#, #"{"items": [1, "2]}"#, #"{"items": [1,, 2]}"#, #"{"other": [1]}"#, #"[1]"#, #"{"items": [1]} x"#])
    func splitGivesUpOnTextItCannotSplit(text: String) {
        let bytes = Array(text.utf8)
        #expect(bytes.withUnsafeBufferPointer { JSONParser.splitArrayMember("items", of: $0) } == nil)
    }

    @Test func errorsInARangeSayTheOffsetInTheWholeText() {
        let bytes = Array(#"{"items": [1, tru]}"#.utf8)
        #expect(throws: JSONParser.Error(message: "invalid literal, expected 'true'", offset: 14)) {
            try bytes.withUnsafeBufferPointer { try JSONParser.parse($0, range: 14..<17) }
        }
    }

    /// The same values as Foundation's JSONSerialization reads, on documents it writes.
    @Test func agreesWithJSONSerialization() throws {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<200 {
            let object = Self.randomObject(depth: 0, using: &generator)
            let data = try JSONSerialization.data(withJSONObject: object)
            let parsed = try JSONParser.parse(Array(data))
            #expect(Self.same(parsed, object), "\(String(decoding: data, as: UTF8.self))")
        }
    }

    private static func randomObject(depth: Int, using generator: inout SystemRandomNumberGenerator) -> [String: Any] {
        var object: [String: Any] = [:]
        for index in 0..<Int.random(in: 0...4, using: &generator) {
            object["k\(index)\u{e9}\"\\"] = randomValue(depth: depth + 1, using: &generator)
        }
        return object
    }

    private static func randomValue(depth: Int, using generator: inout SystemRandomNumberGenerator) -> Any {
        switch Int.random(in: 0..<(depth < 4 ? 7 : 5), using: &generator) {
        case 0: return Int.random(in: -1_000_000...1_000_000, using: &generator)
        case 1: return Double.random(in: -1e6...1e6, using: &generator) + 0.5
        case 2: return ["plain", "tab\there", "ünï 😀", "quote \" slash / back \\", "\u{1}ctl"].randomElement(using: &generator) ?? ""
        case 3: return Bool.random(using: &generator)
        case 4: return NSNull()
        case 5: return (0..<Int.random(in: 0...3, using: &generator)).map { _ in randomValue(depth: depth + 1, using: &generator) }
        default: return randomObject(depth: depth, using: &generator)
        }
    }

    private static func same(_ value: JSONValue, _ object: Any) -> Bool {
        switch value {
        case .null: return object is NSNull
        case .bool(let bool): return (object as? Bool) == bool
        case .integer(let integer): return (object as? Int) == integer
        case .number(let number): return (object as? Double).map { abs($0 - number) <= abs(number) * 1e-12 } ?? false
        case .string(let string): return (object as? String) == string
        case .array(let items):
            guard let other = object as? [Any], other.count == items.count else { return false }
            return zip(items, other).allSatisfy { same($0, $1) }
        case .object(let members):
            guard let other = object as? [String: Any], other.count == members.count else { return false }
            return members.allSatisfy { key, value in other[key].map { same(value, $0) } ?? false }
        }
    }
}
