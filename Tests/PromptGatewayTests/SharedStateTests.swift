import EndpointModel
import Foundation
import Logging
import PostgresNIO
import Testing
@testable import PromptGateway

/// Replicas sharing one PostgreSQL (gateway-contract.md, Cluster): the schema made safely by
/// replicas starting together, limits that hold across replicas, and local limits while the
/// database is away.
@Suite("Shared state in PostgreSQL", .serialized)
struct SharedStateTests {
    static let request = #"{"text": "I loved it"}"#
    static let key = "pc_shared-state-key-for-tests"
    static let specs = [sentimentSpec(models: ["openai/gpt-4o-mini"])]

    static func config(database: String, limits: String) -> String {
        """
        shared:
          database: \(database)
        consumers:
          - name: app
            key_sha256: \(ConsumerKey.sha256Hex(of: key))
            \(limits)
        """
    }

    static func post(_ client: GatewayClient) async throws -> GatewayAnswer {
        try await client.post("/v1/sentiment", json: request, headers: [("content-type", "application/json"), ("x-api-key", key)])
    }

    /// Shared windows start at multiples of their period; a test that needs `seconds` inside one
    /// window waits for the next when the current one ends sooner.
    static func stayInOneWindow(periodSeconds: Int, seconds: Int) async throws {
        let period = Double(periodSeconds)
        let left = period - Date().timeIntervalSince1970.truncatingRemainder(dividingBy: period)
        if left < Double(seconds) { try await Task.sleep(for: .milliseconds(Int(left * 1000) + 100)) }
    }

    static func schemaVersions(_ url: String) async throws -> [Int] {
        let connection = try await TestPostgres.connect(url)
        var versions: [Int] = []
        for try await version in try await connection.query("SELECT version FROM promptc_schema", logger: Logger(label: "test")).decode(Int.self) {
            versions.append(version)
        }
        try await connection.close()
        return versions
    }

