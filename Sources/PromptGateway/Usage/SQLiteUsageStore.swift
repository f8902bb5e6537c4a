import Foundation
import GRDB
import NIOPosix

/// Usage records in an SQLite file, through GRDB. GRDB's calls block, so they are made on NIO's
/// thread pool, never on an event loop.
public final class SQLiteUsageStore: UsageStore {
    private let queue: DatabaseQueue
    /// SQLite's page cache for the file, in KiB.
    static let pageCacheKiB = 256

    public init(path: String) throws {
        // Several processes may share the file (`serve` and each client's `promptc mcp`): a
        // writer waits for another's transaction instead of failing with "database is locked",
        // and in WAL mode readers (`promptc usage`) do not block writers.
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        configuration.prepareDatabase { db in
            if try String.fetchOne(db, sql: "PRAGMA journal_mode") != "wal" {
                try db.execute(sql: "PRAGMA journal_mode = WAL")
            }
            // A batch of records touches few pages: the table's right edge, the time index's, and
            // one spot of the id index (a process's ids share a prefix and then count up).
            // SQLite's default cache of 2 MiB filled within seconds of load and stayed, a
            // thirtieth of the gateway's memory goal (issue 15).
            try db.execute(sql: "PRAGMA cache_size = -\(Self.pageCacheKiB)")
        }
        queue = try DatabaseQueue(path: path, configuration: configuration)
        try queue.write { db in
            try db.execute(sql: """
                CREATE TABLE IF NOT EXISTS usage (
                    time_ms INTEGER NOT NULL, request_id TEXT NOT NULL, endpoint TEXT NOT NULL, consumer TEXT,
                    model TEXT, attempts INTEGER NOT NULL, status INTEGER NOT NULL, input_tokens INTEGER NOT NULL,
                    output_tokens INTEGER NOT NULL, cost_usd REAL NOT NULL, latency_ms INTEGER NOT NULL, cache TEXT,
                    fell_back INTEGER NOT NULL, record_id TEXT, via TEXT);
                CREATE INDEX IF NOT EXISTS usage_time ON usage (time_ms);
                """)
            // Files made before records had ids get the column; their old rows keep NULL,
            // which a unique index lets repeat.
            if try !db.columns(in: "usage").contains(where: { $0.name == "record_id" }) {
                try db.execute(sql: "ALTER TABLE usage ADD COLUMN record_id TEXT")
            }
            // Files made before records said which front they came by get the column, NULL in old rows.
            if try !db.columns(in: "usage").contains(where: { $0.name == "via" }) {
                try db.execute(sql: "ALTER TABLE usage ADD COLUMN via TEXT")
            }
            try db.execute(sql: "CREATE UNIQUE INDEX IF NOT EXISTS usage_record_id ON usage (record_id)")
        }
    }

    public func write(_ records: [UsageRecord]) async throws {
        try await NIOThreadPool.singleton.runIfActive { [self] in try writeNow(records) }
    }

    public func records(sinceMs timeMs: Int64) async throws -> [UsageRecord] {
        try await NIOThreadPool.singleton.runIfActive { [self] in try recordsNow(sinceMs: timeMs) }
    }

    public func costs(sinceMs timeMs: Int64) async throws -> [String: Double] {
        try await NIOThreadPool.singleton.runIfActive { [self] in
            try queue.read { db in
                var costs: [String: Double] = [:]
                let rows = try Row.fetchAll(
                    db, sql: "SELECT consumer, SUM(cost_usd) AS cost FROM usage WHERE time_ms >= ? AND consumer IS NOT NULL GROUP BY consumer",
                    arguments: [timeMs])
                for row in rows { costs[row["consumer"]] = row["cost"] }
                return costs
            }
        }
    }

    public func close() async {}

    /// Writes `records` in one transaction.
    func writeNow(_ records: [UsageRecord]) throws {
        guard !records.isEmpty else { return }
        try queue.write { db in
            let statement = try db.makeStatement(sql: """
                INSERT OR IGNORE INTO usage (\(UsageStores.columns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
            for record in records {
                try statement.execute(arguments: [
                    record.id, record.timeMs, record.requestID, record.endpoint, record.consumer, record.model, record.attempts, record.status,
                    record.inputTokens, record.outputTokens, record.costUSD, record.latencyMs, record.cache, record.fellBack, record.via,
                ])
            }
        }
    }

    func recordsNow(sinceMs timeMs: Int64) throws -> [UsageRecord] {
        try queue.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM usage WHERE time_ms >= ? ORDER BY time_ms", arguments: [timeMs]).map { row in
                UsageRecord(
                    timeMs: row["time_ms"], requestID: row["request_id"], endpoint: row["endpoint"], consumer: row["consumer"],
                    model: row["model"], attempts: row["attempts"], status: row["status"], inputTokens: row["input_tokens"],
                    outputTokens: row["output_tokens"], costUSD: row["cost_usd"], latencyMs: row["latency_ms"], cache: row["cache"],
                    fellBack: row["fell_back"], via: row["via"], id: row["record_id"] ?? "")
            }
        }
    }
}
