import EndpointModel
import Foundation
import SpecFrontEnd

/// Parses one `assert` of a test (spec-format.md, Tests): `PATH OP VALUE`, where PATH is
/// dotted (`a.b`, `items.0.name`) or `len(PATH)`, OP one of `==`, `!=`, `<`, `<=`, `>`, `>=`,
/// `in`, `contains`, `matches`, and VALUE a YAML scalar or flow list. Then checks it against the
/// output schema as template variables are checked against the input: every field named must
/// exist (with a did-you-mean), and the operator and value must suit the field's type.
struct AssertionChecker {
    let output: FieldSchema

    /// What is wrong with an assertion: one diagnostic's code and message.
    struct Problem: Error {
        var code: DiagnosticCode
        var message: String
        var hint: String?
    }

    func check(_ text: String) -> Result<Assertion, Problem> {
        Result { try parse(text) }.mapError { $0 as? Problem ?? Problem(code: .invalidAssertion, message: "\($0)") }
    }

    private func parse(_ text: String) throws -> Assertion {
        let syntax = "write it as 'PATH OP VALUE', e.g. 'score <= 0' or 'label in [negative, neutral]'"
        // The value is read as YAML on a line of its own: a second line would be read as more YAML.
        guard !text.contains(where: \.isNewline) else {
            throw Problem(code: .invalidAssertion, message: "an assert is one line, and this one has \(text.split(whereSeparator: \.isNewline).count)", hint: syntax)
        }
        let scalars = Array(text.unicodeScalars)
        var index = 0
        func skipSpaces() { while index < scalars.count, scalars[index] == " " || scalars[index] == "\t" { index += 1 } }
        skipSpaces()
        let pathStart = index
        while index < scalars.count, Self.isPathCharacter(scalars[index]) { index += 1 }
        var pathText = String(String.UnicodeScalarView(scalars[pathStart..<index]))
        skipSpaces()
        let rest = String(String.UnicodeScalarView(scalars[index...]))
        guard !pathText.isEmpty else { throw Problem(code: .invalidAssertion, message: "assert '\(text)' does not start with a field", hint: syntax) }
        guard let op = Assertion.Operator.spellings.first(where: { spelling in
            rest.hasPrefix(spelling.rawValue) && (spelling.rawValue.first?.isLetter != true || rest.dropFirst(spelling.rawValue.count).first?.isWhitespace == true)
        }) else {
            let word = rest.split(separator: " ").first.map(String.init) ?? ""
            throw Problem(
                code: .invalidAssertion,
                message: rest.isEmpty ? "assert '\(text)' has no operator" : "assert '\(text)' has no operator: '\(word)' is not one\(Suggestion.didYouMean(word, in: Assertion.Operator.allCases.map(\.rawValue)))",
                hint: "operators: " + Assertion.Operator.allCases.map(\.rawValue).joined(separator: ", "))
        }
        let valueText = rest.dropFirst(op.rawValue.count).trimmingCharacters(in: .whitespaces)
        guard !valueText.isEmpty else { throw Problem(code: .invalidAssertion, message: "assert '\(text)' has no value after '\(op.rawValue)'", hint: syntax) }
        let value = try Self.value(valueText, in: text)

        var length = false
        if pathText.hasPrefix("len(") {
            guard pathText.hasSuffix(")") else { throw Problem(code: .invalidAssertion, message: "assert '\(text)': 'len(' is not closed", hint: syntax) }
            pathText = String(pathText.dropFirst(4).dropLast())
            length = true
        }
        let path = pathText.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard !path.contains(where: \.isEmpty) else { throw Problem(code: .invalidAssertion, message: "assert '\(text)': '\(pathText)' is not a field path", hint: syntax) }
        let assertion = Assertion(text: text, path: path, length: length, op: op, value: value)
        try checkTypes(assertion, target: try resolve(path, in: text))
        return assertion
    }

    static func isPathCharacter(_ scalar: Unicode.Scalar) -> Bool {
        scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || "_-.()".unicodeScalars.contains(scalar)
    }

    /// The value as YAML: a scalar or a flow list.
    private static func value(_ text: String, in assertion: String) throws -> JSONValue {
        var ignored = DiagnosticCollector()
        let loaded = SpecFileLoader.parse(data: Data(("value: " + text).utf8), path: "assert", into: &ignored)
        var reader = SpecReader()
        guard !ignored.hasErrors, let node = loaded.root?["value"], node.entries == nil, let value = reader.json(node) else {
            throw Problem(code: .invalidAssertion, message: "assert '\(assertion)': '\(text)' is not a YAML scalar or list",
                          hint: "quote a string that has ':' or '#' in it")
        }
        return value
    }

