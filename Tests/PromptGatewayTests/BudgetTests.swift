import EndpointModel
import Foundation
import Testing
@testable import PromptGateway

/// Consumers' budgets (gateway-contract.md, Budgets): 402 `budget_exceeded` once spent,
/// counted from the same costs as usage records, kept across a restart and across replicas,
/// with alerts at 80, 95 and 100 %.
@Suite("Budgets", .serialized)
struct BudgetTests {
    static let key = "pc_budget-key-for-tests"
    static let request = #"{"text": "I loved it"}"#
    static let specs = [sentimentSpec(models: ["openai/gpt-4o-mini"])]
    static let environment = AlertTests.environment

    /// The fake's answers use 11 input and 7 output tokens: at $1 and $2 a million, 25 millionths
    /// of a dollar each. A budget of 125 millionths is five answers: the fourth crosses 80 %, the
    /// fifth 95 and 100 %, the sixth is refused.
    static func config(budget: String = "{ usd: 0.000125, per: month }", extra: String = "") -> String {
        """
        pricing:
          openai/gpt-4o-mini: { input: 1, output: 2 }
        consumers:
          - name: app
            key_sha256: \(ConsumerKey.sha256Hex(of: key))
            budget: \(budget)
        \(extra)
        """
    }

    static func post(_ client: GatewayClient) async throws -> GatewayAnswer {
        try await client.post("/v1/sentiment", json: request, headers: [("content-type", "application/json"), ("x-api-key", key)])
    }

    @Test func aSpentBudgetAnswers402UntilThePeriodEndsAndAlertsOnTheWay() async throws {
        let receiver = WebhookReceiver()
        let fake = FakeProvider()
        let file = TemporarySQLiteFile("promptc-budget")
        defer { file.remove() }
        try await withReceiver(receiver) { hookPort in
            try await withFake(fake) { port in
                try await withGateway(
                    specs: Self.specs, fakePort: port, configExtra: Self.config(extra: AlertTests.config(hookPort, events: ["budget"])),
                    environment: Self.environment, usageStore: try SQLiteUsageStore(path: file.path)
                ) { client, _ in
                    for index in 1...5 {
                        #expect(try await Self.post(client).status == 200, "answer \(index)")
                        if index == 4 { try await receiver.waitFor("the 80 % alert") { $0.count == 1 } }
                    }
                    let over = try await Self.post(client)
                    #expect(over.status == 402)
                    #expect(over.error?["type"] == "budget_exceeded")
                    let retryAfter = try #require(Int(over.header("retry-after") ?? ""))
                    let monthEnd = BudgetPeriod(.month, nowMs: SharedLimits.nowMs()).secondsLeft(nowMs: SharedLimits.nowMs())
                    #expect(abs(retryAfter - monthEnd) <= 5)
                    #expect(fake.received.count == 5)
                    try await receiver.waitFor("three budget alerts") { $0.count == 3 }
                }
            }
        }
        let percents = receiver.deliveries.compactMap { ($0.json["figures"] as? [String: Any])?["percent"] as? Int }
        // Alerts are sent side by side: the 95 and 100 % ones may arrive in either order.
        #expect(percents.sorted() == [80, 95, 100])
        #expect(percents.first == 80)
        #expect(receiver.deliveries.allSatisfy { $0.event == "budget" && $0.json["consumer"] as? String == "app" && AlertTests.signed($0) })
        let full = receiver.deliveries.first { ($0.json["figures"] as? [String: Any])?["percent"] as? Int == 100 }
        #expect(full?.json["severity"] as? String == "critical")
    }

