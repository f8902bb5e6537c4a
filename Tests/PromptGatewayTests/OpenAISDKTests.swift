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

    static var python: String? {
        let environment = ProcessInfo.processInfo.environment
        if let python = environment["PROMPTC_TEST_PYTHON"] { return python }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let venv = root.appendingPathComponent(".build/ci-venv/bin/python").path
        return FileManager.default.isExecutableFile(atPath: venv) ? venv : nil
    }

    static var script: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Clients/openai_sdk_client.py").path
    }

    /// Runs one scenario of the SDK client against a gateway; its JSON line, or nil when skipped.
    func run(_ scenario: String, fake: FakeProvider) async throws -> JSONValue? {
        guard let python = Self.python else {
            if ProcessInfo.processInfo.environment["PROMPTC_SKIP_PYTHON"] == "1" { return nil }
            Issue.record("no Python with the openai SDK: .ci/run makes .build/ci-venv (or set PROMPTC_TEST_PYTHON, or PROMPTC_SKIP_PYTHON=1)")
            return nil
        }
        return try await withFake(fake) { port in
            try await withGateway(
                specs: [sentimentSpec(models: ["openai/gpt-4o-mini"])], fakePort: port, configExtra: Self.config, environment: ChatTests.keys
            ) { client, _ in
                let output = try await Self.runProcess(python, [Self.script, "http://127.0.0.1:\(client.port)/v1", scenario])
                #expect(output.status == 0, "the SDK client failed:\n\(output.text)")
                guard output.status == 0, let line = output.text.split(separator: "\n").last else { return nil }
                return try JSONParser.parse(String(line))
            }
        }
    }

    /// Runs a process off the test's threads and returns its exit status and output.
    static func runProcess(_ executable: String, _ arguments: [String]) async throws -> (status: Int32, text: String) {
        try await withCheckedThrowingContinuation { continuation in
            let process = Process()
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = arguments
            let pipe = Pipe()
            process.standardOutput = pipe
            process.standardError = pipe
            process.terminationHandler = { finished in
                let data = pipe.fileHandleForReading.readDataToEndOfFile()
                continuation.resume(returning: (finished.terminationStatus, String(decoding: data, as: UTF8.self)))
            }
            do { try process.run() } catch { continuation.resume(throwing: error) }
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
