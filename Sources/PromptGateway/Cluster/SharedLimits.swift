import EndpointModel
import Foundation
import PostgresNIO

/// Consumers' `rate_limit`, `tokens_per_minute` and `budget` counted in the shared database, so
/// that they hold across every replica (gateway-contract.md, Cluster, Budgets): one atomic
/// statement decides each limited request. While the database is away, each replica counts on
/// its own (`ConsumerLimits`, `ConsumerBudget`), as it would without `shared.database`.
///
/// Limit windows start at multiples of their period since 1970 (a minute's at :00), so that
/// replicas agree on them without talking; `RateLimit-Reset` is the time to the window's end.
/// Budgets are counted per calendar period (`BudgetPeriod`) in millionths of a dollar.
struct SharedLimits: Sendable {
    let database: SharedDatabase

    static func nowMs() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }

    /// The window of `periodMs` that `nowMs` falls in.
    static func window(_ nowMs: Int64, periodMs: Int64) -> (start: Int64, end: Int64) {
        let start = nowMs - nowMs % periodMs
        return (start, start + periodMs)
    }

    /// Counts one request of `consumer` when its limits and budget allow it; counted locally
    /// while the database is away.
    func admit(_ consumer: String, limits: ConsumerLimits?, budget: ConsumerBudget?, nowMs: Int64 = nowMs()) async -> ConsumerAdmission {
        do {
            return try await database.run { client in
                try await Self.admit(consumer, limits: limits, budget: budget, nowMs: nowMs, on: client)
            }
        } catch {
            return ConsumerAdmission.local(limits: limits, budget: budget)
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

    /// Adds what an answer cost to the consumer's budget; returns the count before and after,
    /// which no other replica's spend overlaps (the update is atomic), so each alert threshold
    /// is crossed by exactly one replica. The period's first spend starts from what the usage
    /// records of the period already cost.
    func spend(_ consumer: String, micros: Int64, budget: ConsumerBudget, nowMs: Int64 = nowMs()) async -> (before: Int64, after: Int64) {
        let period = budget.period(nowMs: nowMs)
        let cap = ConsumerBudget.maximumMicros
        do {
            return try await database.run { client in
                let rows = try await client.query("""
                    INSERT INTO promptc_limits AS l (consumer, kind, window_start_ms, window_end_ms, used)
                    VALUES (\(consumer), 'usd_micros', \(period.startMs), \(period.endMs),
                            (SELECT CAST(ROUND(COALESCE(SUM(cost_usd), 0) * 1000000) AS BIGINT) FROM usage
                             WHERE consumer = \(consumer) AND time_ms >= \(period.startMs)) + \(micros))
                    ON CONFLICT (consumer, kind, window_start_ms) DO UPDATE SET used = LEAST(l.used + \(micros), \(cap))
                    RETURNING l.used
                    """, logger: SharedDatabase.statementLogger)
                var after = micros
                for try await used in rows.decode(Int64.self) { after = used }
                return (after - micros, after)
            }
        } catch {
            return budget.spend(micros, nowMs: nowMs)
        }
    }

    private static func admit(
        _ consumer: String, limits: ConsumerLimits?, budget: ConsumerBudget?, nowMs: Int64, on client: PostgresClient
    ) async throws -> ConsumerAdmission {
        let tokens = window(nowMs, periodMs: 60_000)
        let tokenLimit = limits?.tokensPerMinute.map(Int64.init) ?? .max
        let period = budget?.period(nowMs: nowMs)
        let budgetStart = period?.startMs ?? 0
        let budgetLimit = budget?.limitMicros ?? .max
        guard let rate = limits?.requests else {
            // No request limit: nothing to count now, only to read.
            let (used, spent) = try await spent(consumer, tokenStart: tokens.start, budgetStart: budgetStart, on: client)
            var admission = ConsumerAdmission()
            if let period, spent >= budgetLimit { admission.overBudgetSeconds = period.secondsLeft(nowMs: nowMs) }
            if let limits, let perMinute = limits.tokensPerMinute {
                admission.decision = ConsumerLimits.Decision(
                    allowed: used < tokenLimit, limit: perMinute, remaining: Int(max(0, tokenLimit - used)),
                    resetSeconds: secondsLeft(tokens.end, nowMs: nowMs))
            }
            return admission
        }
        let requests = window(nowMs, periodMs: Int64(rate.periodSeconds) * 1000)
        let limit = Int64(rate.requests)
        // Insert the window's first request, or add one to the count while it is under the
        // limit, and only while the token window and the budget are under their own: all in
        // one statement, so a burst spread over replicas gets exactly the limit. No row back:
        // refused.
        let rows = try await client.query("""
            WITH spent AS (
                SELECT COALESCE((SELECT used FROM promptc_limits WHERE consumer = \(consumer) AND kind = 'tokens'
                                 AND window_start_ms = \(tokens.start)), 0) AS tokens,
                       COALESCE((SELECT used FROM promptc_limits WHERE consumer = \(consumer) AND kind = 'usd_micros'
                                 AND window_start_ms = \(budgetStart)), 0) AS micros)
            INSERT INTO promptc_limits AS l (consumer, kind, window_start_ms, window_end_ms, used)
            SELECT \(consumer), 'requests', \(requests.start), \(requests.end), 1 FROM spent
            WHERE spent.tokens < \(tokenLimit) AND spent.micros < \(budgetLimit)
            ON CONFLICT (consumer, kind, window_start_ms) DO UPDATE SET used = l.used + 1 WHERE l.used < \(limit)
            RETURNING l.used
            """, logger: SharedDatabase.statementLogger)
        var counted: Int64?
        for try await used in rows.decode(Int64.self) { counted = used }
        if let counted {
            return ConsumerAdmission(decision: ConsumerLimits.Decision(
                allowed: true, limit: Int(limit), remaining: Int(max(0, limit - counted)), resetSeconds: secondsLeft(requests.end, nowMs: nowMs)))
        }
        // Refused: say by what. The budget first (402), then the tokens, whose window's end is
        // then the wait that matters, then the request count.
        let (used, spent) = try await spent(consumer, tokenStart: tokens.start, budgetStart: budgetStart, on: client)
        var admission = ConsumerAdmission(decision: ConsumerLimits.Decision(
            allowed: false, limit: Int(limit), remaining: 0,
            resetSeconds: secondsLeft(used >= tokenLimit ? tokens.end : requests.end, nowMs: nowMs)))
        if let period, spent >= budgetLimit { admission.overBudgetSeconds = period.secondsLeft(nowMs: nowMs) }
        return admission
    }

    /// The consumer's tokens this minute and its spend this budget period.
    private static func spent(_ consumer: String, tokenStart: Int64, budgetStart: Int64, on client: PostgresClient) async throws -> (Int64, Int64) {
        let rows = try await client.query("""
            SELECT COALESCE((SELECT used FROM promptc_limits WHERE consumer = \(consumer) AND kind = 'tokens'
                             AND window_start_ms = \(tokenStart)), 0),
                   COALESCE((SELECT used FROM promptc_limits WHERE consumer = \(consumer) AND kind = 'usd_micros'
                             AND window_start_ms = \(budgetStart)), 0)
            """, logger: SharedDatabase.statementLogger)
        var result: (Int64, Int64) = (0, 0)
        for try await row in rows.decode((Int64, Int64).self) { result = row }
        return result
    }

    private static func secondsLeft(_ endMs: Int64, nowMs: Int64) -> Int {
        BudgetPeriod.secondsLeft(untilMs: endMs, nowMs: nowMs)
    }
}

/// What the consumer stage learned of a consumer's limits and budget for one request.
struct ConsumerAdmission: Sendable {
    /// The request and token limits' verdict, for the `RateLimit-*` headers; nil without limits.
    var decision: ConsumerLimits.Decision?
    /// Seconds until the budget's period ends, when the budget is spent.
    var overBudgetSeconds: Int?

    /// Counted in this process.
    static func local(limits: ConsumerLimits?, budget: ConsumerBudget?) -> ConsumerAdmission {
        // Over budget: refused before the request counts against the rate limit.
        if let seconds = budget?.exceeded(nowMs: SharedLimits.nowMs()) { return ConsumerAdmission(decision: nil, overBudgetSeconds: seconds) }
        return ConsumerAdmission(decision: limits?.admit(), overBudgetSeconds: nil)
    }
}
