import Crypto
import EndpointModel
import Foundation
import Testing
@testable import PromptGateway

/// Alerts to webhooks (gateway-contract.md, Alerts): each event, delivered to a receiver on
/// loopback, its signature checked; retries and repeats.
@Suite("Alerts", .serialized)
struct AlertTests {
    static let secret = "alert-secret-for-tests"
    static let environment = UsageTests.keys.merging(["PROMPTC_ALERT_SECRET": secret]) { first, _ in first }
    static let json = [("content-type", "application/json")]
    static let request = #"{"text": "I loved it"}"#
    static let twoModels = [sentimentSpec(models: ["openai/gpt-4o-mini", "backup/gpt-4o-mini"], fallback: "fallback: { retries: 0 }")]
    static let oneModel = [sentimentSpec(models: ["openai/gpt-4o-mini"], fallback: "fallback: { retries: 0 }")]

    static func config(_ port: Int, events: [String]? = nil, extra: String = "") -> String {
        var text = "alerts:\n  webhooks:\n    - url: http://127.0.0.1:\(port)/hooks/promptc\n      secret_env: PROMPTC_ALERT_SECRET\n"
        if let events { text += "      events: [\(events.joined(separator: ", "))]\n" }
        return text + extra
    }

    /// A gateway of `specs` on `fake` whose one webhook, `receiver` on loopback, wants `events`.
    /// It stops (and sends what it still holds) before this returns.
    static func withAlertingGateway(
        _ receiver: WebhookReceiver, fake: FakeProvider, specs: [String], events: [String], extra: String = "",
        circuitBreaker: String = "{ failures: 3, open_for: 1s }", _ body: (GatewayClient) async throws -> Void
    ) async throws {
        try await withReceiver(receiver) { hookPort in
            try await withFake(fake) { port in
                try await withGateway(
                    specs: specs, fakePort: port, configExtra: config(hookPort, events: events, extra: extra), environment: Self.environment,
                    circuitBreaker: circuitBreaker
                ) { client, _ in try await body(client) }
            }
        }
    }

    /// The signature a receiver computes: HMAC-SHA256 of the body under the shared secret.
    static func signed(_ delivery: WebhookReceiver.Delivery) -> Bool {
        let code = HMAC<SHA256>.authenticationCode(for: delivery.body, using: SymmetricKey(data: Array(secret.utf8)))
        return delivery.headers["x-promptc-signature"] == "sha256=" + code.map { String(format: "%02x", $0) }.joined()
    }

    /// A provider going down sends one signed webhook: ten requests fail, the circuit opens once,
    /// and the receiver (which wants only circuit_open) gets one alert about that model.
    @Test func aProviderGoingDownSendsOneSignedWebhook() async throws {
        let receiver = WebhookReceiver()
        let fake = FakeProvider(default: .status(500))
        try await Self.withAlertingGateway(
            receiver, fake: fake, specs: Self.oneModel, events: ["circuit_open"], circuitBreaker: "{ failures: 3, open_for: 60s }"
        ) { client in
            for _ in 0..<10 { _ = try await client.post("/v1/sentiment", json: Self.request, headers: Self.json) }
            try await receiver.waitFor("circuit_open") { !$0.isEmpty }
        }
        // The gateway's stop waits for alerts still being sent: a second would be in now.
        let deliveries = receiver.deliveries
        #expect(deliveries.count == 1)
        let alert = try #require(deliveries.first)
        #expect(Self.signed(alert))
        #expect(alert.event == "circuit_open")
        #expect(alert.json["model"] as? String == "openai/gpt-4o-mini")
        #expect(alert.json["severity"] as? String == "critical")
        #expect((alert.json["summary"] as? String)?.contains("openai/gpt-4o-mini") == true)
        #expect((alert.json["time"] as? String)?.hasSuffix("Z") == true)
        #expect((alert.json["figures"] as? [String: Any])?["failures"] as? Int == 3)
        #expect(alert.headers["content-type"] == "application/json")
    }

    /// The circuit that opened closes again once its trial succeeds: circuit_closed follows.
    @Test func aCircuitThatClosesSaysSo() async throws {
        let receiver = WebhookReceiver()
        let fake = FakeProvider()
        try await Self.withAlertingGateway(
            receiver, fake: fake, specs: Self.twoModels, events: ["circuit_open", "circuit_closed"], circuitBreaker: "{ failures: 1, open_for: 200ms }"
        ) { client in
            fake.enqueue(.status(500))
            #expect(try await client.post("/v1/sentiment", json: Self.request, headers: Self.json).status == 200)
            try await receiver.waitFor("circuit_open") { $0.contains { $0.event == "circuit_open" } }
            // Requests go on; once open_for has passed, one of them is the trial.
            let deadline = ContinuousClock.now + .seconds(10)
            while !receiver.events().contains("circuit_closed"), ContinuousClock.now < deadline {
                _ = try await client.post("/v1/sentiment", json: Self.request, headers: Self.json)
                try await Task.sleep(for: .milliseconds(20))
            }
        }
        #expect(receiver.events() == ["circuit_open", "circuit_closed"])
        #expect(receiver.deliveries.allSatisfy(Self.signed))
        #expect(receiver.deliveries.last?.json["severity"] as? String == "info")
    }

