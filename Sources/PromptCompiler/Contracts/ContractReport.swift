import EndpointModel

/// `promptc diff`'s output: one line per change as text, or one JSON document.
public enum ContractReport {
    /// `breaking    sentiment  /output/properties/score  output field 'score' removed`, then a
    /// count. Columns are padded to the widest entry.
    public static func text(_ changes: [ContractChange]) -> String {
        guard !changes.isEmpty else { return "no changes\n" }
        let endpointWidth = changes.map(\.endpoint.count).max() ?? 0
        let pointerWidth = changes.map { max($0.pointer.count, 1) }.max() ?? 0
        var text = ""
        for change in changes {
            let pointer = change.pointer.isEmpty ? "/" : change.pointer
            text += pad(change.kind.rawValue, 11) + pad(change.endpoint, endpointWidth + 2) + pad(pointer, pointerWidth + 2) + change.reason + "\n"
        }
        let breaking = changes.count(where: \.isBreaking)
        text += "\(breaking) breaking, \(changes.count - breaking) compatible\n"
        return text
    }

    /// `{"breaking": N, "compatible": M, "changes": [{endpoint, pointer, kind, rule, reason}]}`.
    public static func json(_ changes: [ContractChange]) -> String {
        let breaking = changes.count(where: \.isBreaking)
        let items: [JSONValue] = changes.map { change in
            .object([
                "endpoint": .string(change.endpoint), "pointer": .string(change.pointer), "kind": .string(change.kind.rawValue),
                "rule": .string(change.rule.rawValue), "reason": .string(change.reason),
            ])
        }
        return CanonicalJSON.render(.object([
            "breaking": .integer(breaking), "compatible": .integer(changes.count - breaking), "changes": .array(items),
        ])) + "\n"
    }

    private static func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text + " " : text + String(repeating: " ", count: width - text.count)
    }
}