    /// The schema of the field the path names.
    private func resolve(_ path: [String], in text: String) throws -> FieldSchema {
        var schema = output
        var walked: [String] = []
        for segment in path {
            switch schema.type {
            case .object:
                guard let property = schema.property(named: segment) else {
                    let place = walked.isEmpty ? "the output" : "'\(walked.joined(separator: "."))'"
                    throw Problem(
                        code: .unknownAssertionField,
                        message: "assert '\(text)' names '\(segment)', which is not a field of \(place)\(Suggestion.didYouMean(segment, in: schema.properties.map(\.name)))")
                }
                schema = property.schema
            case .array:
                guard let items = schema.items, Int(segment).map({ $0 >= 0 }) == true else {
                    throw Problem(code: .invalidAssertion, message: "assert '\(text)': '\(walked.joined(separator: "."))' is a list; '\(segment)' must be an index (0, 1, …)")
                }
                schema = items
            default:
                throw Problem(code: .invalidAssertion, message: "assert '\(text)': '\(walked.joined(separator: "."))' is a \(schema.type.rawValue) and has no '\(segment)'")
            }
            walked.append(segment)
        }
        return schema
    }

    private func checkTypes(_ assertion: Assertion, target schema: FieldSchema) throws {
        let text = assertion.text, field = assertion.pathText
        var target = schema
        if assertion.length {
            guard schema.type == .string || schema.type == .array else {
                throw Problem(code: .invalidAssertion, message: "assert '\(text)': len() takes a string or a list, and '\(assertion.path.joined(separator: "."))' is a \(schema.type.rawValue)")
            }
            target = FieldSchema(type: .integer)
        }
        switch assertion.op {
        case .less, .lessOrEqual, .greater, .greaterOrEqual:
            guard target.type == .integer || target.type == .number else {
                throw Problem(code: .invalidAssertion, message: "assert '\(text)': '\(assertion.op.rawValue)' compares numbers, and '\(field)' is a \(target.type.rawValue)")
            }
            guard assertion.value.doubleValue != nil else { throw mismatch(assertion, "a number") }
        case .equal, .notEqual:
            try checkValue(assertion.value, fits: target, assertion)
        case .in:
            guard let items = assertion.value.arrayValue else { throw mismatch(assertion, "a list such as [a, b]") }
            for item in items { try checkValue(item, fits: target, assertion) }
        case .contains:
            switch target.type {
            case .string: guard assertion.value.stringValue != nil else { throw mismatch(assertion, "a string") }
            case .array: if let items = target.items { try checkValue(assertion.value, fits: items, assertion) }
            default:
                throw Problem(code: .invalidAssertion, message: "assert '\(text)': 'contains' takes a string or a list, and '\(field)' is a \(target.type.rawValue)")
            }
        case .matches:
            guard target.type == .string else {
                throw Problem(code: .invalidAssertion, message: "assert '\(text)': 'matches' takes a string, and '\(field)' is a \(target.type.rawValue)")
            }
            guard let pattern = assertion.value.stringValue, (try? NSRegularExpression(pattern: pattern)) != nil else {
                throw Problem(code: .invalidAssertion, message: "assert '\(text)': '\(CanonicalJSON.render(assertion.value, pretty: false))' is not a regular expression")
            }
        }
    }

    /// A value of the field's type, and one of its enum values when it has them.
    private func checkValue(_ value: JSONValue, fits schema: FieldSchema, _ assertion: Assertion) throws {
        let fits = switch (schema.type, value) {
        case (.string, .string), (.integer, .integer), (.number, .integer), (.number, .number), (.boolean, .bool), (.array, .array), (.object, .object): true
        default: false
        }
        guard fits else { throw mismatch(assertion, "a \(schema.type.rawValue)", value: value) }
        if let allowed = schema.enumValues, !allowed.contains(value) {
            let names = allowed.compactMap(\.stringValue)
            let suggestion = value.stringValue.map { Suggestion.didYouMean($0, in: names) } ?? ""
            throw Problem(
                code: .invalidAssertion,
                message: "assert '\(assertion.text)': \(CanonicalJSON.render(value, pretty: false)) is not one of '\(assertion.pathText)''s values\(suggestion)",
                hint: "its values: " + allowed.map { CanonicalJSON.render($0, pretty: false) }.joined(separator: ", "))
        }
    }

    private func mismatch(_ assertion: Assertion, _ expected: String, value: JSONValue? = nil) -> Problem {
        let shown = value ?? assertion.value
        return Problem(code: .invalidAssertion, message: "assert '\(assertion.text)': '\(assertion.op.rawValue)' on '\(assertion.pathText)' needs \(expected), not \(CanonicalJSON.render(shown, pretty: false))")
    }
}