    /// Every model of the chain failed: chain_exhausted, about the endpoint, once per repeat_after.
    @Test func aChainThatRunsOutOfModelsSaysSo() async throws {
        let receiver = WebhookReceiver()
        let fake = FakeProvider(default: .status(500))
        try await Self.withAlertingGateway(
            receiver, fake: fake, specs: Self.oneModel, events: ["chain_exhausted"], circuitBreaker: "{ failures: 100, open_for: 60s }"
        ) { client in
            #expect(try await client.post("/v1/sentiment", json: Self.request, headers: Self.json).status == 502)
            #expect(try await client.post("/v1/sentiment", json: Self.request, headers: Self.json).status == 502)
            try await receiver.waitFor("chain_exhausted") { !$0.isEmpty }
        }
        #expect(receiver.events() == ["chain_exhausted"])
        let alert = try #require(receiver.deliveries.first)
        #expect(Self.signed(alert))
        #expect(alert.json["endpoint"] as? String == "sentiment")
        #expect((alert.json["figures"] as? [String: Any])?["error"] as? String == "upstream_failed")
    }

    /// Ten answers, every one from the backup: over the 20 % of fallback_rate.
    @Test func anEndpointThatFallsBackTooOftenSaysSo() async throws {
        let receiver = WebhookReceiver()
        let fake = FakeProvider()
        try await Self.withAlertingGateway(
            receiver, fake: fake, specs: Self.twoModels, events: ["fallback_rate"], extra: "  fallback_rate: { above: 0.2, over: 1m }\n",
            circuitBreaker: "{ failures: 100, open_for: 60s }"
        ) { client in
            for index in 0..<10 {
                fake.enqueue(.status(500))
                let answer = try await client.post("/v1/sentiment", json: Self.request, headers: Self.json)
                #expect(answer.header("x-promptc-model") == "backup/gpt-4o-mini")
                if index < 9 { #expect(receiver.deliveries.isEmpty, "fewer than ten answers say nothing yet") }
            }
            try await receiver.waitFor("fallback_rate") { !$0.isEmpty }
        }
        let alert = try #require(receiver.deliveries.first)
        #expect(alert.event == "fallback_rate" && Self.signed(alert))
        let figures = try #require(alert.json["figures"] as? [String: Any])
        #expect(figures["rate"] as? Double == 1.0 && figures["answers"] as? Int == 10 && figures["over_ms"] as? Int == 60_000)
    }

    /// The shared database does not answer: store_down.
    @Test func aStoreThatIsDownSaysSo() async throws {
        let receiver = WebhookReceiver()
        let fake = FakeProvider()
        try await Self.withAlertingGateway(
            receiver, fake: fake, specs: Self.oneModel, events: ["store_down"],
            extra: "shared:\n  database: postgres://promptc:pw@127.0.0.1:1/promptc\n"
        ) { _ in
            try await receiver.waitFor("store_down") { !$0.isEmpty }
        }
        let alert = try #require(receiver.deliveries.first)
        #expect(alert.event == "store_down" && Self.signed(alert))
        #expect((alert.json["figures"] as? [String: Any])?["store"] as? String == "shared")
        #expect(!String(decoding: alert.body, as: UTF8.self).contains("pw@"))
    }

    /// A receiver that answers 500 twice gets the alert on the third try, with the same
    /// signature; the same alert raised again within repeat_after is not sent again.
    @Test func deliveriesAreRetriedAndRepeatsHeldBack() async throws {
        let receiver = WebhookReceiver(failing: 2)
        try await withReceiver(receiver) { hookPort in
            var settings = AlertSettings()
            settings.webhooks = [AlertSettings.Webhook(url: "http://127.0.0.1:\(hookPort)/hook", secretEnv: "PROMPTC_ALERT_SECRET")]
            let upstream = UpstreamClient()
            let dispatcher = AlertDispatcher(
                settings: settings, environment: Self.environment, upstream: upstream, logger: LogCapture().logger(),
                delivery: .init(attempts: 3, firstRetry: .milliseconds(10), longestRetry: .milliseconds(50), timeout: .seconds(2)))
            let alert = Alert(event: .storeDown, severity: .critical, summary: "the test's store is down", figures: ["store": "usage"])
            dispatcher.raise(alert)
            dispatcher.raise(alert)
            try await receiver.waitFor("the alert") { !$0.isEmpty }
            await dispatcher.close()
            await upstream.shutdown()
        }
        #expect(receiver.refused == 2)
        #expect(receiver.deliveries.count == 1)
        #expect(receiver.deliveries.allSatisfy(Self.signed))
    }
}
