/// One problem found in the user's input, with where it is and how to fix it.
/// Diagnostics are values: checks emit them into a `DiagnosticCollector`, and the CLI renders
/// them (`DiagnosticRenderer`) as text or JSON.
public struct Diagnostic: Sendable, Hashable {
    public enum Severity: String, Sendable, Codable, Comparable {
        case error
        case warning

        public static func < (lhs: Severity, rhs: Severity) -> Bool {
            lhs == .error && rhs == .warning
        }
    }

    public var code: DiagnosticCode
    public var message: String
    /// What to do about it, when the message alone does not say.
    public var hint: String?
    /// The stretch the caret underlines.
    public var span: SourceSpan
    /// The reported file:line:column; the span's start unless a check points inside it
    /// (at a variable's name inside its `{{tag}}`, say).
    public var location: SourceLocation
    /// Other places that take part, e.g. the first of two duplicate names in another file.
    public var related: [SourceLocation]

    public init(
        _ code: DiagnosticCode, _ message: String, at span: SourceSpan,
        hint: String? = nil, related: [SourceLocation] = [], location: SourceLocation? = nil
    ) {
        self.code = code
        self.message = message
        self.span = span
        self.location = location ?? span.start
        self.hint = hint
        self.related = related
    }

    public var severity: Severity { code.severity }
}

/// Collects the diagnostics of a run. Checks never stop at the first problem: they emit and
/// go on, so that one run shows the user everything to fix.
public struct DiagnosticCollector: Sendable {
    public private(set) var diagnostics: [Diagnostic] = []

    public init() {}

    public mutating func emit(_ diagnostic: Diagnostic) {
        diagnostics.append(diagnostic)
    }

    public mutating func emit(
        _ code: DiagnosticCode, _ message: String, at span: SourceSpan,
        hint: String? = nil, related: [SourceLocation] = []
    ) {
        diagnostics.append(Diagnostic(code, message, at: span, hint: hint, related: related))
    }

    public mutating func append(contentsOf other: [Diagnostic]) {
        diagnostics.append(contentsOf: other)
    }

    public var errorCount: Int { diagnostics.count { $0.severity == .error } }
    public var warningCount: Int { diagnostics.count { $0.severity == .warning } }
    public var hasErrors: Bool { diagnostics.contains { $0.severity == .error } }

    /// Diagnostics in a stable order: by file, line, column, then code.
    public var sorted: [Diagnostic] {
        diagnostics.sorted {
            ($0.location, $0.code.rawValue, $0.message) < ($1.location, $1.code.rawValue, $1.message)
        }
    }
}
