import EndpointModel
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Logging
import PromptCompiler
import Testing
@testable import PromptGateway

/// `promptc test` against fake providers on loopback (gateway-contract.md, promptc test): one
/// model answers right, one answers wrong, one fails.
@Suite("promptc test against fake providers")
struct SpecTestRunnerTests {
    static let tests = """
        examples:
          - input: { text: "I loved it." }
            output: { label: positive, score: 0.9 }
        tests:
          - name: sarcasm
            input: { text: "Oh great, another Monday." }
            output: { label: negative }
            assert: ["score <= 0"]
        """

    static func runner(models: [String], fakePort: Int, eachModel: Bool) throws -> SpecTestRunner {
        let spec = sentimentSpec(models: models, extra: tests)
        let config = harnessConfig(fakePort: fakePort, extra: "pricing:\n  openai/right: { input: 1, output: 2 }\n")
        let compilation = PromptCompiler.compile(
            files: [(path: "Prompts/sentiment.yaml", contents: Data(spec.utf8))], config: (path: "promptc.yaml", contents: Data(config.utf8)))
        let table = try #require(compilation.routeTable, "\(compilation.diagnostics.map(\.message))")
        var runner = SpecTestRunner(table: table, cases: compilation.tests, settings: compilation.settings, environment: ["OPENAI_API_KEY": "sk-test"])
        runner.eachModel = eachModel
        return runner
    }

    /// A fake that answers each text as `right` should, and everything wrong as `wrong`.
    static func fake() -> FakeProvider {
        let fake = FakeProvider(default: .answer(["label": "positive", "score": 0.9]))
        fake.set(.answer(["label": "positive", "score": 0.85]), forModel: "wrong")
        fake.set(.status(500), forModel: "down")
        return fake
    }

    @Test func eachModelTellsWhichModelIsWrong() async throws {
        let fake = Self.fake()
        try await withFake(fake) { port in
            let runner = try Self.runner(models: ["openai/right", "openai/wrong", "openai/down"], fakePort: port, eachModel: true)
            // The right model answers the example right and the sarcasm case as the test wants.
            let results = try await withSarcasmAnsweredRight(fake) { try await runner.run(logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })) }
            #expect(results.count == 6)
            let byModel = Dictionary(grouping: results, by: { $0.modelUnderTest ?? "" })
            #expect(byModel["openai/right"]?.allSatisfy(\.passed) == true, "\(results)")
            let wrong = try #require(byModel["openai/wrong"])
            #expect(wrong.map(\.passed) == [true, false], "the example matches; the sarcasm case does not")
            #expect(wrong.last?.failures == [#"label: expected "negative", got "positive""#, #"assert "score <= 0": score is 0.85"#])
            let down = try #require(byModel["openai/down"])
            #expect(down.allSatisfy { !$0.passed })
            #expect(down.first?.failures.first?.hasPrefix("no answer: 502 upstream_failed") == true, "\(down)")
            #expect(down.first?.failures.first?.contains("openai/down: server_error") == true)

            let table = SpecTestReport.modelTable(results)
            let lines = table.split(separator: "\n").map(String.init)
            #expect(lines.first?.hasPrefix("endpoint   model         passed  pass rate  p50 latency  cost") == true, "\(table)")
            #expect(lines[1].hasPrefix("sentiment  openai/right  2/2     100%"), "\(table)")
            #expect(lines[2].hasPrefix("sentiment  openai/wrong  1/2     50%"), "\(table)")
            #expect(lines[3].hasPrefix("sentiment  openai/down   0/2     0%"), "\(table)")
            // Priced: the right model's answers have a cost (the fake counts tokens); unpriced cost nothing.
            #expect(!lines[1].hasSuffix("$0.000000"), "\(table)")
            #expect(lines[2].hasSuffix("$0.000000"))

            try Self.checkJUnit(SpecTestReport.junit(results), tests: 6, failures: 3)
        }
    }

    /// Without --each-model the chain answers as served: a failing first model falls back to the
    /// next, and its wrong answer fails the case with the model named.
    @Test func theChainIsTestedAsServed() async throws {
        let fake = Self.fake()
        try await withFake(fake) { port in
            let runner = try Self.runner(models: ["openai/down", "openai/wrong"], fakePort: port, eachModel: false)
            let results = try await runner.run(logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
            #expect(results.map(\.passed) == [true, false])
            #expect(results.allSatisfy { $0.answeredBy == "openai/wrong" && $0.modelUnderTest == nil })
            let text = SpecTestReport.text(results)
            #expect(text.contains("FAIL sentiment › sarcasm (openai/wrong, "), "\(text)")
            #expect(text.hasSuffix("1 passed, 1 failed\n"))
        }
    }

    @Test func filterKeepsMatchingCases() throws {
        var runner = try Self.runner(models: ["openai/right"], fakePort: 1, eachModel: false)
        runner.filter = "SARC"
        #expect(runner.selected().first?.cases.map(\.name) == ["sarcasm"])
        runner.filter = "senti"
        #expect(runner.selected().first?.cases.count == 2)
        runner.filter = "nothing"
        #expect(runner.selected().isEmpty)
    }

    /// Markup, quotes, line breaks and characters XML cannot carry in a case's name or failure
    /// still make a well-formed file, and read back as written (the impossible ones as U+FFFD).
    @Test func junitCarriesAnyText() throws {
        let awkward = "expected <\"a\" & 'b'>\nthen \u{1}"
        let result = SpecTestResult(endpoint: "e", caseName: awkward, modelUnderTest: nil, answeredBy: nil, failures: [awkward], milliseconds: 3, costUSD: 0)
        let document = try XMLDocument(data: Data(SpecTestReport.junit([result]).utf8))
        let failure = try #require(try document.nodes(forXPath: "//failure").first as? XMLElement)
        #expect(failure.attribute(forName: "message")?.stringValue == "expected <\"a\" & 'b'>\nthen \u{FFFD}")
        #expect((try document.nodes(forXPath: "//testcase").first as? XMLElement)?.attribute(forName: "name")?.stringValue?.hasPrefix("expected <") == true)
    }

    /// The JUnit file is well-formed XML with the counts and failures CI systems read.
    static func checkJUnit(_ xml: String, tests: Int, failures: Int) throws {
        let document = try XMLDocument(data: Data(xml.utf8))
        let root = try #require(document.rootElement())
        #expect(root.name == "testsuites")
        #expect(root.attribute(forName: "tests")?.stringValue == String(tests))
        #expect(root.attribute(forName: "failures")?.stringValue == String(failures))
        let cases = try root.nodes(forXPath: "//testcase")
        #expect(cases.count == tests)
        let failed = try root.nodes(forXPath: "//testcase[failure]")
        #expect(failed.count == failures)
        for suite in try root.nodes(forXPath: "testsuite") {
            let element = try #require(suite as? XMLElement)
            let count = try suite.nodes(forXPath: "testcase").count
            #expect(element.attribute(forName: "tests")?.stringValue == String(count))
        }
    }
}

/// Scripts the fake so that `openai/right` answers the sarcasm case as the test expects and the
/// example as it expects: by the text each request carries.
func withSarcasmAnsweredRight<T>(_ fake: FakeProvider, _ body: () async throws -> T) async throws -> T {
    fake.setByText(["Oh great": .answer(["label": "negative", "score": -0.6]), "I loved": .answer(["label": "positive", "score": 0.9])], forModel: "right")
    return try await body()
}
