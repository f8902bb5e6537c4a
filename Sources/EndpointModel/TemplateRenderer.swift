extension PromptTemplate {
    /// Renders the template over `context`, the validated request with defaults filled in.
    /// Values are inserted as they are: never HTML-escaped, never parsed as templates.
    /// Strings insert their text, numbers and booleans their JSON form, arrays and objects
    /// compact JSON, null and missing values nothing.
    public func render(_ context: JSONValue) -> String {
        var output = ""
        output.reserveCapacity(source.utf8.count + 256)
        Self.render(nodes, stack: [context], into: &output)
        return output
    }

    private static func render(_ nodes: [Node], stack: [JSONValue], into output: inout String) {
        for node in nodes {
            switch node {
            case .text(let text):
                output.append(text)
            case .variable(let tag):
                if let value = lookup(tag.path, in: stack) { append(value, to: &output) }
            case .section(let tag, let inverted, let children):
                let value = lookup(tag.path, in: stack) ?? .null
                if inverted {
                    if !isTruthy(value) { render(children, stack: stack, into: &output) }
                } else if case .array(let items) = value {
                    for item in items { render(children, stack: stack + [item], into: &output) }
                } else if isTruthy(value) {
                    render(children, stack: stack + [value], into: &output)
                }
            }
        }
    }

    /// Mustache name resolution: the first name is looked up from the innermost context
    /// outwards, the rest of a dotted name inside what it found.
    static func lookup(_ path: [String], in stack: [JSONValue]) -> JSONValue? {
        guard let first = path.first else { return stack.last }
        guard var value = stack.reversed().lazy.compactMap({ $0[first] }).first else { return nil }
        for name in path.dropFirst() {
            guard let next = value[name] else { return nil }
            value = next
        }
        return value
    }

    static func isTruthy(_ value: JSONValue) -> Bool {
        switch value {
        case .null: return false
        case .bool(let flag): return flag
        case .array(let items): return !items.isEmpty
        case .string(let string): return !string.isEmpty
        default: return true
        }
    }

    private static func append(_ value: JSONValue, to output: inout String) {
        switch value {
        case .null: break
        case .string(let string): output.append(string)
        case .bool(let flag): output.append(flag ? "true" : "false")
        case .integer(let integer): output.append(String(integer))
        case .number(let number): output.append(CanonicalJSON.format(number))
        case .array, .object: output.append(CanonicalJSON.render(value, pretty: false))
        }
    }
}
