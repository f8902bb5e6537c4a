import Foundation
import EndpointModel
import SpecFrontEnd

/// Typed reading of spec nodes that reports what it cannot read. Every check builds on these,
/// so that "expected a string, found a list" reads the same wherever it happens.
struct SpecReader {
    var diagnostics = DiagnosticCollector()

    mutating func string(_ node: SpecNode, _ what: String) -> String? {
        if let string = node.string { return string }
        wrongKind(node, what, expected: "a string")
        return nil
    }

    mutating func entries(_ node: SpecNode, _ what: String) -> [SpecNode.Entry]? {
        if let entries = node.entries { return entries }
        wrongKind(node, what, expected: "a map")
        return nil
    }

    mutating func items(_ node: SpecNode, _ what: String) -> [SpecNode]? {
        if let items = node.items { return items }
        wrongKind(node, what, expected: "a list")
        return nil
    }

    mutating func bool(_ node: SpecNode, _ what: String) -> Bool? {
        if case .bool(let value)? = node.scalar?.kind { return value }
        wrongKind(node, what, expected: "true or false")
        return nil
    }

    mutating func wrongKind(_ node: SpecNode, _ what: String, expected: String) {
        diagnostics.emit(.wrongValueKind, "\(what) must be \(expected), not \(node.kindDescription)", at: node.span)
    }

    /// Reports keys not in `allowed` (with a did-you-mean) and returns the known entries.
    /// `x-` keys pass when `extensionsAllowed`.
    mutating func checkKeys(
        _ entries: [SpecNode.Entry], allowed: [String], code: DiagnosticCode, in place: String,
        extensionsAllowed: Bool = false
    ) {
        for entry in entries where !allowed.contains(entry.key) {
            if extensionsAllowed, entry.key.hasPrefix("x-") { continue }
            diagnostics.emit(
                code, "unknown key '\(entry.key)' in \(place)\(Suggestion.didYouMean(entry.key, in: allowed))",
                at: entry.keySpan, hint: "allowed keys: \(allowed.joined(separator: ", "))")
        }
    }

    mutating func requireKey(_ key: String, in node: SpecNode, of place: String, hint: String? = nil) -> SpecNode? {
        if let value = node[key] { return value }
        diagnostics.emit(.missingKey, "\(place) is missing the required key '\(key)'", at: node.span, hint: hint)
        return nil
    }

    /// A duration (`250ms`, `10s`, `2m`) in milliseconds.
    mutating func duration(_ node: SpecNode, _ what: String) -> Int? {
        let text: String
        switch node.scalar?.kind {
        case .string?: text = node.scalar?.text ?? ""
        case .integer?:
            diagnostics.emit(
                .invalidDuration, "\(what) '\(node.scalar?.text ?? "")' has no unit", at: node.span,
                hint: "write a number with ms, s, m or h, e.g. \(node.scalar?.text ?? "10")s")
            return nil
        default:
            wrongKind(node, what, expected: "a duration such as 10s")
            return nil
        }
        guard let milliseconds = DurationText.milliseconds(text), milliseconds > 0 else {
            diagnostics.emit(
                .invalidDuration, "\(what) '\(text)' is not a duration", at: node.span,
                hint: "write a positive whole number with ms, s or m, e.g. 250ms, 10s, 2m, 24h")
            return nil
        }
        return milliseconds
    }

    /// The node as a JSON value, for examples, defaults, enums and `x-` keys.
    mutating func json(_ node: SpecNode) -> JSONValue? {
        switch node.value {
        case .scalar(let scalar):
            switch scalar.kind {
            case .string: return .string(scalar.text)
            case .integer(let value): return .integer(value)
            case .float(let value):
                guard value.isFinite else {
                    diagnostics.emit(.wrongValueKind, "'\(scalar.text)' has no JSON form; use a finite number", at: node.span)
                    return nil
                }
                return .number(value)
            case .bool(let value): return .bool(value)
            case .null: return .null
            }
        case .sequence(let items):
            var values: [JSONValue] = []
            for item in items {
                guard let value = json(item) else { return nil }
                values.append(value)
            }
            return .array(values)
        case .mapping(let entries):
            var members: [String: JSONValue] = [:]
            for entry in entries {
                guard let value = json(entry.value) else { return nil }
                members[entry.key] = value
            }
            return .object(members)
        }
    }
}

extension SpecNode {
    /// The node a JSON Pointer leads to inside this one, or the deepest one on the way,
    /// so that a violation in an example is reported at the value that breaks the schema.
    func node(at pointer: String) -> SpecNode {
        var node = self
        for token in pointer.split(separator: "/", omittingEmptySubsequences: true) {
            let name = token.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
            if let value = node[name] {
                node = value
            } else if let index = Int(name), let items = node.items, items.indices.contains(index) {
                node = items[index]
            } else {
                break
            }
        }
        return node
    }
}
