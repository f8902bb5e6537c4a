import EndpointModel
import Foundation
import Logging
import NIOPosix
import PostgresNIO

/// Usage records in PostgreSQL (postgres-nio), for `usage.database: postgres://user:pass@host:5432/db`.
/// One connection, opened on first use and again after it fails; the schema is made (or
/// migrated) on the first connection that opens. TLS follows the URL's `sslmode` (`PostgresURL`).
public actor PostgresUsageStore: UsageStore {
    private let configuration: PostgresConnection.Configuration
    private let logger = Logger(label: "promptc.usage.postgres")
    private var connection: PostgresConnection?
    /// A connect under way: callers that come while it runs share it. The actor is reentrant at
    /// every await, and a second connection made alongside would be dropped unclosed.
    private var opening: Task<PostgresConnection, any Error>?
    private var nextID = 0
    /// Whether a connection has found (or made) the schema; until then each new one tries.
    private var schemaReady = false

    init(configuration: PostgresConnection.Configuration) {
        self.configuration = configuration
    }

    /// A store whose database answered and has the schema; throws otherwise.
    public static func connect(url: String) async throws -> PostgresUsageStore {
        let store = PostgresUsageStore(configuration: try PostgresURL.configuration(url))
        do {
            _ = try await store.open()
        } catch {
            await store.close()
            throw error
        }
        return store
    }

    /// A store for `url` whether or not its database answers now (`serve` starting while
    /// PostgreSQL is away): a URL that is not usable throws, a database that does not answer is
    /// logged, and the store connects on its first use that finds it back. Meanwhile the usage
    /// recorder keeps trying, and the journal holds the records on disk.
    public static func connectWhenAble(url: String, logger: Logger) async throws -> PostgresUsageStore {
        let store = PostgresUsageStore(configuration: try PostgresURL.configuration(url))
        do {
            _ = try await store.open()
        } catch {
            logger.error("the usage database does not answer yet: usage records wait for it", metadata: [
                "database": .string(DatabaseURL.redacted(url)), "error": .string(StoreProblem.describe(error)),
            ])
        }
        return store
    }

    private func open() async throws -> PostgresConnection {
        if let connection, !connection.isClosed { return connection }
        if let opening { return try await opening.value }
        nextID += 1
        let (id, configuration, logger, needsSchema) = (nextID, configuration, logger, !schemaReady)
        let task = Task {
            let made = try await PostgresConnection.connect(
                on: MultiThreadedEventLoopGroup.singleton.any(), configuration: configuration, id: id, logger: logger).get()
            guard needsSchema else { return made }
            // The usage table, and the rest of the shared schema, as `SharedSchema` makes them;
            // before the connection is handed to anyone, so no write comes before the table.
            do {
                try await SharedSchema.migrate(made, logger: logger)
            } catch {
                try? await made.close()
                throw error
            }
            return made
        }
        opening = task
        defer { opening = nil }
        let made = try await task.value
        schemaReady = true
        connection = made
        return made
    }

    /// One multi-row INSERT per call: the recorder's batches are at most 256 records, far under
    /// PostgreSQL's limit of 65,535 parameters.
    public func write(_ records: [UsageRecord]) async throws {
        guard !records.isEmpty else { return }
        let columns = 15
        var bindings = PostgresBindings(capacity: records.count * columns)
        var rows: [String] = []
        for (index, record) in records.enumerated() {
            let base = index * columns
            rows.append("(" + (1...columns).map { "$\(base + $0)" }.joined(separator: ", ") + ")")
            bindings.append(record.id)
            bindings.append(record.timeMs)
            bindings.append(record.requestID)
            bindings.append(record.endpoint)
            bindings.append(record.consumer)
            bindings.append(record.model)
            bindings.append(record.attempts)
            bindings.append(record.status)
            bindings.append(Int64(record.inputTokens))
            bindings.append(Int64(record.outputTokens))
            bindings.append(record.costUSD)
            bindings.append(Int64(record.latencyMs))
            bindings.append(record.cache)
            bindings.append(record.fellBack)
            bindings.append(record.via)
        }
        let query = PostgresQuery(
            unsafeSQL: "INSERT INTO usage (\(UsageStores.columns)) VALUES " + rows.joined(separator: ", ") + " ON CONFLICT DO NOTHING",
            binds: bindings)
        let used = try await open()
        do {
            try await used.query(query, logger: logger)
        } catch {
            if connection === used { connection = nil }
            try? await used.close()
            throw error
        }
    }

    public func records(sinceMs: Int64) async throws -> [UsageRecord] {
        let rows = try await open().query(
            "SELECT \(unescaped: UsageStores.readColumns) FROM usage WHERE time_ms >= \(sinceMs) ORDER BY time_ms", logger: logger)
        var records: [UsageRecord] = []
        for try await (time, requestID, endpoint, consumer, model, attempts, status, input, output, cost, latency, cache, fellBack, via)
            in rows.decode((Int64, String, String, String?, String?, Int, Int, Int64, Int64, Double, Int64, String?, Bool, String?).self)
        {
            records.append(UsageRecord(
                timeMs: time, requestID: requestID, endpoint: endpoint, consumer: consumer, model: model, attempts: attempts,
                status: status, inputTokens: Int(input), outputTokens: Int(output), costUSD: cost, latencyMs: Int(latency),
                cache: cache, fellBack: fellBack, via: via))
        }
        return records
    }

    public func costs(sinceMs: Int64) async throws -> [String: Double] {
        let rows = try await open().query(
            "SELECT consumer, SUM(cost_usd) FROM usage WHERE time_ms >= \(sinceMs) AND consumer IS NOT NULL GROUP BY consumer", logger: logger)
        var costs: [String: Double] = [:]
        for try await (consumer, cost) in rows.decode((String, Double).self) { costs[consumer] = cost }
        return costs
    }

    public func close() async {
        let closing = connection
        connection = nil
        try? await closing?.close()
        // A connect still under way would otherwise land after the close, never to be closed.
        if let pending = try? await opening?.value, pending !== closing {
            if connection === pending { connection = nil }
            try? await pending.close()
        }
    }

    public func reset() async {
        await close()
    }
}

struct UsageStoreError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
