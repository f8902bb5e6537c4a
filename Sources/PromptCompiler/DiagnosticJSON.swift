import EndpointModel
import SpecFrontEnd

/// Diagnostics as JSON for editors and CI annotations (`--format json`).
public enum DiagnosticJSON {
    /// A JSON array with one object per diagnostic, one per line: file, line, column,
    /// end_column (where the underline stops), severity, code, message and hint (or null).
    /// Line and column are 0 for problems with no position in a file.
    public static func render(_ diagnostics: [Diagnostic]) -> String {
        guard !diagnostics.isEmpty else { return "[]\n" }
        let lines = diagnostics.map { diagnostic -> String in
            let span = diagnostic.span
            let endColumn = span.start.hasPosition && span.start.line == diagnostic.location.line ? span.start.column + span.length : 0
            let object: JSONValue = [
                "file": .string(diagnostic.location.file),
                "line": .integer(diagnostic.location.line),
                "column": .integer(diagnostic.location.column),
                "end_column": .integer(endColumn),
                "severity": .string(diagnostic.severity.rawValue),
                "code": .string(diagnostic.code.rawValue),
                "message": .string(diagnostic.message),
                "hint": diagnostic.hint.map(JSONValue.string) ?? .null,
            ]
            return "  " + CanonicalJSON.render(object, pretty: false)
        }
        return "[\n" + lines.joined(separator: ",\n") + "\n]\n"
    }
}
