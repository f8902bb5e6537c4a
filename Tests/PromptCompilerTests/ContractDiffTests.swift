import EndpointModel
import Foundation
import PromptCompiler
import Testing

/// `promptc diff`'s rules (gateway-contract.md, promptc diff): each with an old and a new spec,
/// on both sides of the contract (input and output) and in both directions (old to new and back).
@Suite("Contract diff")
struct ContractDiffTests {
    /// A spec whose input and output each hold `text`/`label` plus, when given, a field `f`.
    static func spec(input: String? = nil, output: String? = nil, extra: String = "") -> String {
        var text = "name: demo\ndescription: A demo endpoint.\ninput:\n  text: string\n"
        if let input { text += "  f:\n" + indent(input) }
        text += "output:\n  label: string\n"
        if let output { text += "  f:\n" + indent(output) }
        text += "models:\n  - openai/gpt-4o-mini\nprompt:\n  user: \"{{text}}\"\n" + extra
        return text
    }

    static func indent(_ schema: String) -> String {
        schema.split(separator: "\n").map { "    " + $0 + "\n" }.joined()
    }

    static func table(_ yaml: String, file: String = "demo.yaml") throws -> RouteTable {
        let compilation = compile([file: yaml])
        return try #require(compilation.routeTable, "\(describe(compilation.diagnostics))")
    }

    static func changes(_ old: String, _ new: String, today: String = "2026-11-23") throws -> [ContractChange] {
        ContractDiff.changes(from: try table(old), to: try table(new), today: today)
    }

    /// A constraint change that narrows the field from `old` to `new`.
    struct Narrowing: CustomTestStringConvertible, Sendable {
        var old: String
        var new: String
        var rule: ContractRule
        var testDescription: String { "\(rule.rawValue): \(old.replacingOccurrences(of: "\n", with: " ")) → \(new.replacingOccurrences(of: "\n", with: " "))" }
    }

    static let narrowings: [Narrowing] = [
        .init(old: "type: string\nenum: [a, b]", new: "type: string\nenum: [a]", rule: .enumChanged),
        .init(old: "type: string", new: "type: string\nenum: [a]", rule: .enumChanged),
        .init(old: "type: integer\nenum: [1, 2]", new: "type: integer\nenum: [2]", rule: .enumChanged),
        .init(old: "type: string\nmaxLength: 10", new: "type: string\nmaxLength: 5", rule: .boundChanged),
        .init(old: "type: string", new: "type: string\nmaxLength: 5", rule: .boundChanged),
        .init(old: "type: string\nminLength: 1", new: "type: string\nminLength: 2", rule: .boundChanged),
        .init(old: "type: number\nminimum: -1", new: "type: number\nminimum: 0", rule: .boundChanged),
        .init(old: "type: number\nmaximum: 1", new: "type: number\nmaximum: 0.5", rule: .boundChanged),
        .init(old: "type: array\nitems: string\nminItems: 1", new: "type: array\nitems: string\nminItems: 2", rule: .boundChanged),
        .init(old: "type: array\nitems: string\nmaxItems: 9", new: "type: array\nitems: string\nmaxItems: 3", rule: .boundChanged),
        .init(old: "type: array\nitems: { type: string, maxLength: 9 }", new: "type: array\nitems: { type: string, maxLength: 3 }", rule: .boundChanged),
        .init(old: "type: string", new: "type: string\npattern: \"^[a-z]+$\"", rule: .patternChanged),
        .init(old: "type: string", new: "type: string\nformat: email", rule: .formatChanged),
        .init(old: "type: string\noptional: true", new: "type: string", rule: .requiredChanged),
        .init(old: "type: object\nproperties: { g: { type: string, optional: true } }", new: "type: object\nproperties: { g: string }", rule: .requiredChanged),
    ]

