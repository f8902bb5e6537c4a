import EndpointModel
import Foundation
import PromptCompiler
import SpecFrontEnd
import Testing

/// `lifecycle` in specs (spec-format.md) and what it does to the artifacts
/// (gateway-contract.md, Deprecation, sunset, retirement).
@Suite("Lifecycle in specs")
struct LifecycleTests {
    static func named(_ name: String, appending extra: String = "") -> String {
        spec(replacing: ["name: demo": "name: \(name)"], appending: extra)
    }

    static let deprecatedV1 = named("demo", appending: "lifecycle:\n  deprecated: 2026-01-15\n  sunset: 2027-01-15\n  successor: demo_v2\n")
    static let v2 = named("demo_v2", appending: "version: 2\n")

    @Test func aLifecycleReachesTheRouteTableAndOpenAPI() throws {
        let compilation = compile(["demo.yaml": Self.deprecatedV1, "demo_v2.yaml": Self.v2])
        #expect(compilation.errorCount == 0, "\(describe(compilation.diagnostics))")
        let table = try #require(compilation.routeTable)
        let v1 = try #require(table.endpoints.first { $0.name == "demo" })
        #expect(v1.lifecycle == Lifecycle(deprecated: "2026-01-15", sunset: "2027-01-15", successor: "demo_v2"))
        #expect(table.endpoints.first { $0.name == "demo_v2" }?.lifecycle == nil)

        let document = OpenAPIRenderer.document(for: table)
        let old = document["paths"]?["/v1/demo"]?["post"]
        #expect(old?["deprecated"] == true)
        #expect(old?["responses"]?["410"] == ["$ref": "#/components/responses/Gone"])
        #expect(old?["responses"]?["200"]?["headers"]?["Sunset"] != nil)
        #expect(old?["responses"]?["200"]?["headers"]?["Link"] != nil)
        let new = document["paths"]?["/v2/demo_v2"]?["post"]
        #expect(new?["deprecated"] == nil)
        #expect(new?["responses"]?["410"] == nil)
        #expect(new?["responses"]?["200"]?["headers"]?["Deprecation"] == nil)
    }

    /// Route tables of specs without a lifecycle are as they were: no `lifecycle` key at all.
    @Test func noLifecycleLeavesTheRouteTableAsItWas() throws {
        let compilation = compile(["demo.yaml": minimalSpec])
        let table = try #require(compilation.routeTable)
        #expect(!String(decoding: try JSONEncoder().encode(table), as: UTF8.self).contains("lifecycle"))
        let retired = try #require(compile(["demo.yaml": spec(appending: "lifecycle:\n  retired: true\n")]).routeTable)
        let written = try JSONEncoder().encode(retired)
        #expect(String(decoding: written, as: UTF8.self).contains(#""lifecycle":{"retired":true}"#))
        #expect(try RouteTable.read(from: written).endpoints.first?.lifecycle == Lifecycle(retired: true))
    }

    @Test func aMistypedSuccessorGetsADidYouMean() {
        let compilation = compile(["demo.yaml": Self.named("demo", appending: "lifecycle:\n  successor: demo_v3\n"), "demo_v2.yaml": Self.v2])
        let errors = compilation.diagnostics.filter { $0.severity == .error }
        #expect(errors.count == 1)
        #expect(errors.first?.code == .unknownSuccessor)
        #expect(errors.first?.message.contains("did you mean 'demo_v2'") == true, "\(describe(errors))")
    }

    /// A successor whose own spec has an error is still a known name: one diagnostic, in its file.
    @Test func aBrokenSuccessorDoesNotCascade() {
        let brokenV2 = spec(replacing: ["name: demo": "name: demo_v2", "description: A demo endpoint.": "description: \"\""])
        let compilation = compile(["demo.yaml": Self.deprecatedV1, "demo_v2.yaml": brokenV2])
        let errors = compilation.diagnostics.filter { $0.severity == .error }
        #expect(errors.count == 1, "\(describe(errors))")
        #expect(errors.first?.location.file == "Prompts/demo_v2.yaml")
    }

    @Test func lifecycleMistakesAreOneDiagnosticEach() {
        let cases: [(String, DiagnosticCode, String)] = [
            ("lifecycle:\n  deprecatd: 2026-01-01\n", .unknownKey, "did you mean 'deprecated'"),
            ("lifecycle:\n  sunset: 30.06.2026\n", .invalidLifecycleDate, "YYYY-MM-DD"),
            ("lifecycle:\n  sunset: 2027-13-01\n", .invalidLifecycleDate, "'2027-13-01'"),
            ("lifecycle:\n  successor: demo\n", .unknownSuccessor, "itself"),
            ("lifecycle:\n  retired: yes please\n", .wrongValueKind, "true or false"),
            ("lifecycle: soon\n", .wrongValueKind, "must be a map"),
        ]
        for (extra, code, says) in cases {
            let errors = compile(["demo.yaml": spec(appending: extra)]).diagnostics.filter { $0.severity == .error }
            #expect(errors.count == 1, "\(extra): \(describe(errors))")
            #expect(errors.first?.code == code, "\(extra)")
            #expect(errors.first?.message.contains(says) == true, "\(extra): \(errors.first?.message ?? "")")
        }
    }
}
