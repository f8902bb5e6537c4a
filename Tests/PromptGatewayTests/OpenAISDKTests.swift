import EndpointModel
import Foundation
import Testing
@testable import PromptGateway

/// The OpenAI-compatible API tried with the official `openai` Python SDK from PyPI
/// (`Tests/Clients/openai_sdk_client.py`, in the virtual environment `.ci/run` makes), against
/// fake providers on loopback. Without the SDK these tests fail, unless `PROMPTC_SKIP_PYTHON=1`.
@Suite("OpenAI Python SDK", .serialized)
struct OpenAISDKTests {
    static let config = """
        model_groups:
          chat: { models: [openai/gpt-4o-mini, anthropic/claude-3-5-haiku-latest] }
          tools: { models: [gemini/gemini-2.0-flash] }
          flaky: { models: [anthropic/claude-3-opus-latest, openai/gpt-4o] }
          down: { models: [openai/gpt-4-down, backup/gpt-4-down] }
        """

    /// Runs one scenario of the SDK client against a gateway; its JSON line, or nil when skipped.
    func run(_ scenario: String, fake: FakeProvider) async throws -> JSONValue? {
        guard let python = PythonClients.pythonOrIssue(needing: "openai") else { return nil }
        return try await withFake(fake) { port in
            try await withGateway(
                specs: [sentimentSpec(models: ["openai/gpt-4o-mini"])], fakePort: port, configExtra: Self.config, environment: ChatTests.keys
            ) { client, _ in
                try await PythonClients.runJSON(python, [PythonClients.script("openai_sdk_client.py"), "http://127.0.0.1:\(client.port)/v1", scenario])
            }
        }
    }

    @Test func plainCompletionFallsBackThroughTheGroup() async throws {
        let fake = FakeProvider(default: .text("Bonjour"))
        fake.set(.status(503), forModel: "gpt-4o-mini")
        guard let seen = try await run("plain", fake: fake) else { return }
        #expect(seen["model_header"] == "anthropic/claude-3-5-haiku-latest")
        #expect(seen["attempts"] == "2")
    }

    @Test func streamingWithUsageFallsBackThroughTheGroup() async throws {
        let fake = FakeProvider(default: .text("Bonjour"))
        fake.set(.status(503), forModel: "gpt-4o-mini")
        guard let seen = try await run("stream", fake: fake) else { return }
        #expect(seen["total_tokens"] == 18)
    }

    @Test func toolsRoundTrip() async throws {
        let fake = FakeProvider(default: .toolCall(name: "weather", arguments: ["city": "Rome"]))
        guard let seen = try await run("tools", fake: fake) else { return }
        #expect(seen["call_id"]?.stringValue?.isEmpty == false)
        #expect(fake.callCount == 2)
    }

    @Test func midStreamFailureRaisesInTheSDK() async throws {
        let fake = FakeProvider(default: .text("never used"))
        fake.set(.cutStream(events: 3, ["partial": "answer"]), forModel: "claude-3-opus-latest")
        guard let seen = try await run("midstream", fake: fake) else { return }
        #expect(seen["raised"] == "APIError")
        #expect(seen["code"] == "upstream_failed")
        // The next model of the group was not asked to continue a half-sent answer.
        #expect(fake.callCount == 1)
    }

    @Test func exhaustedChainIsNotRetriedByTheSDK() async throws {
        let fake = FakeProvider(default: .status(500))
        guard let seen = try await run("exhausted", fake: fake) else { return }
        #expect(seen["status"] == 502)
        #expect(seen["code"] == "upstream_failed")
        // Two models, one call each: the SDK's own retries (max_retries=2) were not used.
        #expect(fake.callCount == 2)
    }

    @Test func modelsListsTheGroups() async throws {
        guard let seen = try await run("models", fake: FakeProvider()) else { return }
        let ids = seen["ids"]?.arrayValue?.compactMap(\.stringValue) ?? []
        #expect(Array(ids.prefix(4)) == ["chat", "down", "flaky", "tools"])
        #expect(ids.contains("openai/gpt-4o-mini"))
    }
}