    /// Narrowed input breaks a client; narrowed output does not, and loosened output does.
    @Test(arguments: narrowings)
    func aConstraintIsJudgedBySideAndDirection(_ narrowing: Narrowing) throws {
        for side in [ContractSide.input, .output] {
            let old = side == .input ? Self.spec(input: narrowing.old) : Self.spec(output: narrowing.old)
            let new = side == .input ? Self.spec(input: narrowing.new) : Self.spec(output: narrowing.new)
            for (from, to, narrowed) in [(old, new, true), (new, old, false)] {
                let found = try Self.changes(from, to).filter { $0.rule == narrowing.rule }
                let expected: ContractChange.Kind = (side == .input) == narrowed ? .breaking : .compatible
                #expect(found.count == 1, "\(side) \(narrowed ? "narrowed" : "loosened"): \(found)")
                #expect(found.first?.kind == expected, "\(side) \(narrowed ? "narrowed" : "loosened"): \(found)")
                #expect(found.first?.pointer.hasPrefix("/\(side.rawValue)/properties/f") == true, "\(found)")
            }
        }
    }

    @Test func aTypeChangeBreaksEitherWayOnEitherSide() throws {
        for side in [ContractSide.input, .output] {
            let string = side == .input ? Self.spec(input: "type: string") : Self.spec(output: "type: string")
            let integer = side == .input ? Self.spec(input: "type: integer") : Self.spec(output: "type: integer")
            for (from, to) in [(string, integer), (integer, string)] {
                let changes = try Self.changes(from, to)
                #expect(changes.map(\.rule) == [.typeChanged])
                #expect(changes.first?.kind == .breaking)
                #expect(changes.first?.pointer == "/\(side.rawValue)/properties/f/type")
            }
        }
    }

    /// Removing a field breaks on both sides; adding one breaks only as a required input.
    @Test func fieldsAddedAndRemoved() throws {
        let plain = Self.spec()
        #expect(try Self.changes(Self.spec(input: "type: string"), plain).map(\.kind) == [.breaking])
        #expect(try Self.changes(Self.spec(output: "type: string"), plain).map(\.kind) == [.breaking])
        #expect(try Self.changes(Self.spec(input: "type: string"), plain).first?.rule == .fieldRemoved)

        let requiredInput = try Self.changes(plain, Self.spec(input: "type: string"))
        #expect(requiredInput.map(\.rule) == [.fieldAdded])
        #expect(requiredInput.first?.kind == .breaking)
        #expect(try Self.changes(plain, Self.spec(input: "type: string\noptional: true")).map(\.kind) == [.compatible])
        #expect(try Self.changes(plain, Self.spec(input: "type: string\ndefault: x")).map(\.kind) == [.compatible])
        let newOutput = try Self.changes(plain, Self.spec(output: "type: string"))
        #expect(newOutput.map(\.rule) == [.fieldAdded])
        #expect(newOutput.first?.kind == .compatible)
        #expect(newOutput.first?.pointer == "/output/properties/f")
    }

    /// A removed input default is breaking; an added one is not. Output defaults are not compared.
    @Test func inputDefaults() throws {
        let withDefault = Self.spec(input: "type: string\ndefault: x")
        let optional = Self.spec(input: "type: string\noptional: true")
        let removed = try Self.changes(withDefault, optional).filter { $0.rule == .defaultChanged }
        #expect(removed.map(\.kind) == [.breaking])
        #expect(removed.first?.pointer == "/input/properties/f/default")
        #expect(try Self.changes(optional, withDefault).filter { $0.rule == .defaultChanged }.map(\.kind) == [.compatible])
        let changedDefault = try Self.changes(withDefault, Self.spec(input: "type: string\ndefault: y"))
        #expect(changedDefault.map(\.kind) == [.compatible])
    }

    /// An endpoint removed before its sunset (or without one) breaks its callers; after its
    /// sunset, or retired, it does not. A new endpoint is compatible.
    @Test func endpointsAddedAndRemoved() throws {
        let demo = try Self.table(Self.spec())
        let empty = RouteTable(endpoints: [])
        let removed = ContractDiff.changes(from: demo, to: empty, today: "2026-11-23")
        #expect(removed.map(\.rule) == [.endpointRemoved])
        #expect(removed.first?.kind == .breaking)
        #expect(ContractDiff.changes(from: empty, to: demo, today: "2026-11-23").map(\.kind) == [.compatible])

        let sunset = try Self.table(Self.spec(extra: "lifecycle:\n  deprecated: 2026-01-01\n  sunset: 2026-06-01\n"))
        #expect(ContractDiff.changes(from: sunset, to: empty, today: "2026-05-31").map(\.kind) == [.breaking])
        #expect(ContractDiff.changes(from: sunset, to: empty, today: "2026-06-01").map(\.kind) == [.compatible])
        let retired = try Self.table(Self.spec(extra: "lifecycle:\n  retired: true\n"))
        #expect(ContractDiff.changes(from: retired, to: empty, today: "2026-01-01").map(\.kind) == [.compatible])
    }

