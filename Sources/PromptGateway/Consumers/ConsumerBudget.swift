import EndpointModel
import Foundation
import Synchronization

/// One consumer's `budget`, counted in this process (gateway-contract.md, Budgets): what it
/// spent in the current calendar period, in millionths of a dollar. With `shared.database` the
/// count is kept there instead (`SharedLimits`), and this one stands in while it is away.
final class ConsumerBudget: Sendable {
    /// The shares of a budget at which an alert goes out, once each per period.
    static let alertPercents = [80, 95, 100]

    private struct State {
        var periodStartMs: Int64 = .min
        var spentMicros: Int64 = 0
    }

    let budget: Budget
    private let state = Mutex(State())

    init(_ budget: Budget) {
        self.budget = budget
    }

    var limitMicros: Int64 { Self.micros(budget.usd) }

    static func micros(_ usd: Double) -> Int64 { Int64((usd * 1_000_000).rounded()) }

    /// Seconds until the period ends when the budget is spent, else nil.
    func exceeded(nowMs: Int64 = SharedLimits.nowMs()) -> Int? {
        let period = BudgetPeriod(budget.per, nowMs: nowMs)
        let spent = state.withLock { state in state.periodStartMs == period.startMs ? state.spentMicros : 0 }
        return spent >= limitMicros ? period.secondsLeft(nowMs: nowMs) : nil
    }

    /// Adds `micros` and returns the count before and after, in this period.
    func spend(_ micros: Int64, nowMs: Int64 = SharedLimits.nowMs()) -> (before: Int64, after: Int64) {
        let period = BudgetPeriod(budget.per, nowMs: nowMs)
        return state.withLock { state in
            if state.periodStartMs != period.startMs { state = State(periodStartMs: period.startMs, spentMicros: 0) }
            let before = state.spentMicros
            state.spentMicros += micros
            return (before, state.spentMicros)
        }
    }

    /// What the usage records of this period say it spent already (at start, so a restart does
    /// not hand out a fresh budget).
    func seed(spentUSD: Double, periodStartMs: Int64) {
        state.withLock { state in
            state.periodStartMs = periodStartMs
            state.spentMicros = Self.micros(spentUSD)
        }
    }

    /// The alert thresholds (percent) that a spend from `before` to `after` crossed.
    static func crossed(before: Int64, after: Int64, limit: Int64) -> [Int] {
        alertPercents.filter { percent in
            let line = limit * Int64(percent) / 100
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

    func secondsLeft(nowMs: Int64) -> Int {
        max(1, Int((endMs - nowMs + 999) / 1000))
    }
}
