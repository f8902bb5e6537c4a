import EndpointModel
import Foundation
import PromptCompiler
import Testing
@testable import PromptGateway

/// Pools: one step of a chain spread over members by a strategy, each member with its own
/// circuit breaker (gateway-contract.md, Pools).
@Suite("Pools", .serialized)
struct PoolTests {
    static let request = #"{"text": "I loved it"}"#
    static let keys = ["OPENAI_API_KEY": "sk-test-openai", "BACKUP_KEY": "sk-test-backup"]
    static let primaryPath = "/v1/chat/completions"
    static let backupPath = "/backup/v1/chat/completions"

    static func pool(_ strategy: String, _ members: String) -> String {
        "pools:\n  fast:\n    strategy: \(strategy)\n    members:\n\(members)"
    }

    static let twoMembers = "      - openai/gpt-4o-mini\n      - backup/gpt-4o-mini\n"

    @Test func roundRobinSpreadsAndNamesTheMember() async throws {
        let fake = FakeProvider()
        try await withFake(fake) { port in
            try await withGateway(
                specs: [sentimentSpec(models: ["pool/fast"])], fakePort: port,
                configExtra: Self.pool("round_robin", Self.twoMembers), environment: Self.keys
            ) { client, _ in
                var models: [String] = []
                for _ in 0..<4 {
                    let answer = try await client.post("/v1/sentiment", json: Self.request)
                    #expect(answer.status == 200)
                    models.append(answer.header("x-promptc-model") ?? "")
                }
                #expect(models == ["openai/gpt-4o-mini", "backup/gpt-4o-mini", "openai/gpt-4o-mini", "backup/gpt-4o-mini"])
                #expect(fake.received.map(\.path) == [Self.primaryPath, Self.backupPath, Self.primaryPath, Self.backupPath])
            }
        }
    }

    /// A member that fails costs one attempt, the retry goes to another member, and once its
    /// circuit opens (3 failures in the harness) the pool stops sending it anything.
    @Test func aFailingMemberIsRetriedElsewhereThenSkipped() async throws {
        let fake = FakeProvider()
        let members = "      - dead/gpt-4o-mini\n      - openai/gpt-4o-mini\n"
        try await withFake(fake) { port in
            try await withGateway(
                specs: [sentimentSpec(models: ["pool/fast"], fallback: "fallback: { retries: 1 }")], fakePort: port,
                configExtra: Self.pool("round_robin", members), environment: Self.keys,
                // Open long enough to stay open however slowly a busy machine runs the test.
                circuitBreaker: "{ failures: 3, open_for: 60s }"
            ) { client, _ in
                var attempts: [String] = []
                for _ in 0..<8 {
                    let answer = try await client.post("/v1/sentiment", json: Self.request)
                    #expect(answer.status == 200)
                    #expect(answer.header("x-promptc-model") == "openai/gpt-4o-mini")
                    attempts.append(answer.header("x-promptc-attempts") ?? "")
                }
                // Round robin starts on `dead` every other request until its circuit opens.
                #expect(attempts.filter { $0 == "2" }.count == 3)
                #expect(attempts.suffix(2) == ["1", "1"])
                #expect(fake.received.allSatisfy { $0.path == Self.primaryPath })
            }
        }
    }

    @Test func hashKeepsAConsumerOnOneMember() async throws {
        let fake = FakeProvider()
        let appKey = "pc_pool-test-app"
        let consumers = "consumers:\n  - name: app\n    key_sha256: \(ConsumerKey.sha256Hex(of: appKey))\n"
        try await withFake(fake) { port in
            try await withGateway(
                specs: [sentimentSpec(models: ["pool/fast"])], fakePort: port,
                configExtra: Self.pool("hash", Self.twoMembers) + consumers, environment: Self.keys
            ) { client, _ in
                var models: Set<String> = []
                for _ in 0..<6 {
                    let answer = try await client.post(
                        "/v1/sentiment", json: Self.request, headers: [("content-type", "application/json"), ("x-api-key", appKey)])
                    #expect(answer.status == 200)
                    models.insert(answer.header("x-promptc-model") ?? "")
                }
                let expected = ["openai/gpt-4o-mini", "backup/gpt-4o-mini"][Int(Pool.fnv1a("app") % 2)]
                #expect(models == [expected])
            }
        }
    }