    /// A restart does not hand out a fresh budget: the next gateway reads this month's usage
    /// records (four answers, 100 millionths) and lets one more through.
    @Test func aRestartKeepsWhatWasSpent() async throws {
        let fake = FakeProvider()
        let file = TemporarySQLiteFile("promptc-budget")
        defer { file.remove() }
        try await withFake(fake) { port in
            try await withGateway(
                specs: Self.specs, fakePort: port, configExtra: Self.config(), environment: Self.environment,
                usageStore: try SQLiteUsageStore(path: file.path)
            ) { (client: GatewayClient, _: Gateway) async throws in
                for _ in 1...4 { #expect(try await Self.post(client).status == 200) }
            }
            try await withGateway(
                specs: Self.specs, fakePort: port, configExtra: Self.config(), environment: Self.environment,
                usageStore: try SQLiteUsageStore(path: file.path)
            ) { (client: GatewayClient, _: Gateway) async throws in
                #expect(try await Self.post(client).status == 200)
                #expect(try await Self.post(client).status == 402)
            }
        }
    }

    /// Two replicas on one database: the budget is one, whichever replica answers, and each
    /// alert goes out once.
    @Test func aBudgetHoldsAcrossReplicas() async throws {
        guard let url = TestPostgres.url() else { return }
        try await TestPostgres.withEmptyDatabase(url) { fresh in
            let receiver = WebhookReceiver()
            let fake = FakeProvider()
            try await withReceiver(receiver) { hookPort in
                let config = Self.config(extra: "shared:\n  database: \(fresh)\n" + AlertTests.config(hookPort, events: ["budget"]))
                try await withFake(fake) { port in
                    try await withTwoReplicas(specs: Self.specs, fakePort: port, configExtra: config, environment: Self.environment) { first, second, _ in
                        for index in 0..<5 { #expect(try await Self.post(index % 2 == 0 ? first : second).status == 200) }
                        #expect(try await Self.post(second).status == 402)
                        #expect(try await Self.post(first).status == 402)
                        try await receiver.waitFor("three budget alerts") { $0.count == 3 }
                    }
                }
            }
            let percents = receiver.deliveries.compactMap { ($0.json["figures"] as? [String: Any])?["percent"] as? Int }
            #expect(percents.sorted() == [80, 95, 100])
        }
    }

    /// Prices come from the configuration and may be absurd: amounts and counts saturate instead
    /// of overflowing (which would stop the process).
    @Test func absurdAmountsSaturate() {
        #expect(ConsumerBudget.micros(1e300) == ConsumerBudget.maximumMicros)
        #expect(ConsumerBudget.micros(.infinity) == 0 && ConsumerBudget.micros(-1) == 0)
        let budget = ConsumerBudget(Budget(usd: 1_000_000_000, per: .day))
        let nowMs: Int64 = 1_796_288_400_000
        _ = budget.spend(.max, nowMs: nowMs)
        #expect(budget.spend(.max, nowMs: nowMs) == (ConsumerBudget.maximumMicros, ConsumerBudget.maximumMicros))
        #expect(budget.exceeded(nowMs: nowMs) != nil)
        #expect(ConsumerBudget.crossed(before: 0, after: .max, limit: .max) == [80, 95, 100])
    }

    @Test func periodsAreCalendarPeriodsInUTC() {
        // 2026-12-03T09:00:00Z, a Thursday.
        let nowMs: Int64 = 1_796_288_400_000
        let day = BudgetPeriod(.day, nowMs: nowMs)
        #expect(day.startMs == 1_796_256_000_000 && day.endMs == 1_796_342_400_000)
        let week = BudgetPeriod(.week, nowMs: nowMs)
        #expect(week.startMs == 1_796_256_000_000 - 3 * 86_400_000, "the Monday")
        let month = BudgetPeriod(.month, nowMs: nowMs)
        #expect(month.startMs == 1_796_083_200_000 && month.endMs == 1_798_761_600_000)
        #expect(ConsumerBudget.crossed(before: 75, after: 100, limit: 125) == [80])
        #expect(ConsumerBudget.crossed(before: 100, after: 125, limit: 125) == [95, 100])
        #expect(ConsumerBudget.crossed(before: 125, after: 150, limit: 125).isEmpty)
    }
}
