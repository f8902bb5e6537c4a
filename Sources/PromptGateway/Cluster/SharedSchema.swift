import Logging
import PostgresNIO

/// The tables promptc keeps in PostgreSQL, made on first start and migrated on upgrade
/// (gateway-contract.md, Cluster).
///
/// Every replica migrates as it connects. `CREATE TABLE IF NOT EXISTS` alone is not safe when
/// replicas start together on an empty database: both see no table, both create it, and one
/// fails on the catalog's unique index. So a migration runs in one transaction that first takes
/// a transaction-scoped advisory lock: replicas take turns, and each after the first finds the
/// version already current and does nothing.
enum SharedSchema {
    /// The advisory lock's key: "promptc" in ASCII, unlikely to be another program's.
    static let lockKey: Int64 = 0x70_72_6F_6D_70_74_63

    /// The steps, in order; the schema's version is how many have run. A step never changes once
    /// released: an upgrade adds a step. The first adopts a usage table that promptc made before
    /// there were versions, hence its `IF NOT EXISTS`.
    static let steps: [[String]] = [
        [
            """
            CREATE TABLE IF NOT EXISTS usage (
                time_ms BIGINT NOT NULL, request_id TEXT NOT NULL, endpoint TEXT NOT NULL, consumer TEXT, model TEXT,
                attempts INTEGER NOT NULL, status INTEGER NOT NULL, input_tokens BIGINT NOT NULL, output_tokens BIGINT NOT NULL,
                cost_usd DOUBLE PRECISION NOT NULL, latency_ms BIGINT NOT NULL, cache TEXT, fell_back BOOLEAN NOT NULL, record_id TEXT, via TEXT)
            """,
            "ALTER TABLE usage ADD COLUMN IF NOT EXISTS record_id TEXT",
            "ALTER TABLE usage ADD COLUMN IF NOT EXISTS via TEXT",
            "CREATE UNIQUE INDEX IF NOT EXISTS usage_record_id ON usage (record_id)",
            "CREATE INDEX IF NOT EXISTS usage_time ON usage (time_ms)",
        ],
        [
            // One row per consumer, kind (`requests`, `tokens`) and window; windows start at
            // multiples of their period since 1970, so every replica agrees on them.
            """
            CREATE TABLE promptc_limits (
                consumer TEXT NOT NULL, kind TEXT NOT NULL, window_start_ms BIGINT NOT NULL, window_end_ms BIGINT NOT NULL,
                used BIGINT NOT NULL, PRIMARY KEY (consumer, kind, window_start_ms))
            """,
            "CREATE INDEX promptc_limits_end ON promptc_limits (window_end_ms)",
        ],
    ]

    static var version: Int { steps.count }

    /// Brings the database to `version`; a database already there is left as it is. Fails when
    /// the database is newer than this promptc (a replica of an older release must not serve
    /// against tables it does not know).
    static func migrate(_ connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query("BEGIN", logger: logger)
        do {
            try await connection.query("SELECT pg_advisory_xact_lock(\(lockKey))", logger: logger)
            try await connection.query("CREATE TABLE IF NOT EXISTS promptc_schema (version INTEGER NOT NULL)", logger: logger)
            var current = 0
            for try await version in try await connection.query("SELECT version FROM promptc_schema", logger: logger).decode(Int.self) {
                current = max(current, version)
            }
            guard current <= version else {
                throw SharedSchemaError(description: "the database's schema is version \(current), newer than this promptc's \(version): upgrade promptc")
            }
            if current < version {
                for step in steps[current...] {
                    for statement in step { try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger) }
                }
                try await connection.query("DELETE FROM promptc_schema", logger: logger)
                try await connection.query("INSERT INTO promptc_schema (version) VALUES (\(version))", logger: logger)
                logger.info("shared database schema migrated", metadata: ["from": "\(current)", "to": "\(version)"])
            }
            try await connection.query("COMMIT", logger: logger)
        } catch {
            _ = try? await connection.query("ROLLBACK", logger: logger)
            throw error
        }
    }
}

struct SharedSchemaError: Error, CustomStringConvertible {
    var description: String
}
