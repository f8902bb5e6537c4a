/// A YAML node of a spec file, with where it stands in the file. This is the front end's
/// output: the checks in PromptCompiler read nothing else.
public struct SpecNode: Sendable {
    public enum Value: Sendable {
        case scalar(Scalar)
        case mapping([Entry])
        case sequence([SpecNode])
    }

    /// A scalar, with its type resolved by the YAML 1.2 core schema: `yes` and `on` are
    /// strings, not booleans.
    public struct Scalar: Sendable {
        public enum Kind: Sendable, Equatable {
            case string
            case integer(Int)
            case float(Double)
            case bool(Bool)
            case null
        }

        public enum Style: Sendable {
            case plain, quoted, block
        }

        public var text: String
        public var kind: Kind
        public var style: Style
    }

    /// A mapping entry. Keys are always scalars (the loader rejects others).
    public struct Entry: Sendable {
        public var key: String
        public var keySpan: SourceSpan
        public var value: SpecNode
    }

    public var value: Value
    public var span: SourceSpan

    public init(value: Value, span: SourceSpan) {
        self.value = value
        self.span = span
    }

    public var location: SourceLocation { span.start }

    public var scalar: Scalar? {
        if case .scalar(let scalar) = value { return scalar }
        return nil
    }

    public var entries: [Entry]? {
        if case .mapping(let entries) = value { return entries }
        return nil
    }

    public var items: [SpecNode]? {
        if case .sequence(let items) = value { return items }
        return nil
    }

    /// The text of a string scalar (quoted or plain, not a number or boolean).
    public var string: String? {
        guard let scalar, scalar.kind == .string else { return nil }
        return scalar.text
    }

    public func entry(_ key: String) -> Entry? {
        entries?.first { $0.key == key }
    }

    public subscript(key: String) -> SpecNode? {
        entry(key)?.value
    }

    /// What kind of YAML value this is, for messages ("expected a string, found a list").
    public var kindDescription: String {
        switch value {
        case .mapping: return "a map"
        case .sequence: return "a list"
        case .scalar(let scalar):
            switch scalar.kind {
            case .string: return "a string"
            case .integer: return "an integer"
            case .float: return "a number"
            case .bool: return "a boolean"
            case .null: return "nothing (null)"
            }
        }
    }
}