    /// Without the schema's lock, replicas racing on `CREATE TABLE IF NOT EXISTS` fail on
    /// PostgreSQL's catalog; three empty databases, six replicas each, all must start.
    @Test func replicasStartingTogetherOnAnEmptyDatabaseAllGetTheSchema() async throws {
        guard let url = TestPostgres.url() else { return }
        for _ in 0..<3 {
            try await TestPostgres.withEmptyDatabase(url) { fresh in
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for _ in 0..<6 {
                        group.addTask {
                            let store = try await UsageStores.open(fresh)
                            await store.close()
                        }
                    }
                    try await group.waitForAll()
                }
                #expect(try await Self.schemaVersions(fresh) == [SharedSchema.version])
            }
        }
    }

    /// A usage table made by a promptc from before versions (no `record_id`, no `via`) is
    /// adopted and brought up to date, its rows kept; a schema newer than this promptc is refused.
    @Test func anOlderSchemaIsMigratedAndANewerOneRefused() async throws {
        guard let url = TestPostgres.url() else { return }
        try await TestPostgres.withEmptyDatabase(url) { fresh in
            let connection = try await TestPostgres.connect(fresh)
            let logger = Logger(label: "test")
            try await connection.query("""
                CREATE TABLE usage (
                    time_ms BIGINT NOT NULL, request_id TEXT NOT NULL, endpoint TEXT NOT NULL, consumer TEXT, model TEXT,
                    attempts INTEGER NOT NULL, status INTEGER NOT NULL, input_tokens BIGINT NOT NULL, output_tokens BIGINT NOT NULL,
                    cost_usd DOUBLE PRECISION NOT NULL, latency_ms BIGINT NOT NULL, cache TEXT, fell_back BOOLEAN NOT NULL)
                """, logger: logger)
            try await connection.query("""
                INSERT INTO usage VALUES (1, 'old-request', 'sentiment', NULL, NULL, 1, 200, 1, 1, 0, 5, NULL, false)
                """, logger: logger)
            let store = try await UsageStores.open(fresh)
            let records = try await store.records(sinceMs: 0)
            await store.close()
            #expect(records.map(\.requestID) == ["old-request"])
            #expect(try await Self.schemaVersions(fresh) == [SharedSchema.version])

            try await connection.query("UPDATE promptc_schema SET version = version + 1", logger: logger)
            try await connection.close()
            await #expect {
                _ = try await UsageStores.open(fresh)
            } throws: { error in
                String(describing: error).contains("newer than this promptc")
            }
        }
    }

    /// Thirty requests at once, spread over two replicas, against a limit of ten an hour: ten get
    /// through, whichever replica they reach. Counted apart, each replica would let ten through.
    @Test func aRateLimitHoldsAcrossTwoReplicas() async throws {
        guard let url = TestPostgres.url() else { return }
        try await TestPostgres.withEmptyDatabase(url) { fresh in
            try await Self.stayInOneWindow(periodSeconds: 3600, seconds: 30)
            let fake = FakeProvider()
            let config = Self.config(database: fresh, limits: "rate_limit: 10/h")
            try await withFake(fake) { port in
                try await withTwoReplicas(specs: Self.specs, fakePort: port, configExtra: config) { first, second, _ in
                    #expect(try await first.get("/readyz").body["shared_database"] == "up")
                    let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                        for index in 0..<30 {
                            group.addTask { try await Self.post(index % 2 == 0 ? first : second).status }
                        }
                        return try await group.reduce(into: [Int]()) { $0.append($1) }
                    }
                    #expect(statuses.filter { $0 == 200 }.count == 10)
                    #expect(statuses.filter { $0 == 429 }.count == 20)
                    let over = try await Self.post(second)
                    #expect(over.status == 429)
                    #expect(over.header("ratelimit-remaining") == "0")
                    #expect(fake.received.count == 10)
                }
            }
        }
    }

    /// The fake's answers use 18 tokens each; with 40 a minute, the third request, on either
    /// replica, is the last. Counted apart, each replica would let two more through.
    @Test func aTokenLimitHoldsAcrossTwoReplicas() async throws {
        guard let url = TestPostgres.url() else { return }
        try await TestPostgres.withEmptyDatabase(url) { fresh in
            try await Self.stayInOneWindow(periodSeconds: 60, seconds: 15)
            let fake = FakeProvider()
            let config = Self.config(database: fresh, limits: "tokens_per_minute: 40")
            try await withFake(fake) { port in
                try await withTwoReplicas(specs: Self.specs, fakePort: port, configExtra: config) { first, second, _ in
                    let one = try await Self.post(first)
                    #expect(one.status == 200)
                    #expect(one.header("ratelimit-remaining") == "40")
                    let two = try await Self.post(second)
                    #expect(two.status == 200)
                    #expect(two.header("ratelimit-remaining") == "22")
                    #expect(try await Self.post(first).status == 200)
                    let over = try await Self.post(second)
                    #expect(over.status == 429)
                    #expect(over.error?["type"] == "rate_limited")
                    #expect(try await Self.post(first).status == 429)
                }
            }
        }
    }

    /// Three failures open the OpenAI model's circuit on the first replica. The second, which
    /// never saw one fail, hears of it and stops calling that model too: its next request goes
    /// straight to the backup, one call in all.
    @Test func aCircuitOpenedOnOneReplicaOpensOnTheOther() async throws {
        guard let url = TestPostgres.url() else { return }
        try await TestPostgres.withEmptyDatabase(url) { fresh in
            let fake = FakeProvider()
            let specs = [sentimentSpec(models: ["openai/gpt-4o-mini", "backup/gpt-4o-mini"], fallback: "fallback: { retries: 0 }")]
            let config = "shared:\n  database: \(fresh)\n"
            let breaker = "{ failures: 3, open_for: 60s }"
            let json = [("content-type", "application/json")]
            try await withFake(fake) { port in
                try await withTwoReplicas(specs: specs, fakePort: port, configExtra: config, environment: UsageTests.keys, circuitBreaker: breaker) {
                    first, second, replica in
                    for _ in 0..<3 {
                        fake.enqueue(.status(500))
                        let answer = try await first.post("/v1/sentiment", json: Self.request, headers: json)
                        #expect(answer.header("x-promptc-model") == "backup/gpt-4o-mini")
                    }
                    let deadline = ContinuousClock.now + .seconds(10)
                    while case .closed = replica.core.runtime.breakers.state(of: "openai/gpt-4o-mini"), ContinuousClock.now < deadline {
                        try await Task.sleep(for: .milliseconds(20))
                    }
                    let calls = fake.received.count
                    let answer = try await second.post("/v1/sentiment", json: Self.request, headers: json)
                    #expect(answer.status == 200)
                    #expect(answer.header("x-promptc-model") == "backup/gpt-4o-mini")
                    #expect(fake.received.count == calls + 1)
                    #expect(try await second.get("/metrics").text.contains(#"promptc_circuit_open{model="openai/gpt-4o-mini"} 1"#))
                }
            }
        }
    }

    /// A database that does not answer (nothing listens on port 1) leaves the replica serving,
    /// with limits counted locally, and saying so in `/readyz`, the metric and the log; the
    /// URL's password appears nowhere.
    @Test func aReplicaWhoseDatabaseIsAwayServesWithLocalLimits() async throws {
        let fake = FakeProvider()
        let logs = LogCapture()
        let config = Self.config(database: "postgres://promptc:secret-password-9@127.0.0.1:1/promptc", limits: "rate_limit: 2/h")
        try await withFake(fake) { port in
            try await withGateway(specs: Self.specs, fakePort: port, configExtra: config, logs: logs) { client, _ in
                let ready = try await client.get("/readyz")
                #expect(ready.status == 200)
                #expect(ready.body["shared_database"] == "away")
                #expect(try await Self.post(client).status == 200)
                #expect(try await Self.post(client).status == 200)
                #expect(try await Self.post(client).status == 429)
                #expect(try await client.get("/metrics").text.contains("promptc_shared_state_up 0"))
                #expect(logs.hasLine(with: "the shared database does not answer"))
                #expect(!logs.text.contains("secret-password-9"))
            }
        }
    }

    /// A database that is not there at start (it does not exist yet) and comes later: the
    /// replica finds it within a few probes, makes its schema, and counts there from then on.
    @Test func aDatabaseThatComesBackIsUsedAgain() async throws {
        guard let url = TestPostgres.url() else { return }
        try await TestPostgres.withLateDatabase(url) { late, create in
            try await Self.comeBack(create: create, fake: FakeProvider(), config: Self.config(database: late, limits: "rate_limit: 100/h"))
        }
    }

    private static func comeBack(create: () async throws -> Void, fake: FakeProvider, config: String) async throws {
        try await withFake(fake) { port in
            try await withGateway(specs: specs, fakePort: port, configExtra: config) { client, _ in
                #expect(try await client.get("/readyz").body["shared_database"] == "away")
                #expect(try await post(client).status == 200)
                try await create()
                let deadline = ContinuousClock.now + .seconds(20)
                while try await client.get("/readyz").body["shared_database"] != "up", ContinuousClock.now < deadline {
                    try await Task.sleep(for: .milliseconds(100))
                }
                #expect(try await client.get("/readyz").body["shared_database"] == "up")
                #expect(try await client.get("/metrics").text.contains("promptc_shared_state_up 1"))
                let counted = try await post(client)
                #expect(counted.status == 200)
                // The count starts from the database's: the request made while it was away
                // was counted only locally.
                #expect(counted.header("ratelimit-remaining") == "99")
            }
        }
    }
}
