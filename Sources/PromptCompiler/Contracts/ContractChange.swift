import EndpointModel

/// One difference between two versions of an API (gateway-contract.md, promptc diff): where it
/// is, which rule judged it, and whether a client written against the old version can fail
/// against the new one.
public struct ContractChange: Sendable, Hashable {
    public enum Kind: String, Sendable {
        case breaking, compatible
    }

    public var endpoint: String
    /// A JSON Pointer into the endpoint's entry in routes.json (`/output/properties/score`).
    public var pointer: String
    public var kind: Kind
    public var rule: ContractRule
    public var reason: String

    public init(endpoint: String, pointer: String, kind: Kind, rule: ContractRule, reason: String) {
        self.endpoint = endpoint
        self.pointer = pointer
        self.kind = kind
        self.rule = rule
        self.reason = reason
    }

    public var isBreaking: Bool { kind == .breaking }
}

/// Which side of the contract a schema is on. A client sends input and reads output, so what
/// breaks it is the opposite in each: narrower input refuses what it sends, looser output
/// gives it what it does not expect.
public enum ContractSide: String, Sendable {
    case input, output

    /// Breaking when input got narrower or output got looser.
    func kind(narrowed: Bool) -> ContractChange.Kind {
        switch self {
        case .input: narrowed ? .breaking : .compatible
        case .output: narrowed ? .compatible : .breaking
        }
    }
}
