import EndpointModel
import Testing
@testable import PromptGateway

/// `/admin/upstreams` and the cost metric (gateway-contract.md, Metrics and admin).
@Suite("Admin and cost", .serialized)
struct AdminTests {
    static let request = #"{"text": "I loved it"}"#
    static let adminKey = "pc_admin-key-for-tests"
    static let keys = ["OPENAI_API_KEY": "sk-test-openai", "BACKUP_KEY": "sk-test-backup"]

    @Test func upstreamsNeedTheAdminKeyAndShowCircuitsAndRecentCalls() async throws {
        let fake = FakeProvider()
        let config = "admin_key_sha256: \(ConsumerKey.sha256Hex(of: Self.adminKey))\n"
        try await withFake(fake) { port in
            try await withGateway(
                specs: [sentimentSpec(models: ["dead/gpt-4o-mini", "backup/gpt-4o-mini"], fallback: "fallback: { retries: 0 }")],
                fakePort: port, configExtra: config, environment: Self.keys
            ) { client, _ in
                for _ in 0..<3 {
                    let answer = try await client.post("/v1/sentiment", json: Self.request)
                    #expect(answer.header("x-promptc-model") == "backup/gpt-4o-mini")
                }
                #expect(try await client.get("/admin/upstreams").status == 401)
                let wrong = try await client.post("/admin/upstreams", json: "{}")
                #expect(wrong.status == 405)

                let answer = try await client.send(
                    "/admin/upstreams", method: .GET, body: nil, headers: [("authorization", "Bearer \(Self.adminKey)")], timeout: .seconds(5))
                #expect(answer.status == 200)
                let upstreams = answer.body["upstreams"]?.arrayValue ?? []
                // `dead` refuses connections; its circuit opens after 3 failures in the harness.
                let primary = try #require(upstreams.first { $0["model"] == "dead/gpt-4o-mini" })
                #expect(primary["circuit"] == "open")
                #expect(primary["recent_calls"] == 3)
                #expect(primary["recent_failures"] == 3)
                #expect(primary["last_failure"]?["outcome"] == "connection")
                #expect(primary["in_flight"] == 0)
                #expect(primary["endpoints"] == ["sentiment"])
                let backup = try #require(upstreams.first { $0["model"] == "backup/gpt-4o-mini" })
                #expect(backup["circuit"] == "closed")
                #expect(backup["recent_failures"] == 0)
                #expect(backup["p50_ms"] != nil)
            }
        }
    }

    @Test func withoutAnAdminKeyTheAdminRoutesAreOff() async throws {
        let fake = FakeProvider()
        try await withFake(fake) { port in
            try await withGateway(specs: [sentimentSpec(models: ["openai/gpt-4o-mini"])], fakePort: port) { client, _ in
                let answer = try await client.send(
                    "/admin/upstreams", method: .GET, body: nil, headers: [("authorization", "Bearer anything")], timeout: .seconds(5))
                #expect(answer.status == 403)
                #expect(answer.body["error"]?["type"] == "forbidden")
            }
        }
    }

    /// The fake's OpenAI answers use 11 input and 7 output tokens.
    @Test func costIsCountedFromThePricing() async throws {
        let fake = FakeProvider()
        let pricing = "pricing:\n  openai/gpt-4o-mini: { input: 1.5, output: 2 }\n"
        try await withFake(fake) { port in
            try await withGateway(specs: [sentimentSpec(models: ["openai/gpt-4o-mini"])], fakePort: port, configExtra: pricing) { client, _ in
                for _ in 0..<2 {
                    let answer = try await client.post("/v1/sentiment", json: Self.request)
                    #expect(answer.status == 200)
                }
                let metrics = try await client.get("/metrics").text
                let line = try #require(metrics.split(separator: "\n").first { $0.hasPrefix(#"promptc_cost_usd_total{model="openai/gpt-4o-mini"}"#) })
                let value = try #require(line.split(separator: " ").last.flatMap { Double($0) })
                #expect(abs(value - 2 * (11 * 1.5 + 7 * 2) / 1_000_000) < 1e-12)
            }
        }
    }

    /// Every metric family says what it counts in a `# HELP` line.
    @Test func everyMetricHasHelp() async throws {
        let pricing = "pricing:\n  openai/gpt-4o-mini: { input: 1.5, output: 2 }\n"
        try await withFake(FakeProvider()) { port in
            try await withGateway(specs: [sentimentSpec(models: ["openai/gpt-4o-mini"])], fakePort: port, configExtra: pricing) { client, _ in
                #expect(try await client.post("/v1/sentiment", json: Self.request).status == 200)
                let lines = try await client.get("/metrics").text.split(separator: "\n")
                let families = Set(lines.filter { $0.hasPrefix("# TYPE ") }.map { $0.split(separator: " ")[2] })
                let described = Set(lines.filter { $0.hasPrefix("# HELP ") }.map { $0.split(separator: " ")[2] })
                #expect(families.count >= 7, "\(families)")
                #expect(families == described, "without help: \(families.subtracting(described))")
            }
        }
    }

    /// A model without a price has tokens but no cost series: a 0 would read as free.
    @Test func costIsOnlyForModelsWithAPrice() async throws {
        try await withFake(FakeProvider()) { port in
            try await withGateway(specs: [sentimentSpec(models: ["openai/gpt-4o-mini"])], fakePort: port) { client, _ in
                #expect(try await client.post("/v1/sentiment", json: Self.request).status == 200)
                let metrics = try await client.get("/metrics").text
                #expect(metrics.contains(#"promptc_tokens_total{model="openai/gpt-4o-mini",kind="input"} 11"#), "\(metrics)")
                #expect(!metrics.contains("promptc_cost_usd_total"))
            }
        }
    }
}
