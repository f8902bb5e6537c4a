import EndpointModel
import PromptCompiler
import SpecFrontEnd
import Testing

/// What the streaming and OpenAI-compatible issue adds to the specs and promptc.yaml:
/// `fallback.first_token_timeout` and `model_groups` (gateway-contract.md, Streaming and The
/// OpenAI-compatible API).
@Suite("Streaming and model groups configuration")
struct StreamingConfigTests {
    @Test func firstTokenTimeoutReachesTheRouteTable() throws {
        let compilation = compile(["demo.yaml": spec(appending: "fallback:\n  timeout: 20s\n  first_token_timeout: 4s\n")])
        #expect(compilation.errorCount == 0, "\(describe(compilation.diagnostics))")
        let policy = try #require(compilation.routeTable?.endpoints.first?.fallback)
        #expect(policy.firstTokenTimeoutMs == 4000)
        #expect(policy.timeoutMs == 20_000)
        let plain = compile(["demo.yaml": minimalSpec])
        #expect(plain.routeTable?.endpoints.first?.fallback.firstTokenTimeoutMs == nil)
    }

    @Test func modelGroupsAreReadAndChecked() throws {
        let config = """
            pools:
              fast: { members: [openai/gpt-4o-mini] }
            model_groups:
              chat:
                models: [openai/gpt-4o-mini, pool/fast, { model: anthropic/claude-3-5-haiku-latest, timeout: 5s }]
                fallback: { retries: 1, timeout: 10s, deadline: 30s, first_token_timeout: 3s }
            consumers:
              - name: app
                key_sha256: \(String(repeating: "a", count: 64))
                endpoints: [chat]
            """
        let compilation = compile(["demo.yaml": minimalSpec], config: config)
        #expect(compilation.errorCount == 0, "\(describe(compilation.diagnostics))")
        let group = try #require(compilation.settings.modelGroups["chat"])
        #expect(group.models.map(\.model) == ["openai/gpt-4o-mini", "pool/fast", "anthropic/claude-3-5-haiku-latest"])
        #expect(group.models[2].timeoutMs == 5000)
        #expect(group.fallback.retries == 1 && group.fallback.firstTokenTimeoutMs == 3000)
    }

    /// Each mistake in a group is one diagnostic, with the code of the same mistake in a spec.
    @Test(arguments: [
        ("model_groups:\n  chat:\n    models: [opnai/gpt-4o-mini]\n", DiagnosticCode.unknownProvider, "did you mean 'openai'"),
        ("model_groups:\n  chat:\n    models: [pool/nope]\n", .unknownPool, "unknown pool 'nope'"),
        ("model_groups:\n  chat:\n    models: []\n", .emptyModelChain, "is empty"),
        ("model_groups:\n  chat:\n    fallback: { retries: 1 }\n", .invalidModelGroup, "has no 'models'"),
        ("model_groups:\n  chat:\n    models: [openai/gpt-4o-mini]\n    fallback: { on: [timout] }\n", .unknownFailureClass, "did you mean 'timeout'"),
        ("model_groups:\n  a/b:\n    models: [openai/gpt-4o-mini]\n", .invalidModelGroup, "may not be empty or contain '/'"),
    ])
    func groupMistakesAreOneDiagnosticEach(config: String, code: DiagnosticCode, says: String) {
        let compilation = compile(["demo.yaml": minimalSpec], config: config)
        let errors = compilation.diagnostics.filter { $0.severity == .error }
        #expect(errors.count == 1, "\(describe(compilation.diagnostics))")
        #expect(errors.first?.code == code)
        #expect(errors.first?.message.contains(says) == true, "\(errors.first?.message ?? "")")
        #expect(errors.first?.location.file == "promptc.yaml")
    }

    @Test func aConsumerMayListAGroupButNotAnUnknownName() {
        let config = """
            model_groups:
              chat: { models: [openai/gpt-4o-mini] }
            consumers:
              - name: app
                key_sha256: \(String(repeating: "b", count: 64))
                endpoints: [chat, chta]
            """
        let compilation = compile(["demo.yaml": minimalSpec], config: config)
        let errors = compilation.diagnostics.filter { $0.severity == .error }
        #expect(errors.count == 1)
        #expect(errors.first?.message.contains("'chta' is not an endpoint or model group") == true)
    }
}
