import EndpointModel
import Foundation
import PromptCompiler
import Testing
@testable import PromptGateway

/// Consumers and keys, allow-lists and rate limits (gateway-contract.md, Consumers and keys).
@Suite("Consumers, keys and rate limits", .serialized)
struct ConsumerTests {
    static let request = #"{"text": "I loved it"}"#
    static let appKey = "pc_app-key-for-tests"
    static let reportsKey = "pc_reports-key-for-tests"
    static let json = ("content-type", "application/json")

    static var consumers: String {
        """
        consumers:
          - name: app
            key_sha256: \(ConsumerKey.sha256Hex(of: appKey))
            rate_limit: 3/min
          - name: reports
            key_sha256: \(ConsumerKey.sha256Hex(of: reportsKey).uppercased())
            endpoints: [summary]
            tokens_per_minute: 20
        """
    }

    static let specs = [
        sentimentSpec(models: ["openai/gpt-4o-mini"]),
        sentimentSpec(name: "summary", models: ["openai/gpt-4o-mini"]),
    ]

    @Test func keysAreCheckedAndEndpointsAllowListed() async throws {
        let fake = FakeProvider()
        try await withFake(fake) { port in
            try await withGateway(specs: Self.specs, fakePort: port, configExtra: Self.consumers) { client, _ in
                let missing = try await client.post("/v1/sentiment", json: Self.request)
                #expect(missing.status == 401)
                #expect(missing.body["error"]?["type"] == "unauthorized")
                #expect(missing.header("www-authenticate") == "Bearer")

                let wrong = try await client.post("/v1/sentiment", json: Self.request, headers: [Self.json, ("authorization", "Bearer pc_not-a-key")])
                #expect(wrong.status == 401)

                let bearer = try await client.post("/v1/sentiment", json: Self.request, headers: [Self.json, ("authorization", "Bearer \(Self.appKey)")])
                #expect(bearer.status == 200)

                let apiKey = try await client.post("/v1/summary", json: Self.request, headers: [Self.json, ("x-api-key", Self.reportsKey)])
                #expect(apiKey.status == 200)

                let forbidden = try await client.post("/v1/sentiment", json: Self.request, headers: [Self.json, ("x-api-key", Self.reportsKey)])
                #expect(forbidden.status == 403)
                #expect(forbidden.body["error"]?["type"] == "forbidden")

                // Health checks carry no keys.
                #expect(try await client.get("/healthz").status == 200)
                // Only the requests that got through reached the provider.
                #expect(fake.received.count == 2)
            }
        }
    }

    @Test func requestLimitAnswers429WithRetryAfterAndHeaders() async throws {
        let fake = FakeProvider()
        try await withFake(fake) { port in
            try await withGateway(specs: Self.specs, fakePort: port, configExtra: Self.consumers) { client, _ in
                let headers = [Self.json, ("authorization", "Bearer \(Self.appKey)")]
                for remaining in [2, 1, 0] {
                    let answer = try await client.post("/v1/sentiment", json: Self.request, headers: headers)
                    #expect(answer.status == 200)
                    #expect(answer.header("ratelimit-limit") == "3")
                    #expect(answer.header("ratelimit-remaining") == String(remaining))
                    let reset = Int(answer.header("ratelimit-reset") ?? "") ?? 0
                    #expect((1...60).contains(reset))
                }
                let over = try await client.post("/v1/sentiment", json: Self.request, headers: headers)
                #expect(over.status == 429)
                #expect(over.body["error"]?["type"] == "rate_limited")
                let retryAfter = Int(over.header("retry-after") ?? "") ?? 0
                #expect((1...60).contains(retryAfter))
                #expect(over.header("ratelimit-remaining") == "0")
                #expect(fake.received.count == 3)
            }
        }
    }

    /// The fake's answers use 18 tokens each, so a 20-token minute allows two requests.
    @Test func tokenLimitCountsWhatAnswersUsed() async throws {
        let fake = FakeProvider()
        try await withFake(fake) { port in
            try await withGateway(specs: Self.specs, fakePort: port, configExtra: Self.consumers) { client, _ in
                let headers = [Self.json, ("x-api-key", Self.reportsKey)]
                let first = try await client.post("/v1/summary", json: Self.request, headers: headers)
                #expect(first.status == 200)
                #expect(first.header("ratelimit-limit") == "20")
                #expect(first.header("ratelimit-remaining") == "20")
                let second = try await client.post("/v1/summary", json: Self.request, headers: headers)
                #expect(second.status == 200)
                #expect(second.header("ratelimit-remaining") == "2")
                let third = try await client.post("/v1/summary", json: Self.request, headers: headers)
                #expect(third.status == 429)
                #expect(third.body["error"]?["type"] == "rate_limited")
            }
        }
    }

