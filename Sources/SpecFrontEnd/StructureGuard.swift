/// Cheap checks on the raw text, made before Yams sees it, for documents that would hang or
/// crash a YAML composer: Yams hashes mapping keys deeply to find duplicates, so an alias bomb
/// used as a key would take exponential time; and it composes recursively, so thousands of
/// nested brackets would exhaust the stack. Neither occurs in a real spec.
///
/// The scan works on UTF-8 bytes: every character it looks for is ASCII, and a byte scan keeps
/// this pass a small fraction of the parse even for a thousand specs.
enum StructureGuard {
    private static let space = UInt8(ascii: " ")
    private static let tab = UInt8(ascii: "\t")

    static func check(_ source: SourceFile) -> Diagnostic? {
        let hasAnchors = source.text.utf8.contains(UInt8(ascii: "&"))
        var depth = 0
        for (index, line) in source.lines.enumerated() {
            let number = index + 1
            let bytes = Array(line.utf8)
            var indent = 0
            while indent < bytes.count, bytes[indent] == space || bytes[indent] == tab { indent += 1 }
            if indent < bytes.count, bytes[indent] == UInt8(ascii: "#") { continue }
            if indent > 4 * SpecFileLoader.maximumDepth {
                return tooDeep(source, line: number, column: 1)
            }
            if indent < bytes.count, bytes[indent] == UInt8(ascii: "?"),
                indent + 1 == bytes.count || bytes[indent + 1] == space
            {
                return Diagnostic(
                    .complexKey, "explicit keys ('? ') are not supported in specs; write 'key: value'",
                    at: SourceSpan(start: SourceLocation(file: source.path, line: number, column: indent + 1)))
            }
            if let problem = scanLine(bytes, line: number, source: source, hasAnchors: hasAnchors, depth: &depth) {
                return problem
            }
        }
        return nil
    }

    private static func scanLine(
        _ bytes: [UInt8], line number: Int, source: SourceFile, hasAnchors: Bool, depth: inout Int
    ) -> Diagnostic? {
        var quote: UInt8?
        var previous = space
        var column = 0
        for (offset, byte) in bytes.enumerated() {
            // Columns count Unicode scalars, as every other position does: skip continuation bytes.
            if byte & 0xC0 != 0x80 { column += 1 }
            if let open = quote {
                if byte == open { quote = nil }
                previous = byte
                continue
            }
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "'"):
                if isOpener(previous) || previous == UInt8(ascii: ":") { quote = byte }
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                depth += 1
                if depth > SpecFileLoader.maximumDepth { return tooDeep(source, line: number, column: column) }
            case UInt8(ascii: "]"), UInt8(ascii: "}"):
                depth = max(0, depth - 1)
                if hasAnchors, followedByColon(bytes, after: offset) {
                    return aliasKey(source, line: number, column: column)
                }
            case UInt8(ascii: "*") where hasAnchors && isOpener(previous):
                var end = offset + 1
                while end < bytes.count, !isAliasEnd(bytes[end]) { end += 1 }
                if end > offset + 1, followedByColon(bytes, after: end - 1) {
                    return aliasKey(source, line: number, column: column)
                }
            case UInt8(ascii: "#") where previous == space:
                return nil
            default:
                break
            }
            previous = byte
        }
        return nil
    }

    private static func isOpener(_ byte: UInt8) -> Bool {
        byte == space || byte == UInt8(ascii: "[") || byte == UInt8(ascii: "{") || byte == UInt8(ascii: ",")
    }

    private static func isAliasEnd(_ byte: UInt8) -> Bool {
        byte == space || byte == UInt8(ascii: ",") || byte == UInt8(ascii: "[") || byte == UInt8(ascii: "]")
            || byte == UInt8(ascii: "{") || byte == UInt8(ascii: "}") || byte == UInt8(ascii: ":")
    }

    /// True when the next non-space byte after `offset` is a `:` that ends a key.
    private static func followedByColon(_ bytes: [UInt8], after offset: Int) -> Bool {
        var index = offset + 1
        while index < bytes.count, bytes[index] == space { index += 1 }
        guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { return false }
        return index + 1 == bytes.count || bytes[index + 1] == space
    }

    private static func tooDeep(_ source: SourceFile, line: Int, column: Int) -> Diagnostic {
        Diagnostic(
            .yamlTooComplex, "the YAML nests more than \(SpecFileLoader.maximumDepth) levels deep",
            at: SourceSpan(start: SourceLocation(file: source.path, line: line, column: column)))
    }

    private static func aliasKey(_ source: SourceFile, line: Int, column: Int) -> Diagnostic {
        Diagnostic(
            .yamlTooComplex, "aliases and collections cannot be used as map keys in a spec",
            at: SourceSpan(start: SourceLocation(file: source.path, line: line, column: column)),
            hint: "use plain names as keys")
    }
}
