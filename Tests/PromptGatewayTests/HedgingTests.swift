import EndpointModel
import Foundation
import Testing
@testable import PromptGateway

/// Hedged requests (gateway-contract.md, Tail latency: hedged requests and latency-aware pools),
/// against a fake provider whose latency follows a set distribution.
@Suite("Hedged requests", .serialized)
struct HedgingTests {
    static let keys = ["OPENAI_API_KEY": "sk-test-openai", "BACKUP_KEY": "sk-test-backup"]
    /// The first model is the one with the long tail; the second is steady.
    static let chain = ["openai/gpt-4o-mini", "backup/gpt-4o"]
    static let input = #"{"text": "I loved it"}"#

    /// Posts `count` requests one after another; their statuses, models and latencies.
    static func post(_ client: GatewayClient, _ count: Int, path: String = "/v1/sentiment") async throws -> [(status: Int, model: String?, ms: Int)] {
        var answers: [(status: Int, model: String?, ms: Int)] = []
        for _ in 0..<count {
            let start = ContinuousClock.now
            let answer = try await client.post(path, json: input)
            answers.append((answer.status, answer.header("x-promptc-model"), (ContinuousClock.now - start).milliseconds))
        }
        return answers
    }

    static func metric(_ client: GatewayClient, _ line: String) async throws -> Int {
        let text = try await client.get("/metrics").text
        guard let found = text.split(separator: "\n").first(where: { $0.hasPrefix(line + " ") }) else { return 0 }
        return Int(Double(found.split(separator: " ").last ?? "") ?? 0)
    }