    @Test func aMovedRouteBreaks() throws {
        let changes = try Self.changes(Self.spec(), Self.spec(extra: "route: POST /v1/other\n"))
        #expect(changes.map(\.rule) == [.routeChanged])
        #expect(changes.first?.kind == .breaking)
        #expect(changes.first?.reason == "route changed from POST /v1/demo to POST /v1/other")
    }

    /// What clients do not see is listed, and never breaking.
    @Test func promptModelsAndPoliciesAreCompatible() throws {
        let base = Self.spec()
        let edits: [(String, ContractRule)] = [
            (base.replacingOccurrences(of: "user: \"{{text}}\"", with: "user: \"Text: {{text}}\""), .promptChanged),
            (base.replacingOccurrences(of: "  - openai/gpt-4o-mini\n", with: "  - openai/gpt-4o-mini\n  - openai/gpt-4o\n"), .modelsChanged),
            (base + "fallback:\n  retries: 2\n", .policyChanged),
            (base + "parameters:\n  temperature: 0.5\n", .policyChanged),
            (base + "cache:\n  ttl: 1m\n", .policyChanged),
            (base + "lifecycle:\n  deprecated: 2026-01-01\n", .lifecycleChanged),
            (base.replacingOccurrences(of: "A demo endpoint.", with: "Another demo."), .descriptionChanged),
        ]
        for (edited, rule) in edits {
            let changes = try Self.changes(base, edited)
            #expect(changes.map(\.rule) == [rule], "\(changes)")
            #expect(changes.allSatisfy { !$0.isBreaking })
        }
        #expect(try Self.changes(base, base).isEmpty)
    }

    /// `compile --check` refuses breaking changes only for endpoints whose version stayed.
    @Test func aNewVersionExcusesItsBreakingChanges() throws {
        let old = Self.spec(output: "type: string")
        let sameVersion = try Self.changes(old, Self.spec())
        #expect(ContractDiff.unversionedBreaking(sameVersion).count == 1)
        let newVersion = try Self.changes(old, Self.spec(extra: "version: 2\nroute: POST /v1/demo\n"))
        #expect(newVersion.contains { $0.rule == .versionChanged })
        #expect(newVersion.contains { $0.isBreaking })
        #expect(ContractDiff.unversionedBreaking(newVersion).isEmpty)
    }

    /// A routes.json read back compares equal to the specs it came from: field order, defaults
    /// and optional fields as JSON Schema do not make phantom changes.
    @Test func aRouteTableReadBackHasNoChanges() throws {
        let compiled = try #require(try compileExampleSpecs().routeTable)
        let data = try Data(contentsOf: repositoryRoot.appendingPathComponent("Generated/routes.json"))
        #expect(ContractDiff.changes(from: try RouteTable.read(from: data), to: compiled, today: "2026-11-23").isEmpty)
    }

    @Test func theReportsSayWhatAndWhere() throws {
        let changes = try Self.changes(Self.spec(output: "type: string"), Self.spec())
        let text = ContractReport.text(changes)
        #expect(text.contains("breaking   demo  /output/properties/f  output field 'f' removed"), "\(text)")
        #expect(text.hasSuffix("1 breaking, 0 compatible\n"))
        let json = try #require(try JSONSerialization.jsonObject(with: Data(ContractReport.json(changes).utf8)) as? [String: Any])
        #expect(json["breaking"] as? Int == 1)
        let first = try #require((json["changes"] as? [[String: Any]])?.first)
        #expect(first["rule"] as? String == "field-removed")
        #expect(first["pointer"] as? String == "/output/properties/f")
        #expect(first["endpoint"] as? String == "demo")
        #expect(first["kind"] as? String == "breaking")
    }
}