    @Test func weightedFollowsTheWeights() async throws {
        let fake = FakeProvider()
        let members = "      - model: openai/gpt-4o-mini\n        weight: 3\n      - backup/gpt-4o-mini\n"
        try await withFake(fake) { port in
            try await withGateway(
                specs: [sentimentSpec(models: ["pool/fast"])], fakePort: port,
                configExtra: Self.pool("weighted", members), environment: Self.keys
            ) { client, _ in
                for _ in 0..<8 {
                    let answer = try await client.post("/v1/sentiment", json: Self.request)
                    #expect(answer.status == 200)
                }
                let paths = fake.received.map(\.path)
                #expect(paths.filter { $0 == Self.primaryPath }.count == 6)
                #expect(paths.filter { $0 == Self.backupPath }.count == 2)
            }
        }
    }

    @Test func weightsAreBounded() {
        let config = Self.pool("weighted", "      - model: openai/gpt-4o-mini\n        weight: 2000000\n")
        let compilation = PromptCompiler.compile(
            files: [(path: "Prompts/sentiment.yaml", contents: Data(sentimentSpec(models: ["pool/fast"]).utf8))],
            config: (path: "promptc.yaml", contents: Data(config.utf8)))
        #expect(compilation.diagnostics.contains { $0.code == .invalidPool && $0.message.contains("from 1 to 1000000") })
    }

    @Test func leastBusyPicksTheMemberWithFewestCallsInFlight() {
        let breakers = CircuitBreakerRegistry(settings: CircuitBreakerSettings())
        let pool = Pool(name: "fast", strategy: .leastBusy, members: [Self.step("a/one"), Self.step("b/two")], weights: [1, 1])
        guard case .member(let first, _, _) = pool.choose(affinity: "", breakers: breakers) else { Issue.record("no member"); return }
        guard case .member(let second, _, _) = pool.choose(affinity: "", breakers: breakers) else { Issue.record("no member"); return }
        #expect(first != second)
        pool.finished(second)
        // `first` is still busy, so the idle one is chosen, whatever round robin would say.
        for _ in 0..<3 {
            guard case .member(let next, _, _) = pool.choose(affinity: "", breakers: breakers) else { Issue.record("no member"); return }
            #expect(next == second)
            pool.finished(next)
        }
    }

    @Test func aPoolWithEveryCircuitOpenIsSkipped() {
        let breakers = CircuitBreakerRegistry(settings: CircuitBreakerSettings(failureThreshold: 1, openMs: 5_000))
        let pool = Pool(name: "fast", strategy: .roundRobin, members: [Self.step("a/one"), Self.step("b/two")], weights: [1, 1])
        for model in ["a/one", "b/two"] {
            guard case .allowed(let ticket) = breakers.permission(for: model) else { Issue.record("closed circuit refused"); return }
            breakers.record(.failure, for: model, ticket: ticket)
        }
        guard case .none(let retryAfterMs) = pool.choose(affinity: "", breakers: breakers) else {
            Issue.record("a member was chosen with every circuit open")
            return
        }
        #expect((1...5_000).contains(retryAfterMs ?? 0))
    }

    static func step(_ model: String) -> ChainStep {
        ChainStep(
            model: model, modelName: model, provider: ProviderDefinition(name: "a", api: .openai, baseURL: "http://127.0.0.1:1", apiKeyEnv: nil),
            apiKey: nil, timeoutMs: nil, retries: nil, parameters: ModelParameters(), wire: nil)
    }
}
