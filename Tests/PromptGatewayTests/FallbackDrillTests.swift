import EndpointModel
import Foundation
import Logging
import PromptCompiler
import Testing
@testable import PromptGateway

/// `promptc drill` (gateway-contract.md, promptc drill): failures injected per step and class
/// inside the gateway, the report, and its verdict.
@Suite("Fallback drills")
struct FallbackDrillTests {
    static func drill(_ specs: [String], fakePort: Int = 1, mock: Bool) throws -> FallbackDrill {
        let files = specs.map { spec in
            let name = spec.split(separator: "\n").first { $0.hasPrefix("name: ") }.map { $0.dropFirst(6) } ?? "x"
            return (path: "Prompts/\(name).yaml", contents: Data(spec.utf8))
        }
        let config = harnessConfig(fakePort: fakePort)
        let compilation = PromptCompiler.compile(files: files, config: (path: "promptc.yaml", contents: Data(config.utf8)))
        let table = try #require(compilation.routeTable, "\(compilation.diagnostics.map(\.message))")
        var drill = FallbackDrill(table: table, settings: compilation.settings, environment: ["OPENAI_API_KEY": "sk-test", "ANTHROPIC_API_KEY": "sk-ant"])
        drill.mock = mock
        return drill
    }

    static let quiet = Logger(label: "drill", factory: { _ in SwiftLogNoOpLogHandler() })
    static let example = "examples:\n  - input: { text: \"I loved it.\" }\n    output: { label: positive, score: 0.9 }\n"

    /// A chain of two survives each single failure of either step; the failing model's provider
    /// is never called (the failure is injected in the gateway), and the other model answers.
    /// The timeout is long (the injected one takes all of it) so that real calls to the fake
    /// never time out on a loaded machine.
    @Test func aChainOfTwoSurvivesEverySingleFailure() async throws {
        let fake = FakeProvider(default: .answer(["label": "positive", "score": 0.9]))
        try await withFake(fake) { port in
            let spec = sentimentSpec(
                models: ["openai/first", "anthropic/second"],
                fallback: "fallback:\n  on: [connection, timeout, server_error, invalid_output]\n  timeout: 5s\n  deadline: 30s",
                extra: Self.example)
            let results = try await Self.drill([spec], fakePort: port, mock: false).run(logger: Self.quiet)
            #expect(results.count == 1 + 2 * 4)
            #expect(results.allSatisfy { $0.survived }, "\(DrillReport.text(results))")
            #expect(DrillReport.passed(results))
            let firstFailing = results.filter { $0.step == 0 }
            #expect(firstFailing.map(\.failure) == [.connection, .timeout, .serverError, .invalidOutput])
            #expect(firstFailing.allSatisfy { $0.answeredBy == "anthropic/second" })
            #expect(results.filter { $0.step == 1 }.allSatisfy { $0.answeredBy == "openai/first" })
            // The injected timeout takes the step's timeout, as a real one would.
            #expect((firstFailing.first { $0.failure == .timeout }?.milliseconds ?? 0) >= 5000)
            // Calls to the first model: the baseline and the four runs where the second fails.
            let firstCalls = fake.received.filter { $0.body["model"] == "first" }.count
            #expect(firstCalls == 5)
            #expect(DrillReport.text(results).contains("coverage: 8 of 8 single failures survived"))
        }
    }

    /// One model alone does not survive its own failure; a deadline that a timeout and its retry
    /// use up (1.2 s, a backoff, then the rest of 2 s) does not survive the first step timing
    /// out, while a rate limit and its retry (a backoff of at most 200 ms) leave room for the next
    /// (with a margin for a machine busy with other tests). Exit 1, with the reason in the report.
    @Test func chainsThatDoNotHoldAreReported() async throws {
        let solo = sentimentSpec(name: "solo", models: ["openai/only"], fallback: "fallback:\n  on: [server_error]", extra: Self.example)
        let tight = sentimentSpec(
            name: "tight", models: ["openai/slow", "openai/next"],
            fallback: "fallback:\n  on: [timeout, rate_limit]\n  retries: 1\n  timeout: 1200ms\n  deadline: 2s", extra: Self.example)
        let results = try await Self.drill([solo, tight], mock: true).run(logger: Self.quiet)
        #expect(!DrillReport.passed(results))
        let soloFailure = try #require(results.first { $0.endpoint == "solo" && $0.step == 0 })
        #expect(!soloFailure.survived)
        #expect(soloFailure.error?.hasPrefix("502 upstream_failed") == true, "\(soloFailure)")
        let timedOut = try #require(results.first { $0.endpoint == "tight" && $0.step == 0 && $0.failure == .timeout })
        #expect(!timedOut.survived)
        #expect(timedOut.error?.hasPrefix("504 deadline_exceeded") == true, "\(timedOut)")
        #expect(results.first { $0.endpoint == "tight" && $0.step == 0 && $0.failure == .rateLimit }?.survived == true)
        #expect(results.filter { $0.step == nil }.allSatisfy { $0.survived })
        let report = DrillReport.text(results)
        #expect(report.contains("coverage: 3 of 5 single failures survived"), "\(report)")
        #expect(report.contains("  1 openai/slow  timeout     FAILED after "), "\(report)")
    }
}
