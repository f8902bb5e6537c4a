import EndpointModel
import Foundation
import Synchronization
import Testing
@testable import PromptGateway

/// Usage and cost records in a real SQLite file (gateway-contract.md, Usage and cost records).
@Suite("Usage records", .serialized)
struct UsageTests {
    static let keys = ["OPENAI_API_KEY": "sk-test-openai", "BACKUP_KEY": "sk-test-backup"]
    static let pricing = "pricing:\n  backup/gpt-4o-mini: { input: 1, output: 2 }\n"

    enum Store: String, CaseIterable, Sendable {
        case sqlite, postgres
    }

    /// A store of the kind, empty as far as the test can tell: a new SQLite file, or the
    /// PostgreSQL database `.ci/run` starts (`PROMPTC_TEST_POSTGRES_URL`), read from the test's
    /// start on. PostgreSQL is never skipped quietly: without the URL the test fails, unless
    /// `PROMPTC_SKIP_POSTGRES=1` says to leave it out.
    static func open(_ kind: Store) async throws -> (store: any UsageStore, sinceMs: Int64, database: String, cleanUp: @Sendable () -> Void)? {
        let sinceMs = Int64(Date().timeIntervalSince1970 * 1000) - 1
        switch kind {
        case .sqlite:
            let file = TemporarySQLiteFile("promptc-usage")
            return (try SQLiteUsageStore(path: file.path), sinceMs, file.path, file.remove)
        case .postgres:
            let environment = ProcessInfo.processInfo.environment
            if environment["PROMPTC_SKIP_POSTGRES"] == "1" { return nil }
            guard let url = environment["PROMPTC_TEST_POSTGRES_URL"], url.hasPrefix("postgres") else {
                Issue.record("PROMPTC_TEST_POSTGRES_URL is not set: .ci/run starts PostgreSQL and sets it (or set PROMPTC_SKIP_POSTGRES=1)")
                return nil
            }
            return (try await UsageStores.open(url), sinceMs, url, {})
        }
    }