    /// Most calls fast, a tenth very slow: with `hedge_after`, no request waits for a slow call,
    /// the slow call is cancelled, listed as `hedged`, and leaves no mark on its circuit (which
    /// opens at one failure here). A whole suite on two busy cores can make a fast call slow too:
    /// the figures allow for a hedge more, never for a slow call waited out.
    @Test func noRequestWaitsForASlowCall() async throws {
        let fake = FakeProvider()
        fake.setLatencies(Array(repeating: 10, count: 9) + [5_000], forModel: "gpt-4o-mini")
        fake.setLatencies([10], forModel: "gpt-4o")
        try await withFake(fake) { port in
            try await withGateway(
                specs: [sentimentSpec(models: Self.chain, fallback: "fallback: { timeout: 10s, hedge_after: 150ms }")], fakePort: port,
                configExtra: "hedge_budget: 50%", environment: Self.keys, circuitBreaker: "{ failures: 1, open_for: 60s }"
            ) { client, gateway in
                let answers = try await Self.post(client, 30)
                #expect(answers.allSatisfy { $0.status == 200 })
                let slowest = answers.map(\.ms).max() ?? 0
                #expect(slowest < 4_000, "a request waited for a slow call: \(answers.map(\.ms))")
                let won = try await Self.metric(client, #"promptc_hedges_total{endpoint="sentiment",outcome="won"}"#)
                let lost = try await Self.metric(client, #"promptc_hedges_total{endpoint="sentiment",outcome="lost"}"#)
                #expect(won >= 3, "each of the 3 slow calls was hedged, and the hedge won")
                #expect(answers.filter { $0.model == "backup/gpt-4o" }.count == won)
                #expect(try await Self.metric(client, #"promptc_model_attempts_total{model="openai/gpt-4o-mini",outcome="hedged"}"#) == won)
                if case .closed = gateway.runtime.breakers.state(of: "openai/gpt-4o-mini") {} else {
                    Issue.record("a cancelled call marked its circuit")
                }
                // The three 5-second calls were cut off at the provider, not left to run. (A fast
                // call that lost a race may have finished before it could be cut off.)
                let deadline = ContinuousClock.now + .seconds(5)
                while fake.cancelled < 3, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
                #expect(fake.cancelled >= 3 && fake.cancelled <= won + lost, "\(fake.cancelled) cancelled, \(won + lost) hedged")
            }
        }
    }

    /// Without `hedge_after` the same tail is the user's: the slow calls are waited out.
    @Test func withoutHedgingTheTailIsWaitedOut() async throws {
        let fake = FakeProvider()
        fake.setLatencies(Array(repeating: 10, count: 4) + [800], forModel: "gpt-4o-mini")
        try await withFake(fake) { port in
            try await withGateway(specs: [sentimentSpec(models: Self.chain)], fakePort: port, environment: Self.keys) { client, _ in
                let answers = try await Self.post(client, 5)
                #expect(answers.map(\.model).allSatisfy { $0 == "openai/gpt-4o-mini" })
                #expect((answers.map(\.ms).max() ?? 0) >= 800)
            }
        }
    }

    /// The budget holds: with every first call slow and a 10% budget, 30 requests get exactly the
    /// 3 hedges the budget allows; the others wait as they would without hedging.
    @Test func theHedgeBudgetHolds() async throws {
        let fake = FakeProvider()
        fake.setLatencies([250], forModel: "gpt-4o-mini")
        fake.setLatencies([10], forModel: "gpt-4o")
        try await withFake(fake) { port in
            try await withGateway(
                specs: [sentimentSpec(models: Self.chain, fallback: "fallback: { hedge_after: 50ms }")], fakePort: port,
                configExtra: "hedge_budget: 10%", environment: Self.keys
            ) { client, _ in
                let answers = try await Self.post(client, 30)
                #expect(answers.filter { $0.model == "backup/gpt-4o" }.count == 3)
                #expect(fake.received.filter { $0.body["model"] == "gpt-4o" }.count == 3)
                #expect(answers.filter { $0.model == "openai/gpt-4o-mini" }.allSatisfy { $0.ms >= 250 })
            }
        }
    }

    /// A hedge never goes to a model whose circuit is open: the request waits for its first call.
    @Test func aHedgeNeverGoesToAnOpenCircuit() async throws {
        let fake = FakeProvider()
        fake.setLatencies([300], forModel: "gpt-4o-mini")
        fake.set(.status(500), forModel: "gpt-4o")
        let backupOnly = sentimentSpec(name: "backup_only", models: ["backup/gpt-4o"])
        try await withFake(fake) { port in
            try await withGateway(
                specs: [sentimentSpec(models: Self.chain, fallback: "fallback: { hedge_after: 50ms }"), backupOnly], fakePort: port,
                configExtra: "hedge_budget: 100%", environment: Self.keys, circuitBreaker: "{ failures: 1, open_for: 60s }"
            ) { client, _ in
                #expect(try await client.post("/v1/backup_only", json: Self.input).status == 502)
                let before = fake.received.count
                let answers = try await Self.post(client, 3)
                #expect(answers.allSatisfy { $0.status == 200 && $0.model == "openai/gpt-4o-mini" && $0.ms >= 300 })
                #expect(fake.received.count == before + 3, "a hedge was sent to the open circuit")
                #expect(try await Self.metric(client, #"promptc_hedges_total{endpoint="sentiment",outcome="won"}"#) == 0)
            }
        }
    }

    /// `hedge_after: p95`: no hedging until 20 calls are known; then a call slower than the
    /// endpoint's own p95 on that model is hedged.
    @Test func p95WaitsForTwentyCallsThenHedges() async throws {
        let fake = FakeProvider()
        // Call 6 is slow before the window has 20 calls; call 26 after.
        var pattern = Array(repeating: 20, count: 30)
        pattern[5] = 700
        pattern[25] = 3_000
        fake.setLatencies(pattern, forModel: "gpt-4o-mini")
        fake.setLatencies([10], forModel: "gpt-4o")
        try await withFake(fake) { port in
            try await withGateway(
                specs: [sentimentSpec(models: Self.chain, fallback: "fallback: { hedge_after: p95 }")], fakePort: port,
                configExtra: "hedge_budget: 100%", environment: Self.keys
            ) { client, _ in
                let answers = try await Self.post(client, 30)
                #expect(answers[5].model == "openai/gpt-4o-mini" && answers[5].ms >= 700, "hedged before 20 calls were known")
                #expect(answers[25].model == "backup/gpt-4o" && answers[25].ms < 1_500, "not hedged at the p95: \(answers[25])")
                // None before the window had 20 calls (a busy machine may make a fast call
                // slower than the p95 after that, and it would be hedged too).
                #expect(answers.prefix(20).allSatisfy { $0.model == "openai/gpt-4o-mini" })
            }
        }
    }

    /// On a pool, the hedge goes to another member of the same pool.
    @Test func aPoolHedgesToAnotherMember() async throws {
        let fake = FakeProvider()
        fake.setLatencies([1_000], forModel: "gpt-4o-mini")
        fake.setLatencies([10], forModel: "gpt-4o")
        try await withFake(fake) { port in
            try await withGateway(
                specs: [sentimentSpec(models: ["pool/fast"], fallback: "fallback: { hedge_after: 100ms }")], fakePort: port,
                configExtra: """
                    hedge_budget: 100%
                    pools:
                      fast: { strategy: round_robin, members: [openai/gpt-4o-mini, backup/gpt-4o] }
                    """,
                environment: Self.keys
            ) { client, _ in
                let answers = try await Self.post(client, 6)
                #expect(answers.allSatisfy { $0.status == 200 && $0.model == "backup/gpt-4o" && $0.ms < 900 }, "\(answers)")
                // Every call that went to the slow member first was hedged to the other one.
                let won = try await Self.metric(client, #"promptc_hedges_total{endpoint="sentiment",outcome="won"}"#)
                #expect(won >= 1)
                #expect(try await Self.metric(client, #"promptc_model_attempts_total{model="openai/gpt-4o-mini",outcome="hedged"}"#) == won)
                #expect(fake.received.filter { $0.body["model"] == "gpt-4o-mini" }.count == won)
            }
        }
    }

    /// A stream is hedged on its first token: a first model slow to send one is raced by the
    /// next; the client hears one model only (no `fallback` event, every partial from the winner)
    /// and the slow call is cancelled, listed as `hedged`.
    @Test func aStreamIsHedgedOnItsFirstToken() async throws {
        let fake = FakeProvider(default: .answer(["label": "negative", "score": -0.5]))
        fake.set(.slowFirstToken(milliseconds: 3_000, ["label": "positive", "score": 0.9]), forModel: "gpt-4o-mini")
        try await withFake(fake) { port in
            try await withGateway(
                specs: [sentimentSpec(models: Self.chain, fallback: "fallback: { timeout: 10s, hedge_after: 200ms }")], fakePort: port,
                configExtra: "hedge_budget: 100%", environment: Self.keys, circuitBreaker: "{ failures: 1, open_for: 60s }"
            ) { client, gateway in
                let started = ContinuousClock.now
                let answer = try await client.stream("/v1/sentiment", json: Self.input)
                #expect(ContinuousClock.now - started < .milliseconds(2_000), "the slow first token was waited for")
                #expect(answer.status == 200)
                #expect(!answer.names.contains("fallback"))
                #expect(answer.last?["model"] == "backup/gpt-4o")
                #expect(answer.last?["output"]?["label"] == "negative")
                #expect(!answer.partials.isEmpty)
                #expect(answer.partials.allSatisfy { $0["label"] == nil || $0["label"] == "negative" || $0["label"]?.stringValue?.hasPrefix("neg") == true })
                #expect(try await Self.metric(client, #"promptc_hedges_total{endpoint="sentiment",outcome="won"}"#) == 1)
                #expect(try await Self.metric(client, #"promptc_model_attempts_total{model="openai/gpt-4o-mini",outcome="hedged"}"#) == 1)
                if case .closed = gateway.runtime.breakers.state(of: "openai/gpt-4o-mini") {} else {
                    Issue.record("a cancelled call marked its circuit")
                }
            }
        }
    }

    /// The first token, not the first whole answer, decides a hedged stream: the first model's
    /// token comes after the hedge started but before the hedge's, so the stream is the first
    /// model's, and the hedge is cut off at that token, not when the first model's answer ends
    /// (its stream takes 700 ms more), and none of its answer reaches the client.
    @Test func theFirstTokenClaimsTheStream() async throws {
        let fake = FakeProvider()
        fake.set(.slowFirstToken(milliseconds: 300, ["label": "positive", "score": 0.9]), forModel: "gpt-4o-mini")
        fake.set(.slowFirstToken(milliseconds: 700, ["label": "negative", "score": -0.5]), forModel: "gpt-4o")
        let logs = LogCapture()
        try await withFake(fake) { port in
            try await withGateway(
                specs: [sentimentSpec(models: Self.chain, fallback: "fallback: { timeout: 10s, hedge_after: 100ms }")], fakePort: port,
                configExtra: "hedge_budget: 100%", environment: Self.keys, logs: logs
            ) { client, _ in
                let answer = try await client.stream("/v1/sentiment", json: Self.input)
                #expect(answer.status == 200)
                #expect(answer.last?["model"] == "openai/gpt-4o-mini")
                #expect(answer.last?["output"]?["label"] == "positive")
                #expect(!answer.partials.contains { $0["label"]?.stringValue?.hasPrefix("neg") == true }, "the hedge's answer reached the client")
                #expect(fake.received.map { $0.body["model"]?.stringValue } == ["gpt-4o-mini", "gpt-4o"], "no hedge was sent")
                #expect(try await Self.metric(client, #"promptc_hedges_total{endpoint="sentiment",outcome="lost"}"#) == 1)
            }
        }
        // The hedge's call ended about 300 ms after it began (the first model's first token), not
        // about 1,000 ms after (the first model's last).
        let line = try #require(logs.text.split(separator: "\n").first { $0.contains("attempt failed") && $0.contains("model=backup/gpt-4o") })
        let ms = try #require(line.split(separator: " ").first { $0.hasPrefix("ms=") }.flatMap { Int($0.dropFirst(3)) })
        #expect(ms < 700, "\(line)")
    }

    /// Both calls of a race are paid for ("both calls' tokens and costs are recorded"): the usage
    /// record, the consumer's budget and the token metrics count the answer's tokens and the
    /// cut-off call's, each at its own model's price. The cut-off call never reports its tokens:
    /// it counts the prompt it was sent (the answer's 11 input tokens) and no output.
    @Test func bothCallsOfARaceArePaidFor() async throws {
        let fake = FakeProvider()
        fake.setLatencies([3_000], forModel: "gpt-4o-mini")
        fake.setLatencies([10], forModel: "gpt-4o")
        let file = TemporarySQLiteFile("promptc-hedge-usage")
        defer { file.remove() }
        let key = "pc_hedge-usage-key"
        let headers = [("content-type", "application/json"), ("x-api-key", key)]
        // The answer: 11 × 10 + 7 × 20 = 250 millionths of a dollar; the cut-off call 11 × 1.
        // The budget of 260 is past after one request only if both are counted.
        let config = """
            hedge_budget: 100%
            pricing:
              openai/gpt-4o-mini: { input: 1, output: 2 }
              backup/gpt-4o: { input: 10, output: 20 }
            consumers:
              - name: app
                key_sha256: \(ConsumerKey.sha256Hex(of: key))
                budget: { usd: 0.00026, per: month }
            """
        try await withFake(fake) { port in
            try await withGateway(
                specs: [sentimentSpec(models: Self.chain, fallback: "fallback: { timeout: 10s, hedge_after: 100ms }")], fakePort: port,
                configExtra: config, environment: Self.keys, usageStore: try SQLiteUsageStore(path: file.path)
            ) { client, _ in
                let hedged = try await client.post("/v1/sentiment", json: Self.input, headers: headers)
                #expect(hedged.status == 200 && hedged.header("x-promptc-model") == "backup/gpt-4o")
                #expect(try await client.post("/v1/sentiment", json: Self.input, headers: headers).status == 402)
                #expect(try await Self.metric(client, #"promptc_tokens_total{model="openai/gpt-4o-mini",kind="input"}"#) == 11)
                #expect(try await Self.metric(client, #"promptc_tokens_total{model="openai/gpt-4o-mini",kind="output"}"#) == 0)
                #expect(try await Self.metric(client, #"promptc_tokens_total{model="backup/gpt-4o",kind="input"}"#) == 11)
            }
        }
        let reader = try await UsageStores.open(file.path)
        let records = try await reader.records(sinceMs: 0)
        await reader.close()
        let record = try #require(records.first { $0.status == 200 })
        #expect(record.model == "backup/gpt-4o" && record.attempts == 2)
        #expect(record.inputTokens == 22 && record.outputTokens == 7)
        #expect(abs(record.costUSD - 261e-6) < 1e-12, "\(record.costUSD)")
    }

    /// The OpenAI-compatible API's `stream: true` is hedged on the first token as a prompt
    /// endpoint's stream is: a model group whose first model is slow to send one answers from
    /// the next, in chunks of that model's text only, without waiting for the slow one.
    @Test func aChatCompletionStreamIsHedgedOnItsFirstToken() async throws {
        let fake = FakeProvider(default: .text("Hello from the hedge"))
        fake.set(.slowFirstToken(milliseconds: 3_000, ["slow": true]), forModel: "gpt-4o-mini")
        let groups = """
            hedge_budget: 100%
            model_groups:
              chat:
                models: [openai/gpt-4o-mini, backup/gpt-4o]
                fallback: { timeout: 10s, hedge_after: 200ms }
            """
        try await withFake(fake) { port in
            try await withGateway(
                specs: [sentimentSpec(models: Self.chain)], fakePort: port, configExtra: groups, environment: Self.keys,
                circuitBreaker: "{ failures: 1, open_for: 60s }"
            ) { client, gateway in
                let started = ContinuousClock.now
                let answer = try await client.post(
                    "/v1/chat/completions", json: #"{"model": "chat", "stream": true, "messages": [{"role": "user", "content": "hi"}]}"#)
                #expect(ContinuousClock.now - started < .milliseconds(2_000), "the slow first token was waited for")
                #expect(answer.status == 200)
                let events = answer.text.components(separatedBy: "\n\n").filter { !$0.isEmpty }
                #expect(events.last == "data: [DONE]")
                let chunks = events.dropLast().compactMap { try? JSONParser.parse(String($0.dropFirst(6))) }
                let text = chunks.compactMap { $0["choices"]?[0]?["delta"]?["content"]?.stringValue }.joined()
                #expect(text == "Hello from the hedge")
                #expect(fake.received.map { $0.body["model"]?.stringValue } == ["gpt-4o-mini", "gpt-4o"])
                let metrics = try await client.get("/metrics").text
                #expect(metrics.contains(#"promptc_hedges_total{endpoint="chat:chat",outcome="won"} 1"#), "\(metrics.split(separator: "\n").filter { $0.hasPrefix("promptc_hedges") })")
                #expect(try await Self.metric(client, #"promptc_model_attempts_total{model="openai/gpt-4o-mini",outcome="hedged"}"#) == 1)
                if case .closed = gateway.runtime.breakers.state(of: "openai/gpt-4o-mini") {} else {
                    Issue.record("a cancelled call marked its circuit")
                }
            }
        }
    }
}
