import Foundation
import PostgresNIO

/// Consumers' `rate_limit` and `tokens_per_minute` counted in the shared database, so that a
/// limit holds across every replica (gateway-contract.md, Cluster): one atomic statement decides
/// each limited request. While the database is away, each replica counts on its own
/// (`ConsumerLimits`), as it would without `shared.database`.
///
/// Windows start at multiples of their period since 1970 (a minute's at :00), so that replicas
/// agree on them without talking; `RateLimit-Reset` is the time to the window's end.
struct SharedLimits: Sendable {
    let database: SharedDatabase

    static func nowMs() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }

    /// The window of `periodMs` that `nowMs` falls in.
    static func window(_ nowMs: Int64, periodMs: Int64) -> (start: Int64, end: Int64) {
        let start = nowMs - nowMs % periodMs
        return (start, start + periodMs)
    }

    /// Counts one request of `consumer` when both its limits allow it; counted locally while
    /// the database is away.
    func admit(_ consumer: String, limits: ConsumerLimits, nowMs: Int64 = nowMs()) async -> ConsumerLimits.Decision {
        do {
            return try await database.run { client in try await Self.admit(consumer, limits: limits, nowMs: nowMs, on: client) }
        } catch {
            return limits.admit()
        }
    }

    /// Adds the model tokens an answer used; locally while the database is away.
    func spend(_ consumer: String, tokens: Int, limits: ConsumerLimits, nowMs: Int64 = nowMs()) async {
        guard limits.tokensPerMinute != nil, tokens > 0 else { return }
        let window = Self.window(nowMs, periodMs: 60_000)
        do {
            try await database.run { client in
                _ = try await client.query("""
                    INSERT INTO promptc_limits AS l (consumer, kind, window_start_ms, window_end_ms, used)
                    VALUES (\(consumer), 'tokens', \(window.start), \(window.end), \(Int64(tokens)))
                    ON CONFLICT (consumer, kind, window_start_ms) DO UPDATE SET used = l.used + EXCLUDED.used
                    """, logger: SharedDatabase.statementLogger)
            }
        } catch {
            limits.spend(tokens: tokens)
        }
    }

    private static func admit(_ consumer: String, limits: ConsumerLimits, nowMs: Int64, on client: PostgresClient) async throws -> ConsumerLimits.Decision {
        let tokens = window(nowMs, periodMs: 60_000)
        let tokenLimit = limits.tokensPerMinute.map(Int64.init) ?? .max
        guard let rate = limits.requests else {
            // A token limit alone: nothing to count now, only to read.
            let used = try await tokensUsed(consumer, window: tokens.start, on: client)
            return ConsumerLimits.Decision(
                allowed: used < tokenLimit, limit: Int(tokenLimit), remaining: Int(max(0, tokenLimit - used)),
                resetSeconds: secondsLeft(tokens.end, nowMs: nowMs))
        }
        let requests = window(nowMs, periodMs: Int64(rate.periodSeconds) * 1000)
        let limit = Int64(rate.requests)
        // Insert the window's first request, or add one to the count while it is under the
        // limit, and only while the token window is under its own: both in one statement, so
        // a burst spread over replicas gets exactly the limit. No row back: refused.
        let rows = try await client.query("""
            WITH spent AS (
                SELECT COALESCE((SELECT used FROM promptc_limits WHERE consumer = \(consumer) AND kind = 'tokens'
                                 AND window_start_ms = \(tokens.start)), 0) AS used)
            INSERT INTO promptc_limits AS l (consumer, kind, window_start_ms, window_end_ms, used)
            SELECT \(consumer), 'requests', \(requests.start), \(requests.end), 1 FROM spent WHERE spent.used < \(tokenLimit)
            ON CONFLICT (consumer, kind, window_start_ms) DO UPDATE SET used = l.used + 1 WHERE l.used < \(limit)
            RETURNING l.used
            """, logger: SharedDatabase.statementLogger)
        var counted: Int64?
        for try await used in rows.decode(Int64.self) { counted = used }
        if let counted {
            return ConsumerLimits.Decision(
                allowed: true, limit: Int(limit), remaining: Int(max(0, limit - counted)), resetSeconds: secondsLeft(requests.end, nowMs: nowMs))
        }
        // Refused: by the tokens, then their window's end is the wait that matters.
        var tokensOut = false
        if limits.tokensPerMinute != nil { tokensOut = try await tokensUsed(consumer, window: tokens.start, on: client) >= tokenLimit }
        return ConsumerLimits.Decision(
            allowed: false, limit: Int(limit), remaining: 0, resetSeconds: secondsLeft(tokensOut ? tokens.end : requests.end, nowMs: nowMs))
    }

    private static func tokensUsed(_ consumer: String, window start: Int64, on client: PostgresClient) async throws -> Int64 {
        let rows = try await client.query(
            "SELECT used FROM promptc_limits WHERE consumer = \(consumer) AND kind = 'tokens' AND window_start_ms = \(start)",
            logger: SharedDatabase.statementLogger)
        var used: Int64 = 0
        for try await value in rows.decode(Int64.self) { used = value }
        return used
    }

    private static func secondsLeft(_ endMs: Int64, nowMs: Int64) -> Int {
        max(1, Int((endMs - nowMs + 999) / 1000))
    }
}
