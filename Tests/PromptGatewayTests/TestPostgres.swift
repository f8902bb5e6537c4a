import Foundation
import Logging
import NIOPosix
import PostgresNIO
import Testing
@testable import PromptGateway

/// The PostgreSQL that `.ci/run` starts, for tests of what promptc keeps there. Never skipped
/// quietly: without `PROMPTC_TEST_POSTGRES_URL` a test fails, unless `PROMPTC_SKIP_POSTGRES=1`
/// says to leave PostgreSQL out.
enum TestPostgres {
    static func url() -> String? {
        let environment = ProcessInfo.processInfo.environment
        if environment["PROMPTC_SKIP_POSTGRES"] == "1" { return nil }
        guard let url = environment["PROMPTC_TEST_POSTGRES_URL"], url.hasPrefix("postgres") else {
            Issue.record("PROMPTC_TEST_POSTGRES_URL is not set: .ci/run starts PostgreSQL and sets it (or set PROMPTC_SKIP_POSTGRES=1)")
            return nil
        }
        return url
    }

    /// A connection to `url`'s database.
    static func connect(_ url: String) async throws -> PostgresConnection {
        try await PostgresConnection.connect(
            on: MultiThreadedEventLoopGroup.singleton.any(), configuration: try PostgresURL.configuration(url), id: 1,
            logger: Logger(label: "test.postgres"))
    }

    /// Runs `body` with the URL of a new, empty database, dropped afterwards (the test role may
    /// create databases: `.ci/run` makes it a superuser).
    static func withEmptyDatabase<T>(_ url: String, _ body: (String) async throws -> T) async throws -> T {
        let name = "promptc_t_" + String(UInt64.random(in: .min ... .max), radix: 16)
        let admin = try await connect(url)
        try await admin.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"), logger: Logger(label: "test.postgres"))
        var parts = URLComponents(string: url)
        parts?.path = "/" + name
        let fresh = parts?.string ?? url
        do {
            let result = try await body(fresh)
            try await admin.query(PostgresQuery(unsafeSQL: "DROP DATABASE \(name) WITH (FORCE)"), logger: Logger(label: "test.postgres"))
            try await admin.close()
            return result
        } catch {
            _ = try? await admin.query(PostgresQuery(unsafeSQL: "DROP DATABASE \(name) WITH (FORCE)"), logger: Logger(label: "test.postgres"))
            try? await admin.close()
            throw error
        }
    }

    /// Runs `body` with the URL of a database that does not exist yet, and a call that creates
    /// it (a database that comes back, or starts after promptc); dropped afterwards.
    static func withLateDatabase<T>(_ url: String, _ body: (_ late: String, _ create: () async throws -> Void) async throws -> T) async throws -> T {
        let name = "promptc_t_late_" + String(UInt64.random(in: .min ... .max), radix: 16)
        var parts = try #require(URLComponents(string: url))
        parts.path = "/" + name
        let late = try #require(parts.string)
        let admin = try await connect(url)
        let logger = Logger(label: "test.postgres")
        let drop = PostgresQuery(unsafeSQL: "DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
        do {
            let result = try await body(late) { _ = try await admin.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"), logger: logger) }
            _ = try await admin.query(drop, logger: logger)
            try await admin.close()
            return result
        } catch {
            _ = try? await admin.query(drop, logger: logger)
            try? await admin.close()
            throw error
        }
    }
}
