import EndpointModel
import Testing
@testable import PromptGateway

/// `--mock` and `mock/fail-CLASS` (issue 13): the fallback demo works with --mock too.
@Suite("Mock chains")
struct MockChainTests {
    @Test func underMockAFailingMockStepStillFails() async throws {
        let spec = sentimentSpec(models: ["mock/fail-server_error", "mock/fail-timeout", "openai/gpt-4o-mini", "anthropic/claude-3-5-haiku-latest"])
        try await withGateway(specs: [spec], fakePort: 1, mock: true) { client, gateway in
            #expect(gateway.endpoints.first?.chain.steps.map(\.model) == ["mock/fail-server_error", "mock/fail-timeout", "mock/openai/gpt-4o-mini"])
            let answer = try await client.post("/v1/sentiment", json: #"{"text": "Hi"}"#)
            #expect(answer.status == 200)
            #expect(answer.header("x-promptc-model") == "mock/openai/gpt-4o-mini")
            #expect(answer.header("x-promptc-attempts") == "3")
        }
    }
}
