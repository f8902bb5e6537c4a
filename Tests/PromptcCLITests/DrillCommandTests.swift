import Foundation
import Testing

/// `promptc drill` as a user runs it (gateway-contract.md, promptc drill).
@Suite("promptc drill")
struct DrillCommandTests {
    static let pair = """
        name: pair
        description: Two models.
        input:
          text: string
        output:
          label: string
        models:
          - openai/gpt-4o-mini
          - anthropic/claude-3-5-haiku-latest
        fallback:
          on: [timeout, server_error]
          timeout: 100ms
          deadline: 2s
        prompt:
          user: "{{text}}"
        examples:
          - input: { text: hi }
            output: { label: ok }

        """

    /// Exit 0 when the chain survives every single failure, 1 when one model alone does not.
    @Test func theExitCodeSaysWhetherEveryFailureWasSurvived() throws {
        let cli = try CLI()
        for name in ["sentiment.yaml", "summarize.yaml"] { try FileManager.default.removeItem(at: cli.folder.appendingPathComponent("Prompts/\(name)")) }
        try cli.write(Self.pair, to: "Prompts/pair.yaml")
        let held = try cli.run("drill", "--mock")
        #expect(held.status == 0, "\(held.stdout)\(held.stderr)")
        #expect(held.stdout.contains("pair (deadline 2000 ms)"))
        #expect(held.stdout.contains("  1 openai/gpt-4o-mini"), "\(held.stdout)")
        #expect(held.stdout.hasSuffix("coverage: 4 of 4 single failures survived\n"), "\(held.stdout)")

        try cli.write(Self.pair.replacingOccurrences(of: "name: pair", with: "name: solo").replacingOccurrences(of: "  - anthropic/claude-3-5-haiku-latest\n", with: ""), to: "Prompts/solo.yaml")
        let broken = try cli.run("drill", "--mock")
        #expect(broken.status == 1)
        #expect(broken.stdout.contains("FAILED after"), "\(broken.stdout)")
        #expect(broken.stdout.hasSuffix("coverage: 4 of 6 single failures survived\n"), "\(broken.stdout)")
        #expect(try cli.run("drill", "--mock", "--filter", "pair").status == 0)
    }
}
