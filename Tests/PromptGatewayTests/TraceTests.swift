import EndpointModel
import Foundation
import NIOHTTP1
import Testing
@testable import PromptGateway

/// Every request leaves a trace (gateway-contract.md, Limits, timeouts and failure accounting):
/// one log line each, a usage record for every request to an endpoint's path whatever refused
/// it, and the headers a limited consumer or a cached endpoint promises on every answer.
@Suite("Every request leaves a trace", .serialized)
struct TraceTests {
    static let keys = ["OPENAI_API_KEY": "sk-test-openai", "BACKUP_KEY": "sk-test-backup"]

    @Test func everyRequestGetsOneLogLine() async throws {
        let logs = LogCapture()
        try await withFake(FakeProvider()) { port in
            try await withGateway(specs: [sentimentSpec(models: ["openai/gpt-4o-mini"])], fakePort: port, environment: Self.keys, logs: logs) { client, _ in
                let notFound = try await client.send("/nowhere", method: .GET, body: nil, headers: [("x-request-id", "trace-404")], timeout: .seconds(5))
                #expect(notFound.status == 404)
                let wrongMethod = try await client.send("/v1/sentiment", method: .GET, body: nil, headers: [("x-request-id", "trace-405")], timeout: .seconds(5))
                #expect(wrongMethod.status == 405)
                let ok = try await client.post("/v1/sentiment", json: #"{"text": "hi"}"#, headers: [("content-type", "application/json"), ("x-request-id", "trace-200")])
                #expect(ok.status == 200)
            }
        }
        for (id, status) in [("trace-404", 404), ("trace-405", 405), ("trace-200", 200)] {
            let lines = logs.text.split(separator: "\n").filter { $0.contains("request_id=\(id)") && $0.contains(" request ") }
            #expect(lines.count == 1, "\(id): \(lines)")
            #expect(lines.first?.contains("status=\(status)") == true)
        }
    }

    @Test func headWorksWhereverGetDoes() async throws {
        try await withFake(FakeProvider()) { port in
            try await withGateway(specs: [sentimentSpec(models: ["openai/gpt-4o-mini"])], fakePort: port, environment: Self.keys) { client, _ in
                for path in ["/healthz", "/readyz", "/metrics", "/openapi.json"] {
                    let answer = try await client.send(path, method: .HEAD, body: nil, headers: [], timeout: .seconds(5))
                    #expect(answer.status == 200, "HEAD \(path)")
                    #expect(answer.text.isEmpty)
                }
                let endpoint = try await client.send("/v1/sentiment", method: .HEAD, body: nil, headers: [], timeout: .seconds(5))
                #expect(endpoint.status == 405)
            }
        }
    }

    /// 401, 403 and 429 leave usage records (with the consumer when it is known); a limited
    /// consumer's every answer carries RateLimit-*; a cached endpoint's every answer says
    /// x-promptc-cache.
    @Test func refusedRequestsAreRecordedAndCarryTheirHeaders() async throws {
        let file = TemporarySQLiteFile("promptc-trace")
        defer { file.remove() }
        let path = file.path
        let store = try SQLiteUsageStore(path: path)
        let limitedKey = "pc_limited", narrowKey = "pc_narrow"
        let config = """
            consumers:
              - name: limited
                key_sha256: \(ConsumerKey.sha256Hex(of: limitedKey))
                rate_limit: 2/min
              - name: narrow
                key_sha256: \(ConsumerKey.sha256Hex(of: narrowKey))
                endpoints: [other]
            """
        let cached = sentimentSpec(models: ["openai/gpt-4o-mini"], extra: "cache: { ttl: 10m }")
        let other = sentimentSpec(name: "other", models: ["openai/gpt-4o-mini"])
        func headers(_ key: String?, _ id: String) -> [(String, String)] {
            [("content-type", "application/json"), ("x-request-id", id)] + (key.map { [("x-api-key", $0)] } ?? [])
        }
        try await withFake(FakeProvider()) { port in
            try await withGateway(specs: [cached, other], fakePort: port, configExtra: config, environment: Self.keys, usageStore: store) { client, _ in
                let anonymous = try await client.post("/v1/sentiment", json: #"{"text": "hi"}"#, headers: headers(nil, "t-401"))
                #expect(anonymous.status == 401)
                #expect(anonymous.header("x-promptc-cache") == "miss")
                let forbidden = try await client.post("/v1/sentiment", json: #"{"text": "hi"}"#, headers: headers(narrowKey, "t-403"))
                #expect(forbidden.status == 403)
                let invalid = try await client.post("/v1/sentiment", json: #"{"text": 1}"#, headers: headers(limitedKey, "t-400"))
                #expect(invalid.status == 400)
                #expect(invalid.header("ratelimit-limit") == "2")
                #expect(invalid.header("ratelimit-remaining") == "1")
                #expect(invalid.header("x-promptc-cache") == "miss")
                let served = try await client.post("/v1/sentiment", json: #"{"text": "hi"}"#, headers: headers(limitedKey, "t-200"))
                #expect(served.status == 200)
                let limited = try await client.post("/v1/sentiment", json: #"{"text": "hi"}"#, headers: headers(limitedKey, "t-429"))
                #expect(limited.status == 429)
                #expect(limited.header("ratelimit-remaining") == "0")
                #expect(limited.header("retry-after") != nil)
            }
        }
        let records = try await SQLiteUsageStore(path: path).records(sinceMs: 0)
        let byID = Dictionary(records.map { ($0.requestID, $0) }) { first, _ in first }
        #expect(records.count == 5)
        #expect(byID["t-401"]?.status == 401 && byID["t-401"]?.consumer == nil)
        #expect(byID["t-403"]?.status == 403 && byID["t-403"]?.consumer == "narrow")
        #expect(byID["t-400"]?.status == 400 && byID["t-400"]?.consumer == "limited")
        #expect(byID["t-429"]?.status == 429 && byID["t-429"]?.consumer == "limited")
        #expect(byID["t-200"]?.model == "openai/gpt-4o-mini")
        #expect(records.allSatisfy { $0.endpoint == "sentiment" })
    }

    /// The usage database goes down in the middle of a burst and comes back: every request
    /// answered has exactly one record.
    @Test(arguments: UsageTests.Store.allCases)
    func aDatabaseThatGoesDownMidBurstLosesAndDoublesNothing(kind: UsageTests.Store) async throws {
        guard let (store, sinceMs, database, cleanUp) = try await UsageTests.open(kind) else { return }
        defer { cleanUp() }
        let run = UUID().uuidString
        let faulty = FaultyStore(base: store)
        try await withFake(FakeProvider()) { port in
            try await withGateway(
                specs: [sentimentSpec(models: ["openai/gpt-4o-mini"])], fakePort: port, environment: Self.keys, shutdownTimeout: .seconds(20),
                usageStore: faulty
            ) { client, _ in
                for (phase, fault) in [(0, FaultyStore.Fault.none), (1, .down), (2, .failEveryOther), (3, .none)] {
                    faulty.set(fault)
                    try await withThrowingTaskGroup(of: Int.self) { group in
                        for index in 0..<25 {
                            group.addTask {
                                try await client.post(
                                    "/v1/sentiment", json: #"{"text": "burst"}"#,
                                    headers: [("content-type", "application/json"), ("x-request-id", "\(run)-\(phase)-\(index)")]
                                ).status
                            }
                        }
                        for try await status in group { #expect(status == 200) }
                    }
                    // Let the writer meet this phase's fault at least once.
                    try await Task.sleep(for: .milliseconds(600))
                }
            }
        }
        let counts = try await UsageRecorderTests.counts(kind, database: database, sinceMs: sinceMs, run: run)
        #expect(counts.count == 100)
        #expect(counts.values.allSatisfy { $0 == 1 })
    }
}