    @Test(arguments: Store.allCases)
    func everyRoutedRequestLeavesARecord(kind: Store) async throws {
        guard let (store, sinceMs, database, cleanUp) = try await Self.open(kind) else { return }
        defer { cleanUp() }
        let runID = UUID().uuidString
        let fake = FakeProvider()
        fake.enqueue(.status(500))
        let appKey = "pc_usage-test-app"
        let config = Self.pricing + "consumers:\n  - name: app\n    key_sha256: \(ConsumerKey.sha256Hex(of: appKey))\n"
        let headers = [("content-type", "application/json"), ("x-api-key", appKey)]
        try await withFake(fake) { port in
            try await withGateway(
                specs: [sentimentSpec(models: ["openai/gpt-4o-mini", "backup/gpt-4o-mini"], fallback: "fallback: { retries: 0 }")],
                fakePort: port, configExtra: config, environment: Self.keys, usageStore: store
            ) { client, _ in
                let fallback = try await client.post("/v1/sentiment", json: #"{"text": "one"}"#, headers: [("x-request-id", "req-1-\(runID)")] + headers)
                #expect(fallback.header("x-promptc-model") == "backup/gpt-4o-mini")
                let direct = try await client.post("/v1/sentiment", json: #"{"text": "two"}"#, headers: headers)
                #expect(direct.status == 200)
                let invalid = try await client.post("/v1/sentiment", json: #"{"text": 2}"#, headers: headers)
                #expect(invalid.status == 400)
                // Refused before the body is read: still a record, without a consumer.
                #expect(try await client.post("/v1/sentiment", json: #"{"text": "x"}"#, headers: [("x-request-id", "req-401-\(runID)")]).status == 401)
            }
        }
        // The gateway has stopped: every queued record is written (and the store closed; a
        // new one reads them back).
        let reader = try await UsageStores.open(database)
        let all = try await reader.records(sinceMs: sinceMs)
        await reader.close()
        let records = kind == .sqlite ? all : all.filter { $0.timeMs >= sinceMs && $0.endpoint == "sentiment" && $0.consumer == "app" }
        #expect(records.count >= 3)
        let refused = try #require(all.first { $0.requestID == "req-401-\(runID)" })
        #expect(refused.status == 401 && refused.consumer == nil && refused.attempts == 0)
        let first = try #require(records.first { $0.requestID == "req-1-\(runID)" })
        #expect(first.endpoint == "sentiment")
        #expect(first.consumer == "app")
        #expect(first.model == "backup/gpt-4o-mini")
        #expect(first.attempts == 2)
        #expect(first.status == 200)
        #expect(first.fellBack)
        #expect(first.inputTokens == 11 && first.outputTokens == 7)
        #expect(abs(first.costUSD - (11 * 1 + 7 * 2) / 1_000_000) < 1e-12)
        #expect(records.filter { $0.model == "openai/gpt-4o-mini" }.count == 1)
        #expect(records.contains { $0.status == 400 && $0.model == nil && $0.inputTokens == 0 })
        #expect(records.allSatisfy { abs(Double($0.timeMs) / 1000 - Date().timeIntervalSince1970) < 60 })
    }

    /// A graceful stop with calls in flight (as many as the test client keeps connections to one
    /// host): every request that was answered has its record.
    @Test(arguments: Store.allCases)
    func aGracefulStopUnderLoadLosesNoRecord(kind: Store) async throws {
        guard let (store, sinceMs, database, cleanUp) = try await Self.open(kind) else { return }
        defer { cleanUp() }
        let runID = UUID().uuidString
        let fake = FakeProvider(default: .slow(milliseconds: 300, ["label": "neutral", "score": 0]))
        let tasks = try await withFake(fake) { port in
            try await withGateway(
                specs: [sentimentSpec(models: ["openai/gpt-4o-mini"])], fakePort: port, shutdownTimeout: .seconds(5),
                usageStore: store
            ) { client, _ in
                let tasks = (0..<8).map { index in
                    Task { try await client.post("/v1/sentiment", json: #"{"text": "load"}"#, headers: [("content-type", "application/json"), ("x-request-id", "load-\(index)-\(runID)")]) }
                }
                while fake.callCount < 8 { try await Task.sleep(for: .milliseconds(10)) }
                return tasks  // returning starts the graceful stop with calls in flight
            }
        }
        var answered: Set<String> = []
        for (index, task) in tasks.enumerated() {
            if let answer = try? await task.value, answer.status == 200 { answered.insert("load-\(index)-\(runID)") }
        }
        #expect(answered.count == 8)
        let reader = try await UsageStores.open(database)
        let recorded = Set(try await reader.records(sinceMs: sinceMs).filter { $0.status == 200 }.map(\.requestID))
        await reader.close()
        #expect(answered.isSubset(of: recorded))
    }

    /// `sslmode` means what libpq says: `require` encrypts without checking the certificate,
    /// `verify-full` refuses one it cannot verify (the test server's is self-signed), and
    /// neither falls back to plaintext.
    @Test func postgresTLSFollowsSSLMode() async throws {
        guard let (store, _, url, _) = try await Self.open(.postgres) else { return }
        await store.close()
        let separator = url.contains("?") ? "&" : "?"
        let encrypted = try await UsageStores.open(url + separator + "sslmode=require")
        await encrypted.close()
        await #expect(throws: (any Error).self) {
            let verified = try await UsageStores.open(url + separator + "sslmode=verify-full")
            await verified.close()
        }
        await #expect(throws: (any Error).self) {
            _ = try await UsageStores.open(url + separator + "sslmode=sometimes")
        }
    }

    @Test func reportGroupsAndSummarises() {
        func record(_ endpoint: String, model: String?, consumer: String?, status: Int, ms: Int, fellBack: Bool = false) -> UsageRecord {
            UsageRecord(
                timeMs: 0, requestID: "r", endpoint: endpoint, consumer: consumer, model: model, attempts: 1, status: status,
                inputTokens: 10, outputTokens: 5, costUSD: 0.001, latencyMs: ms, cache: nil, fellBack: fellBack)
        }
        let records = [
            record("sentiment", model: "openai/a", consumer: "app", status: 200, ms: 10),
            record("sentiment", model: "openai/b", consumer: "app", status: 200, ms: 30, fellBack: true),
            record("sentiment", model: nil, consumer: nil, status: 502, ms: 20),
            record("translate", model: "openai/a", consumer: "web", status: 200, ms: 40),
        ]
        let byEndpoint = UsageReport.rows(records, by: .endpoint)
        #expect(byEndpoint.map(\.group) == ["sentiment", "translate"])
        let sentiment = byEndpoint[0]
        #expect(sentiment.requests == 3 && sentiment.errors == 1 && sentiment.fallbacks == 1)
        #expect(sentiment.inputTokens == 30 && sentiment.outputTokens == 15)
        #expect(abs(sentiment.costUSD - 0.003) < 1e-12)
        #expect(sentiment.p50Ms == 20 && sentiment.p95Ms == 30)
        #expect(UsageReport.rows(records, by: .model).map(\.group) == ["(none)", "openai/a", "openai/b"])
        #expect(UsageReport.rows(records, by: .consumer).map(\.group) == ["(none)", "app", "web"])
        let json = try? JSONParser.parse(UsageReport.json(byEndpoint))
        let keys = json?.arrayValue?.first?.objectValue.map { Set($0.keys) }
        #expect(keys == ["group", "requests", "errors", "fallbacks", "input_tokens", "output_tokens", "cost_usd", "p50_ms", "p95_ms"])
        #expect(UsageReport.table(byEndpoint, groupTitle: "endpoint").contains("sentiment         3       1          1"))
    }
}

