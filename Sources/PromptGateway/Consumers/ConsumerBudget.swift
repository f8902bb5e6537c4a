import EndpointModel
import Foundation
import Synchronization

/// One consumer's `budget`, counted in this process (gateway-contract.md, Budgets): what it
/// spent in the current calendar period, in millionths of a dollar. With `shared.database` the
/// count is kept there instead (`SharedLimits`), and this one stands in while it is away.
final class ConsumerBudget: Sendable {
    /// The shares of a budget at which an alert goes out, once each per period.
    static let alertPercents = [80, 95, 100]
    /// Amounts and counts saturate here (about a trillion dollars): prices come from the
    /// configuration and may be absurd, and two such amounts still add up inside Int64 and
    /// PostgreSQL's BIGINT.
    static let maximumMicros: Int64 = 1 << 60

    private struct State {
        /// The period counted; made once per period, not per request (a calendar lookup).
        var period: BudgetPeriod?
        var spentMicros: Int64 = 0
    }

    let budget: Budget
    let limitMicros: Int64
    private let state = Mutex(State())

    init(_ budget: Budget) {
        self.budget = budget
        limitMicros = Self.micros(budget.usd)
    }

    /// `usd` in millionths, clamped to `0...maximumMicros`.
    static func micros(_ usd: Double) -> Int64 {
        guard usd.isFinite, usd > 0 else { return 0 }
        let scaled = (usd * 1_000_000).rounded()
        return scaled >= Double(maximumMicros) ? maximumMicros : Int64(scaled)
    }

    /// The budget's period that `nowMs` falls in.
    func period(nowMs: Int64) -> BudgetPeriod {
        if let period = state.withLock({ $0.period }), period.contains(nowMs) { return period }
        return BudgetPeriod(budget.per, nowMs: nowMs)
    }

    /// Seconds until the period ends when the budget is spent, else nil.
    func exceeded(nowMs: Int64) -> Int? {
        let period = period(nowMs: nowMs)
        let spent = state.withLock { state in state.period == period ? state.spentMicros : 0 }
        return spent >= limitMicros ? period.secondsLeft(nowMs: nowMs) : nil
    }

    /// Adds `micros` and returns the count before and after, in this period.
    func spend(_ micros: Int64, nowMs: Int64 = SharedLimits.nowMs()) -> (before: Int64, after: Int64) {
        let period = period(nowMs: nowMs)
        return state.withLock { state in
            if state.period != period { state = State(period: period, spentMicros: 0) }
            let before = state.spentMicros
            state.spentMicros = min(before + min(micros, Self.maximumMicros), Self.maximumMicros)
            return (before, state.spentMicros)
        }
    }

    /// What the usage records of `period` say it spent already (at start, so a restart does not
    /// hand out a fresh budget).
    func seed(spentUSD: Double, period: BudgetPeriod) {
        state.withLock { state in state = State(period: period, spentMicros: Self.micros(spentUSD)) }
    }

    /// The alert thresholds (percent) that a spend from `before` to `after` crossed.
    static func crossed(before: Int64, after: Int64, limit: Int64) -> [Int] {
        alertPercents.filter { percent in
            // limit × percent / 100, without the product overflowing.
            let line = limit / 100 * Int64(percent) + limit % 100 * Int64(percent) / 100
            return before < line && after >= line
        }
    }
}

/// The calendar period of a budget (UTC) that an instant falls in: a day, a week from Monday,
/// or a month.
struct BudgetPeriod: Sendable, Equatable {
    let startMs: Int64
    let endMs: Int64

    private static let calendar: Calendar = {
        var calendar = Calendar(identifier: .iso8601)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? TimeZone(secondsFromGMT: 0) ?? calendar.timeZone
        return calendar
    }()

    init(_ period: Budget.Period, nowMs: Int64) {
        let now = Date(timeIntervalSince1970: Double(nowMs) / 1000)
        let component: Calendar.Component = switch period {
        case .day: .day
        case .week: .weekOfYear
        case .month: .month
        }
        let interval = Self.calendar.dateInterval(of: component, for: now) ?? DateInterval(start: now, duration: 86_400)
        startMs = Int64(interval.start.timeIntervalSince1970 * 1000)
        endMs = Int64(interval.end.timeIntervalSince1970 * 1000)
    }

    func contains(_ nowMs: Int64) -> Bool { (startMs..<endMs).contains(nowMs) }

    func secondsLeft(nowMs: Int64) -> Int {
        Self.secondsLeft(untilMs: endMs, nowMs: nowMs)
    }

    /// Whole seconds from `nowMs` to `untilMs`, rounded up, at least 1: what `Retry-After` and
    /// `RateLimit-Reset` say.
    static func secondsLeft(untilMs endMs: Int64, nowMs: Int64) -> Int {
        max(1, Int((endMs - nowMs + 999) / 1000))
    }
}
