import AsyncHTTPClient
import EndpointModel
import Foundation
import NIOCore
import Testing
@testable import PromptGateway

/// The upstream client under load and against providers that misbehave (gateway-contract.md,
/// Limits, timeouts and failure accounting).
@Suite("Upstream client")
struct UpstreamTests {
    static let keys = ["OPENAI_API_KEY": "sk-test-openai", "BACKUP_KEY": "sk-test-backup", "GEMINI_API_KEY": "gm-test", "ANTHROPIC_API_KEY": "sk-ant-test"]
    static let answer: JSONValue = ["label": "positive", "score": 0.5]

    /// A client with room for hundreds of calls at once (HTTPClient.shared keeps 8 per host).
    static func withWideClient<T>(_ body: (HTTPClient) async throws -> T) async throws -> T {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool = .init(idleTimeout: .seconds(30), concurrentHTTP1ConnectionsPerHostSoftLimit: 400)
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        do {
            let result = try await body(client)
            try await client.shutdown()
            return result
        } catch {
            try? await client.shutdown()
            throw error
        }
    }

    /// The issue's experiment: 200 calls at once to a healthy provider that takes 1.5 s. Every
    /// one is answered by that provider, with no fallback, and its circuit stays closed.
    @Test func twoHundredSlowCallsAreAllAnsweredByTheProvider() async throws {
        let fake = FakeProvider(default: .slow(milliseconds: 1_500, Self.answer))
        try await withFake(fake) { port in
            try await withGateway(
                specs: [sentimentSpec(models: ["openai/gpt-4o-mini", "backup/gpt-4o-mini"], fallback: "fallback: { timeout: 20s, deadline: 30s }")],
                fakePort: port, environment: Self.keys
            ) { gatewayClient, gateway in
                let models = try await Self.withWideClient { http in
                    try await withThrowingTaskGroup(of: String.self) { group in
                        for index in 0..<200 {
                            group.addTask {
                                var request = HTTPClientRequest(url: "http://127.0.0.1:\(gatewayClient.port)/v1/sentiment")
                                request.method = .POST
                                request.headers.add(name: "content-type", value: "application/json")
                                request.body = .bytes(ByteBuffer(string: #"{"text": "call \#(index)"}"#))
                                let response = try await http.execute(request, timeout: .seconds(60))
                                _ = try await response.body.collect(upTo: 1 << 20)
                                return response.status.code == 200 ? response.headers.first(name: "x-promptc-model") ?? "?" : "status \(response.status.code)"
                            }
                        }
                        return try await group.reduce(into: [String: Int]()) { $0[$1, default: 0] += 1 }
                    }
                }
                #expect(models == ["openai/gpt-4o-mini": 200])
                #expect(fake.callCount == 200)
                #expect(gateway.runtime.breakers.state(of: "openai/gpt-4o-mini") == .closed(consecutiveFailures: 0))
            }
        }
    }

    /// With every connection to the host busy, a call that waits out its timeout for one fails
    /// as `timeout`, but the wait is the gateway's own queue: the circuit stays closed.
    @Test func waitingForAFreeConnectionNeverOpensTheCircuit() async throws {
        let fake = FakeProvider(default: .answer(Self.answer))
        fake.set(.slow(milliseconds: 8_000, Self.answer), forModel: "slow-model")
        let holder = sentimentSpec(name: "holder", models: ["openai/slow-model"], fallback: "fallback: { timeout: 20s, deadline: 30s }")
        let waiter = sentimentSpec(name: "waiter", models: ["openai/quick"], fallback: "fallback: { timeout: 300ms, retries: 0 }")

        try await withFake(fake) { port in
            try await withGateway(
                specs: [holder, waiter], fakePort: port, configExtra: "upstream: { max_connections_per_host: 2 }", environment: Self.keys
            ) { client, gateway in
                let holders = (0..<2).map { _ in Task { try await client.post("/v1/holder", json: #"{"text": "hold"}"#) } }
                while fake.callCount < 2 { try await Task.sleep(for: .milliseconds(10)) }
                // Both connections are busy (for 8 s): more than the circuit's threshold (3) of waits.
                for _ in 0..<4 {
                    let answer = try await client.post("/v1/waiter", json: #"{"text": "wait"}"#)
                    #expect(answer.status == 502)
                    #expect(answer.outcomes == ["timeout"])
                }
                #expect(fake.callCount == 2, "a waiting call reached the provider")
                #expect(gateway.runtime.breakers.state(of: "openai/quick") == .closed(consecutiveFailures: 0))
                for holder in holders { #expect(try await holder.value.status == 200) }
                // The circuit let the next calls through. Each has 300 ms, which a whole suite
                // running on two busy cores can take just to connect: a few tries.
                var after = try await client.post("/v1/waiter", json: #"{"text": "now"}"#)
                for _ in 0..<4 where after.status != 200 {
                    #expect(after.outcomes != ["circuit_open"])
                    after = try await client.post("/v1/waiter", json: #"{"text": "now"}"#)
                }
                #expect(after.status == 200)
            }
        }
    }

    /// A redirect is never followed: the key must not reach another host.
    @Test(arguments: ["openai/gpt-4o-mini", "anthropic/claude-3-5-haiku", "gemini/gemini-2.0-flash"])
    func redirectsAreNotFollowed(model: String) async throws {
        let elsewhere = FakeProvider()
        let fake = FakeProvider()
        try await withFake(elsewhere) { elsewherePort in
            fake.enqueue(.raw(status: 307, headers: [("location", "http://127.0.0.1:\(elsewherePort)/steal")], body: ""))
            try await withFake(fake) { port in
                try await withGateway(
                    specs: [sentimentSpec(models: [model, "backup/gpt-4o-mini"], fallback: "fallback: { retries: 0 }")],
                    fakePort: port, environment: Self.keys
                ) { client, _ in
                    let answer = try await client.post("/v1/sentiment", json: #"{"text": "hi"}"#)
                    #expect(answer.status == 200)
                    #expect(answer.header("x-promptc-model") == "backup/gpt-4o-mini")
                    #expect(answer.header("x-promptc-attempts") == "2")
                }
            }
        }
        #expect(elsewhere.callCount == 0, "the redirect was followed, with the key")
    }

    @Test func geminisInvalidKeyIsAuthAndItsRetryInfoIsWaited() async throws {
        let fake = FakeProvider()
        let badKey = #"{"error":{"code":400,"message":"API key not valid. Please pass a valid API key.","status":"INVALID_ARGUMENT","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"API_KEY_INVALID","domain":"googleapis.com"}]}}"#
        let busy = #"{"error":{"code":429,"message":"Resource has been exhausted","status":"RESOURCE_EXHAUSTED","details":[{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"0.4s"}]}}"#
        fake.enqueue(
            .raw(status: 400, headers: [("content-type", "application/json")], body: badKey),
            .raw(status: 429, headers: [("content-type", "application/json")], body: busy))
        let logs = LogCapture()
        try await withFake(fake) { port in
            try await withGateway(
                specs: [sentimentSpec(models: ["gemini/gemini-2.0-flash"], fallback: "fallback: { retries: 2 }")],
                fakePort: port, environment: Self.keys, logs: logs
            ) { client, _ in
                let started = ContinuousClock.now
                let answer = try await client.post("/v1/sentiment", json: #"{"text": "hi"}"#)
                #expect(answer.status == 200)
                #expect(answer.header("x-promptc-attempts") == "3")
                // The bad key is auth, not a bad request; the 429's RetryInfo is waited before
                // the next try.
                #expect(logs.hasLine(with: "attempt failed", "outcome=auth"))
                #expect(logs.hasLine(with: "attempt failed", "outcome=rate_limit"))
                #expect(ContinuousClock.now - started >= .milliseconds(400))
            }
        }
        let failure = ProviderErrorClassifier.classify(status: 400, headers: [:], body: Array(badKey.utf8))
        #expect(failure.failureClass == .auth)
        let limited = ProviderErrorClassifier.classify(status: 429, headers: [:], body: Array(busy.utf8))
        #expect(limited.failureClass == .rateLimit && limited.retryAfterMs == 400)
    }

    @Test func answersAreClassifiedByStatusWhateverTheirSize() async throws {
        let fake = FakeProvider()
        fake.enqueue(.huge(status: 503, bytes: 9 << 20), .huge(status: 200, bytes: 9 << 20))
        try await withFake(fake) { port in
            try await withGateway(
                specs: [sentimentSpec(models: ["openai/gpt-4o-mini", "openai/gpt-4o", "backup/gpt-4o-mini"], fallback: "fallback: { retries: 0 }")],
                fakePort: port, environment: Self.keys
            ) { client, _ in
                let answer = try await client.post("/v1/sentiment", json: #"{"text": "hi"}"#)
                #expect(answer.status == 200)
                #expect(answer.header("x-promptc-model") == "backup/gpt-4o-mini")
            }
        }
        #expect(ProviderErrorClassifier.classify(status: 301, headers: [:], body: []).failureClass == .serverError)
    }

    @Test func theAttemptsFailureIsLoggedButNotTheProvidersWordsWithoutLogPrompts() async throws {
        let fake = FakeProvider()
        let secretish = #"{"error":{"message":"Incorrect API key provided: sk-test-o***enai","type":"invalid_request_error","code":"invalid_api_key"}}"#
        fake.enqueue(.raw(status: 401, headers: [("content-type", "application/json")], body: secretish))
        let logs = LogCapture()
        try await withFake(fake) { port in
            try await withGateway(
                specs: [sentimentSpec(models: ["openai/gpt-4o-mini", "backup/gpt-4o-mini"])], fakePort: port, environment: Self.keys, logs: logs
            ) { client, _ in
                let answer = try await client.post("/v1/sentiment", json: #"{"text": "hi"}"#)
                #expect(answer.status == 200)
            }
        }
        #expect(logs.hasLine(with: "attempt failed", "outcome=auth", "reason=HTTP 401 (invalid_api_key)"))
        #expect(!logs.text.contains("Incorrect API key"))
    }
}
