/// A position in a spec file. Lines and columns start at 1; columns count Unicode scalars,
/// as libyaml does.
public struct SourceLocation: Sendable, Hashable, Comparable {
    public var file: String
    public var line: Int
    public var column: Int

    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    /// A location for problems that belong to a whole file (or folder), not to a place in it.
    public static func file(_ path: String) -> SourceLocation {
        SourceLocation(file: path, line: 0, column: 0)
    }

    public var hasPosition: Bool { line > 0 }

    public static func < (lhs: SourceLocation, rhs: SourceLocation) -> Bool {
        (lhs.file, lhs.line, lhs.column) < (rhs.file, rhs.line, rhs.column)
    }
}

/// The stretch of one source line a diagnostic underlines: `length` scalars from `start`.
public struct SourceSpan: Sendable, Hashable {
    public var start: SourceLocation
    public var length: Int

    public init(start: SourceLocation, length: Int = 1) {
        self.start = start
        self.length = max(1, length)
    }

    public var file: String { start.file }
}
