import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing

/// `promptc test` as a user runs it (gateway-contract.md, promptc test).
@Suite("promptc test")
struct TestCommandTests {
    /// With --mock, the example specs' cases pass, a JUnit file is written, and --filter picks.
    @Test func mockRunsEveryCaseAndWritesJUnit() throws {
        let cli = try CLI()
        let result = try cli.run("test", "--mock", "--junit", "results.xml")
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("PASS sentiment › example 1 (mock/openai/gpt-4o-mini, "), "\(result.stdout)")
        #expect(result.stdout.contains("PASS sentiment › sarcasm is not positive"), "\(result.stdout)")
        #expect(result.stdout.contains("2 asserts not checked under --mock"))
        let document = try XMLDocument(contentsOf: cli.folder.appendingPathComponent("results.xml"))
        #expect(document.rootElement()?.attribute(forName: "failures")?.stringValue == "0")
        #expect(try document.nodes(forXPath: "//testcase").count == 5)

        let filtered = try cli.run("test", "--mock", "--filter", "summar")
        #expect(filtered.status == 0)
        #expect(filtered.stdout.hasSuffix("1 passed, 0 failed\n"), "\(filtered.stdout)")
        let none = try cli.run("test", "--mock", "--filter", "nothing-like-this")
        #expect(none.status == 1)
        #expect(none.stderr.contains("nothing to test: no endpoint or case matches 'nothing-like-this'"))
    }

    /// A test whose expected output contradicts its own assert fails under --mock, exit 1; a
    /// misspelt field in an assert is a compile error with a did-you-mean.
    @Test func contradictionsFailAndMistakesAreDiagnosed() throws {
        let cli = try CLI()
        let path = cli.folder.appendingPathComponent("Prompts/summarize.yaml")
        let spec = try String(contentsOf: path, encoding: .utf8)
        let field = try #require(spec.components(separatedBy: "output:\n").last?.split(separator: "\n").first?
            .trimmingCharacters(in: .whitespaces).split(separator: ":").first.map(String.init))
        try cli.write(spec + "\ntests:\n  - name: contradiction\n    input: { document: \"Some text to summarize here.\" }\n    output: { \(field): abc }\n    assert: [\"len(\(field)) > 5\"]\n", to: "Prompts/summarize.yaml")
        let failed = try cli.run("test", "--mock", "--junit", "results.xml")
        #expect(failed.status == 1, "\(failed.stdout)\(failed.stderr)")
        #expect(failed.stdout.contains("FAIL summarize › contradiction"), "\(failed.stdout)")
        #expect(failed.stdout.contains("assert \"len(\(field)) > 5\": len(\(field)) is 3"), "\(failed.stdout)")
        let document = try XMLDocument(contentsOf: cli.folder.appendingPathComponent("results.xml"))
        #expect(try document.nodes(forXPath: "//testcase[failure]").count == 1)

        try cli.write(spec + "\ntests:\n  - name: typo\n    input: { document: \"Some text.\" }\n    assert: [\"\(field)x == abc\"]\n", to: "Prompts/summarize.yaml")
        let typo = try cli.run("test", "--mock")
        #expect(typo.status == 1)
        #expect(typo.stderr.contains("error[E0608]"), "\(typo.stderr)")
        #expect(typo.stderr.contains("(did you mean '\(field)'?)"), "\(typo.stderr)")
    }
}
