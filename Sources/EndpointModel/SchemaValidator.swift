import Foundation

/// One way a value breaks its schema: where (a JSON Pointer into the value) and what.
public struct Violation: Sendable, Hashable, Codable, CustomStringConvertible {
    public var path: String
    public var message: String

    public init(path: String, message: String) {
        self.path = path
        self.message = message
    }

    public var description: String { "\(path.isEmpty ? "/" : path): \(message)" }
}

/// Checks JSON values against a `FieldSchema`, reporting every violation rather than the
/// first. Build one per schema and keep it: the patterns are compiled once, here.
public struct SchemaValidator: @unchecked Sendable {
    // @unchecked: NSRegularExpression is immutable after creation and safe to share.
    public let schema: FieldSchema
    private let patterns: [String: NSRegularExpression]

    public init(_ schema: FieldSchema) {
        self.schema = schema
        var patterns: [String: NSRegularExpression] = [:]
        Self.collectPatterns(schema, into: &patterns)
        self.patterns = patterns
    }

    /// Compiles a pattern the way validation will use it, or says why it does not compile.
    public static func compile(pattern: String) -> Result<NSRegularExpression, Error> {
        Result { try NSRegularExpression(pattern: pattern) }
    }

    private static func collectPatterns(_ schema: FieldSchema, into patterns: inout [String: NSRegularExpression]) {
        if let pattern = schema.pattern, patterns[pattern] == nil,
           case .success(let regex) = compile(pattern: pattern) {
            patterns[pattern] = regex
        }
        if let items = schema.items { collectPatterns(items, into: &patterns) }
        for property in schema.properties { collectPatterns(property.schema, into: &patterns) }
    }

    public func validate(_ value: JSONValue) -> [Violation] {
        validate(value, reportingAtMost: .max).violations
    }

    /// Every violation is counted, but only the first `limit` are spelled out: a body with a
    /// long array of wrong items must not make an answer (or the work) grow with it.
    public func validate(_ value: JSONValue, reportingAtMost limit: Int) -> (violations: [Violation], more: Int) {
        var violations = Violations(limit: limit)
        validate(value, against: schema, at: { "" }, into: &violations)
        return (violations.reported, violations.more)
    }

    /// Violations up to a limit, then only their count.
    struct Violations {
        let limit: Int
        var reported: [Violation] = []
        var more = 0

        mutating func append(_ path: () -> String, _ message: @autoclosure () -> String) {
            if reported.count < limit {
                reported.append(Violation(path: path(), message: message()))
            } else {
                more += 1
            }
        }
    }

    /// `path` is a closure so that the JSON Pointer of a value is only spelled out when the value
    /// breaks its schema: valid values, the common case on the request path, build no strings.
    ///
    /// `null` is a value like any other (as in JSON Schema): a field present with `null` whose
    /// schema is not of that type is a violation, never "absent".
    private func validate(_ value: JSONValue, against schema: FieldSchema, at path: () -> String, into violations: inout Violations) {
        func fail(_ message: String) { violations.append(path, message) }

        switch (schema.type, value) {
        case (.string, .string(let string)):
            if schema.minLength != nil || schema.maxLength != nil {
                let length = string.unicodeScalars.count
                if let minLength = schema.minLength, length < minLength {
                    fail("must be at least \(minLength) character\(minLength == 1 ? "" : "s") long")
                }
                if let maxLength = schema.maxLength, length > maxLength {
                    fail("must be at most \(maxLength) character\(maxLength == 1 ? "" : "s") long")
                }
            }
            if let pattern = schema.pattern, let regex = patterns[pattern] {
                let range = NSRange(string.startIndex..., in: string)
                if regex.firstMatch(in: string, range: range) == nil {
                    fail("must match the pattern \(pattern)")
                }
            }
            if let format = schema.format, !FormatChecker.matches(string, format: format) {
                fail("must be \(FormatChecker.describe(format))")
            }
        case (.integer, .integer), (.number, .integer), (.number, .number):
            checkBounds(value.doubleValue ?? 0, schema, fail)
        case (.integer, .number(let number)) where number == number.rounded() && number.isFinite:
            checkBounds(number, schema, fail)
        case (.boolean, .bool):
            break
        case (.array, .array(let items)):
            var lengthIsWrong = false
            if let minItems = schema.minItems, items.count < minItems {
                fail("must have at least \(minItems) item\(minItems == 1 ? "" : "s")")
                lengthIsWrong = true
            }
            if let maxItems = schema.maxItems, items.count > maxItems {
                fail("must have at most \(maxItems) item\(maxItems == 1 ? "" : "s")")
                lengthIsWrong = true
            }
            // Items of an array whose length is already wrong are not checked.
            if !lengthIsWrong, let itemSchema = schema.items {
                for (index, item) in items.enumerated() {
                    validate(item, against: itemSchema, at: { JSONPointer.appending(index, to: path()) }, into: &violations)
                }
            }
        case (.object, .object(let members)):
            var known = 0
            // By index, not `for property in`: each Property is a whole FieldSchema, and copying
            // one per field per request showed in the profile.
            for index in schema.properties.indices {
                let name = schema.properties[index].name
                if let member = members[name] {
                    known += 1
                    validate(member, against: schema.properties[index].schema, at: { JSONPointer.appending(name, to: path()) }, into: &violations)
                } else if schema.properties[index].isRequired {
                    violations.append({ JSONPointer.appending(name, to: path()) }, "is required")
                }
            }
            if known < members.count, !schema.allowsOtherMembers {
                for name in members.keys.sorted() where schema.property(named: name) == nil {
                    violations.append({ JSONPointer.appending(name, to: path()) }, "is not a field of this object")
                }
            }
        default:
            fail("must be \(Self.article(schema.type)), not \(Self.article(value))")
            return
        }
        if let allowed = schema.enumValues, !allowed.contains(where: { Self.equal($0, value) }) {
            let list = allowed.map { $0.stringValue ?? CanonicalJSON.render($0, pretty: false) }.joined(separator: ", ")
            fail("must be one of: \(list)")
        }
    }

    private func checkBounds(_ number: Double, _ schema: FieldSchema, _ fail: (String) -> Void) {
        if let minimum = schema.minimum, number < minimum {
            fail("must be at least \(CanonicalJSON.format(minimum))")
        }
        if let maximum = schema.maximum, number > maximum {
            fail("must be at most \(CanonicalJSON.format(maximum))")
        }
    }

    /// JSON equality, where 1 and 1.0 are the same number.
    static func equal(_ a: JSONValue, _ b: JSONValue) -> Bool {
        if let x = a.doubleValue, let y = b.doubleValue { return x == y }
        return a == b
    }

    private static func article(_ type: FieldType) -> String {
        switch type {
        case .integer, .array, .object: return "an \(type.rawValue)"
        case .string, .number, .boolean: return "a \(type.rawValue)"
        }
    }

    private static func article(_ value: JSONValue) -> String {
        switch value {
        case .null: return "null"
        case .integer, .array, .object: return "an \(value.typeName)"
        default: return "a \(value.typeName)"
        }
    }
}
