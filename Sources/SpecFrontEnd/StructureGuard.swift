/// Cheap checks on the raw text, made before Yams sees it, for documents that would hang or
/// crash a YAML composer: Yams hashes mapping keys deeply to find duplicates, so an alias bomb
/// used as a key would take exponential time; and it composes recursively, so thousands of
/// nested brackets would exhaust the stack. Neither occurs in a real spec.
enum StructureGuard {
    static func check(_ source: SourceFile) -> Diagnostic? {
        let hasAnchors = source.text.contains("&")
        var depth = 0
        for (index, line) in source.lines.enumerated() {
            let number = index + 1
            let trimmed = line.drop { $0 == " " || $0 == "\t" }
            if trimmed.hasPrefix("#") { continue }
            let indent = line.count - trimmed.count
            if indent > 4 * SpecFileLoader.maximumDepth {
                return tooDeep(source, line: number, column: 1)
            }
            if trimmed.hasPrefix("? ") || trimmed == "?" {
                return Diagnostic(
                    .complexKey, "explicit keys ('? ') are not supported in specs; write 'key: value'",
                    at: SourceSpan(start: SourceLocation(file: source.path, line: number, column: indent + 1)))
            }
            var quote: Character?
            var previous: Character = " "
            var column = 0
            let characters = Array(line)
            for (offset, character) in characters.enumerated() {
                column += 1
                if let open = quote {
                    if character == open { quote = nil }
                } else {
                    switch character {
                    case "\"", "'":
                        if previous == " " || previous == "[" || previous == "{" || previous == "," || previous == ":" {
                            quote = character
                        }
                    case "[", "{":
                        depth += 1
                        if depth > SpecFileLoader.maximumDepth { return tooDeep(source, line: number, column: column) }
                    case "]", "}":
                        depth = max(0, depth - 1)
                        if hasAnchors, followedByColon(characters, after: offset) {
                            return aliasKey(source, line: number, column: column)
                        }
                    case "*" where hasAnchors && (previous == " " || previous == "[" || previous == "{" || previous == ","):
                        var end = offset + 1
                        while end < characters.count, !" ,[]{}:".contains(characters[end]) { end += 1 }
                        if end > offset + 1, followedByColon(characters, after: end - 1) {
                            return aliasKey(source, line: number, column: column)
                        }
                    default:
                        break
                    }
                    if character == "#" && previous == " " { break }
                }
                previous = character
            }
        }
        return nil
    }

    /// True when the next non-space character after `offset` is a `:` that ends a key.
    private static func followedByColon(_ characters: [Character], after offset: Int) -> Bool {
        var index = offset + 1
        while index < characters.count, characters[index] == " " { index += 1 }
        guard index < characters.count, characters[index] == ":" else { return false }
        return index + 1 == characters.count || characters[index + 1] == " "
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
