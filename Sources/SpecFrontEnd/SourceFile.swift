/// The text of one spec file, kept so that diagnostics can quote the line they point at.
public struct SourceFile: Sendable {
    /// The path as the user named it (`Prompts/sentiment.yaml`), used in every diagnostic.
    public let path: String
    public let text: String
    public let lines: [Substring]

    public init(path: String, text: String) {
        self.path = path
        self.text = text
        // Split on UTF-8 bytes: a line break is always a character boundary, and this is several
        // times faster than splitting the String by Character. Line breaks are libyaml's, so
        // that line numbers agree with its marks: LF, CR LF, a lone CR (found by fuzzing), and
        // NEL, LS and PS.
        var lines: [Substring] = []
        let utf8 = text.utf8
        var start = utf8.startIndex
        var index = start
        while index != utf8.endIndex {
            let byte = utf8[index]
            var breakEnd: String.UTF8View.Index?
            if byte == UInt8(ascii: "\n") {
                breakEnd = utf8.index(after: index)
            } else if byte == UInt8(ascii: "\r") {
                let next = utf8.index(after: index)
                breakEnd = next != utf8.endIndex && utf8[next] == UInt8(ascii: "\n") ? utf8.index(after: next) : next
            } else if byte == 0xC2 || byte == 0xE2 {
                let rest = utf8[index...].prefix(3)
                if rest.starts(with: [0xC2, 0x85]) {
                    breakEnd = utf8.index(index, offsetBy: 2)
                } else if rest.elementsEqual([0xE2, 0x80, 0xA8]) || rest.elementsEqual([0xE2, 0x80, 0xA9]) {
                    breakEnd = utf8.index(index, offsetBy: 3)
                }
            }
            if let breakEnd {
                lines.append(text[start..<index])
                start = breakEnd
                index = breakEnd
            } else {
                index = utf8.index(after: index)
            }
        }
        lines.append(text[start..<utf8.endIndex])
        self.lines = lines
    }

    /// The text of line `number` (1-based), or nil past the end.
    public func line(_ number: Int) -> Substring? {
        guard number >= 1, number <= lines.count else { return nil }
        return lines[number - 1]
    }

    /// Finds the `occurrence`-th (0-based) appearance of `needle` at or after `location`,
    /// and returns where it starts. Used to point into multi-line scalars, whose inner
    /// positions YAML does not report. A needle never spans lines.
    public func locate(_ needle: String, occurrence: Int, from location: SourceLocation) -> SourceLocation? {
        let pattern = Array(needle.unicodeScalars)
        guard location.line >= 1, !pattern.isEmpty else { return nil }
        var remaining = occurrence
        var lineNumber = location.line
        while let text = line(lineNumber) {
            let scalars = Array(text.unicodeScalars)
            var index = lineNumber == location.line ? max(0, location.column - 1) : 0
            while index + pattern.count <= scalars.count {
                if scalars[index] == pattern[0], Array(scalars[index..<index + pattern.count]) == pattern {
                    if remaining == 0 {
                        return SourceLocation(file: path, line: lineNumber, column: index + 1)
                    }
                    remaining -= 1
                    index += pattern.count
                } else {
                    index += 1
                }
            }
            lineNumber += 1
        }
        return nil
    }
}
