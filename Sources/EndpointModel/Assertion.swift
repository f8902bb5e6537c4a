import Foundation

/// One `assert` of a test (spec-format.md, Tests): a path into the answer, an operator and a
/// value, parsed and checked against the output schema by the compiler.
public struct Assertion: Sendable, Hashable {
    public enum Operator: String, Sendable, CaseIterable {
        case equal = "==", notEqual = "!=", less = "<", lessOrEqual = "<=", greater = ">", greaterOrEqual = ">="
        case `in`, contains, matches

        /// Symbols first, longest first, so `<=` is not read as `<`.
        public static let spellings: [Operator] = [.equal, .notEqual, .lessOrEqual, .greaterOrEqual, .less, .greater, .in, .contains, .matches]

        public var isOrdering: Bool { [.less, .lessOrEqual, .greater, .greaterOrEqual].contains(self) }
    }

    /// As written in the spec.
    public var text: String
    /// Object member names and array indexes, in order.
    public var path: [String]
    /// `len(path)`: the length of a string or array rather than its value.
    public var length: Bool
    public var op: Operator
    public var value: JSONValue

    public init(text: String, path: [String], length: Bool, op: Operator, value: JSONValue) {
        self.text = text
        self.path = path
        self.length = length
        self.op = op
        self.value = value
    }

    public var pathText: String {
        let dotted = path.joined(separator: ".")
        return length ? "len(\(dotted))" : dotted
    }

    /// Nil when the assertion holds for `answer`; else what was found.
    public func failure(on answer: JSONValue) -> String? {
        var current: JSONValue? = answer
        for segment in path {
            switch current {
            case .object(let members)?: current = members[segment]
            case .array(let items)?: current = Int(segment).flatMap { items.indices.contains($0) ? items[$0] : nil }
            default: current = nil
            }
        }
        if length {
            switch current {
            case .string(let text)?: current = .integer(text.unicodeScalars.count)
            case .array(let items)?: current = .integer(items.count)
            default: current = nil
            }
        }
        guard let actual = current else { return "assert \"\(text)\": \(pathText) is missing" }
        return holds(actual) ? nil : "assert \"\(text)\": \(pathText) is \(CanonicalJSON.render(actual, pretty: false))"
    }

    private func holds(_ actual: JSONValue) -> Bool {
        switch op {
        case .equal: return Self.equal(actual, value)
        case .notEqual: return !Self.equal(actual, value)
        case .less, .lessOrEqual, .greater, .greaterOrEqual:
            guard let left = actual.doubleValue, let right = value.doubleValue else { return false }
            switch op {
            case .less: return left < right
            case .lessOrEqual: return left <= right
            case .greater: return left > right
            default: return left >= right
            }
        case .in:
            return value.arrayValue?.contains { Self.equal(actual, $0) } ?? false
        case .contains:
            switch (actual, value) {
            case (.string(let text), .string(let part)): return text.contains(part)
            case (.array(let items), _): return items.contains { Self.equal($0, value) }
            default: return false
            }
        case .matches:
            guard case .string(let text) = actual, let pattern = value.stringValue,
                  let expression = try? NSRegularExpression(pattern: pattern) else { return false }
            return expression.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil
        }
    }

    /// JSON equality with 1 and 1.0 the same number.
    static func equal(_ left: JSONValue, _ right: JSONValue) -> Bool {
        if let a = left.doubleValue, let b = right.doubleValue { return a == b }
        return left == right
    }
}
