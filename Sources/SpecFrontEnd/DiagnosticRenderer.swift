/// Renders diagnostics for people (with the source line and a caret) and for tools (JSON).
public enum DiagnosticRenderer {
    /// ```
    /// Prompts/sentiment.yaml:27:15: error[E0301]: template uses 'txt', which is not an input field (did you mean 'text'?)
    ///    27 |     Text: {{txt}}
    ///       |           ^^^^^^^
    ///       = help: fields in scope: text, language
    /// ```
    public static func text(_ diagnostic: Diagnostic, sources: [String: SourceFile]) -> String {
        let location = diagnostic.location
        let position = location.hasPosition ? "\(location.file):\(location.line):\(location.column)" : location.file
        var output = "\(position): \(diagnostic.severity.rawValue)[\(diagnostic.code.rawValue)]: \(diagnostic.message)\n"
        let span = diagnostic.span
        let gutterWidth = max(5, String(span.start.line).count + 1)
        let blankGutter = String(repeating: " ", count: gutterWidth) + " |"
        if span.start.hasPosition, let line = sources[span.file]?.line(span.start.line) {
            let number = String(span.start.line)
            output += String(repeating: " ", count: gutterWidth - number.count) + number + " | " + line + "\n"
            let lineScalars = Array(line.unicodeScalars)
            let startIndex = min(max(0, span.start.column - 1), lineScalars.count)
            // Tabs stay tabs so the caret lines up under them.
            let padding = String(String.UnicodeScalarView(lineScalars[..<startIndex].map { $0 == "\t" ? "\t" : " " }))
            let length = max(1, min(span.length, max(1, lineScalars.count - startIndex)))
            output += blankGutter + " " + padding + String(repeating: "^", count: length) + "\n"
        }
        if let hint = diagnostic.hint {
            output += String(repeating: " ", count: gutterWidth) + " = help: " + hint + "\n"
        }
        return output
    }

    /// All diagnostics as text, then a summary line ("2 errors, 1 warning").
    public static func text(_ diagnostics: [Diagnostic], sources: [String: SourceFile]) -> String {
        var output = diagnostics.map { text($0, sources: sources) }.joined(separator: "\n")
        if !diagnostics.isEmpty { output += "\n" }
        return output + summary(diagnostics) + "\n"
    }

    public static func summary(_ diagnostics: [Diagnostic]) -> String {
        let errors = diagnostics.count { $0.severity == .error }
        let warnings = diagnostics.count { $0.severity == .warning }
        func plural(_ count: Int, _ word: String) -> String { "\(count) \(word)\(count == 1 ? "" : "s")" }
        return "\(plural(errors, "error")), \(plural(warnings, "warning"))"
    }
}