    @Test func keysAreNeverLoggedAndOnlyHashesAreConfigured() async throws {
        let fake = FakeProvider()
        let logs = LogCapture()
        try await withFake(fake) { port in
            try await withGateway(specs: Self.specs, fakePort: port, configExtra: Self.consumers, logs: logs) { client, gateway in
                _ = try await client.post("/v1/sentiment", json: Self.request, headers: [Self.json, ("authorization", "Bearer \(Self.appKey)")])
                _ = try await client.post("/v1/sentiment", json: Self.request, headers: [Self.json, ("authorization", "Bearer pc_wrong")])
                #expect(!logs.text.contains(Self.appKey))
                #expect(!logs.text.contains("pc_wrong"))
                #expect(gateway.options.settings.consumers.allSatisfy { $0.keySHA256.count == 64 })
            }
        }
    }

    @Test(arguments: [("0.0.0.0", false, true), ("127.0.0.1", false, false), ("localhost", false, false), ("0.0.0.0", true, false)])
    func anOpenGatewayOffLoopbackWarns(host: String, withConsumers: Bool, warns: Bool) async throws {
        let files = Self.specs.prefix(1).map { (path: "Prompts/sentiment.yaml", contents: Data($0.utf8)) }
        let config = Self.consumers.replacingOccurrences(of: "endpoints: [summary]", with: "endpoints: [sentiment]")
        let compilation = PromptCompiler.compile(files: Array(files), config: withConsumers ? (path: "promptc.yaml", contents: Data(config.utf8)) : nil)
        let table = try #require(compilation.routeTable)
        let logs = LogCapture()
        let gateway = try Gateway(GatewayOptions(routeTable: table, settings: compilation.settings, host: host, port: 0), logger: logs.logger())
        gateway.warnIfOpenToTheNetwork()
        await gateway.shutdown()
        #expect(logs.hasLine(with: "no consumers are configured") == warns)
    }

    @Test func windowsReopenAfterTheirPeriod() {
        let limits = ConsumerLimits(requests: RequestRate(requests: 1, periodSeconds: 1), tokensPerMinute: nil)
        let start = ContinuousClock.now
        #expect(limits.admit(now: start).allowed)
        let blocked = limits.admit(now: start + .milliseconds(500))
        #expect(!blocked.allowed)
        #expect(blocked.resetSeconds == 1)
        #expect(limits.admit(now: start + .milliseconds(1001)).allowed)
    }

    @Test func generatedKeysAreRandomAndHashAsConfigured() {
        let (key, hash) = ConsumerKey.generate()
        let (other, _) = ConsumerKey.generate()
        #expect(key != other)
        #expect(key.hasPrefix("pc_") && key.count == 46)
        #expect(key.utf8.allSatisfy { $0 < 0x80 && $0 != UInt8(ascii: "+") && $0 != UInt8(ascii: "/") && $0 != UInt8(ascii: "=") })
        #expect(hash == ConsumerKey.sha256Hex(of: key))
        // SHA-256("abc"), FIPS 180-2's test vector.
        #expect(ConsumerKey.sha256Hex(of: "abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        let directory = ConsumerDirectory([Consumer(name: "x", keySHA256: hash)])
        #expect(directory.entry(forKey: key)?.consumer.name == "x")
        #expect(directory.entry(forKey: other) == nil)
    }

    @Test func allowListsNameRealEndpoints() {
        let config = Self.consumers.replacingOccurrences(of: "endpoints: [summary]", with: "endpoints: [sumary]")
        let files = Self.specs.map { spec in
            let name = spec.split(separator: "\n").first { $0.hasPrefix("name: ") }.map { $0.dropFirst(6) } ?? ""
            return (path: "Prompts/\(name).yaml", contents: Data(spec.utf8))
        }
        let compilation = PromptCompiler.compile(files: files, config: (path: "promptc.yaml", contents: Data(config.utf8)))
        let messages = compilation.diagnostics.map(\.message)
        #expect(messages.contains { $0.contains("'sumary' is not an endpoint") && $0.contains("did you mean 'summary'") })
    }
}
