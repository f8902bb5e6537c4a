import Foundation
import Testing

/// `promptc diff` and `compile --check`'s breaking-change rule (gateway-contract.md, promptc diff).
@Suite("promptc diff")
struct DiffCommandTests {
    static func edit(_ cli: CLI, _ file: String, _ change: (String) -> String) throws {
        let path = cli.folder.appendingPathComponent(file)
        try cli.write(change(try String(contentsOf: path, encoding: .utf8)), to: file)
    }

    static let scoreField = """
          score:
            type: number
            minimum: -1
            maximum: 1
            description: From -1 (very negative) to 1 (very positive).

        """

    /// Removing an output field: listed as breaking in text and JSON, exit 1; compile --check
    /// refuses it under the same version, and lets it through with --allow-breaking.
    @Test func aRemovedOutputFieldIsRefused() throws {
        let cli = try CLI()
        #expect(try cli.run("compile").status == 0)
        let unchanged = try cli.run("diff")
        #expect(unchanged.status == 0, "\(unchanged.stderr)")
        #expect(unchanged.stdout == "no changes\n")

        try Self.edit(cli, "Prompts/sentiment.yaml") {
            // The spec's tests assert on the score, so they go too.
            ($0.components(separatedBy: "\ntests:").first ?? "").replacingOccurrences(of: Self.scoreField, with: "")
                .replacingOccurrences(of: ", score: 0.9 }", with: " }").replacingOccurrences(of: ", score: -0.6 }", with: " }")
        }
        let diff = try cli.run("diff")
        #expect(diff.status == 1, "\(diff.stderr)")
        #expect(diff.stdout.contains("breaking   sentiment  /output/properties/score  output field 'score' removed"), "\(diff.stdout)")
        let json = try cli.run("diff", "Generated/routes.json", "Prompts", "--format", "json")
        #expect(json.status == 1)
        let document = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let change = try #require((document["changes"] as? [[String: Any]])?.first)
        #expect(change["rule"] as? String == "field-removed")
        #expect(change["kind"] as? String == "breaking")

        let check = try cli.run("compile", "--check")
        #expect(check.status == 1)
        #expect(check.stderr.contains("break the contract of Generated/routes.json without a new version"), "\(check.stderr)")
        #expect(check.stderr.contains("output field 'score' removed"))
        let allowed = try cli.run("compile", "--check", "--allow-breaking")
        #expect(allowed.status == 1, "Generated/ is still stale")
        #expect(!allowed.stderr.contains("without a new version"), "\(allowed.stderr)")
        #expect(allowed.stderr.contains("is out of date"), "\(allowed.stderr)")

        // compile writes it all the same, and says so; then the committed table is the new one.
        let written = try cli.run("compile")
        #expect(written.status == 0)
        #expect(written.stderr.contains("warning: these changes break the contract of the Generated/routes.json they replace"), "\(written.stderr)")
        #expect(try cli.run("diff").status == 0)
    }

    /// A new version is the way to make a breaking change: compile --check does not refuse it.
    @Test func aNewVersionIsNotRefused() throws {
        let cli = try CLI()
        #expect(try cli.run("compile").status == 0)
        try Self.edit(cli, "Prompts/sentiment.yaml") {
            $0.replacingOccurrences(of: "version: 1", with: "version: 2").replacingOccurrences(of: "POST /v1/sentiment", with: "POST /v2/sentiment")
        }
        let diff = try cli.run("diff")
        #expect(diff.status == 1, "the moved route is breaking")
        #expect(diff.stdout.contains("version changed from 1 to 2"), "\(diff.stdout)")
        let check = try cli.run("compile", "--check")
        #expect(!check.stderr.contains("without a new version"), "\(check.stderr)")
    }

    /// A new optional input field and a new output field are compatible: exit 0, listed.
    @Test func compatibleChangesExit0() throws {
        let cli = try CLI()
        #expect(try cli.run("compile").status == 0)
        let old = cli.folder.appendingPathComponent("old.json")
        try FileManager.default.copyItem(at: cli.folder.appendingPathComponent("Generated/routes.json"), to: old)
        try Self.edit(cli, "Prompts/sentiment.yaml") {
            $0.replacingOccurrences(of: "output:\n", with: "output:\n  reason?: string\n")
        }
        let diff = try cli.run("diff", "old.json", "Prompts")
        #expect(diff.status == 0, "\(diff.stdout)\(diff.stderr)")
        #expect(diff.stdout.contains("compatible sentiment  /output/properties/reason  new output field 'reason'"), "\(diff.stdout)")
        #expect(try cli.run("diff", "missing.json").status == 1)
    }
}
