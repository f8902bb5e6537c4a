import EndpointModel
import GRDB
import Logging

/// Where usage records are kept: an SQLite file, or PostgreSQL for a `postgres://` URL.
public protocol UsageStore: Sendable {
    func write(_ records: [UsageRecord]) async throws
    /// Every record since `sinceMs` (milliseconds since 1970), oldest first.
    func records(sinceMs: Int64) async throws -> [UsageRecord]
    /// What each consumer's records since `sinceMs` cost, in US dollars.
    func costs(sinceMs: Int64) async throws -> [String: Double]
    func close() async
    /// A write timed out: drop whatever connection it hung on, so the next starts afresh.
    func reset() async
}

extension UsageStore {
    public func reset() async {}

    public func costs(sinceMs: Int64) async throws -> [String: Double] {
        var costs: [String: Double] = [:]
        for record in try await records(sinceMs: sinceMs) {
            if let consumer = record.consumer { costs[consumer, default: 0] += record.costUSD }
        }
        return costs
    }
}

public enum UsageStores {
    /// The store `usage.database` names: a `postgres://` (or `postgresql://`) URL, else a file.
    public static func open(_ database: String) async throws -> any UsageStore {
        if DatabaseURL.isPostgres(database) {
            return try await PostgresUsageStore.connect(url: database)
        }
        // Turning WAL on takes the file's lock, and SQLite answers "busy" at once, without its
        // busy timeout, when another process is doing the same (two `promptc mcp` started
        // together): such an open is tried again, for up to 5 s.
        var tries = 0
        while true {
            do {
                return try SQLiteUsageStore(path: database)
            } catch let error as DatabaseError where error.resultCode == .SQLITE_BUSY && tries < 100 {
                tries += 1
                try await Task.sleep(for: .milliseconds(50))
            }
        }
    }

    /// The store `serve` records to: as `open`, except that a PostgreSQL database that does not
    /// answer yet is not a reason to refuse to start (a replica keeps serving while it is away,
    /// and may as well start then): the store connects once it answers.
    public static func openForServing(_ database: String, logger: Logger) async throws -> any UsageStore {
        guard DatabaseURL.isPostgres(database) else { return try await open(database) }
        return try await PostgresUsageStore.connectWhenAble(url: database, logger: logger)
    }

    /// `database` for messages: a URL's password replaced by `***`.
    public static func redacted(_ database: String) -> String {
        DatabaseURL.redacted(database)
    }

    /// The columns both stores use, in order.
    static let columns = "record_id, " + readColumns
    /// What `promptc usage` reads back.
    static let readColumns = "time_ms, request_id, endpoint, consumer, model, attempts, status, input_tokens, output_tokens, cost_usd, latency_ms, cache, fell_back, via"
}
