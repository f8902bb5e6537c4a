import EndpointModel
import Foundation
import Testing
@testable import PromptGateway

/// The contract's fallback chain, row by row, against a fake provider on loopback.
@Suite("Fallback chain", .serialized)
struct FallbackTests {
    static let keys = ["OPENAI_API_KEY": "sk-test-openai", "BACKUP_KEY": "sk-test-backup"]
    let request = #"{"text": "I loved it"}"#
    let chain = ["openai/gpt-4o-mini", "backup/gpt-4o-mini"]

    struct Fault: Sendable, CustomTestStringConvertible {
        var behaviour: FakeProvider.Behaviour
        var failureClass: FailureClass
        var testDescription: String { failureClass.rawValue + " from \(behaviour)" }
    }

    static let faults: [Fault] = [
        Fault(behaviour: .status(500), failureClass: .serverError),
        Fault(behaviour: .status(503), failureClass: .serverError),
        Fault(behaviour: .status(429), failureClass: .rateLimit),
        Fault(behaviour: .status(401), failureClass: .auth),
        Fault(behaviour: .status(400), failureClass: .badRequest),
        Fault(behaviour: .hang, failureClass: .timeout),
        Fault(behaviour: .slow(milliseconds: 1500, ["label": "positive", "score": 0.5]), failureClass: .timeout),
        Fault(behaviour: .drip(milliseconds: 1500, ["label": "positive", "score": 0.5]), failureClass: .timeout),
        Fault(behaviour: .drop, failureClass: .connection),
        Fault(behaviour: .nonJSON, failureClass: .invalidOutput),
        Fault(behaviour: .text("I think it is positive"), failureClass: .invalidOutput),
        Fault(behaviour: .answer(["label": "delighted", "score": 0.5]), failureClass: .invalidOutput),
        Fault(behaviour: .refusal, failureClass: .refusal),
    ]

    /// Each fault on the first model is classified and moves on to the next model.
    @Test(arguments: faults)
    func faultMovesToTheNextModel(fault: Fault) async throws {
        let fake = FakeProvider()
        fake.enqueue(fault.behaviour)
        let logs = LogCapture()
        try await withFake(fake) { port in
            try await withGateway(
                // A short timeout only where the fault is a timeout: on a busy machine a quick
                // 500 could otherwise take 700 ms and be counted as one.
                specs: [sentimentSpec(models: chain, fallback: "fallback: { timeout: \(fault.failureClass == .timeout ? "700ms" : "10s") }")],
                fakePort: port, environment: Self.keys, logs: logs
            ) { client, _ in
                let answer = try await client.post("/v1/sentiment", json: request)
                #expect(answer.status == 200)
                #expect(answer.header("x-promptc-model") == "backup/gpt-4o-mini")
                #expect(answer.header("x-promptc-attempts") == "2")
                #expect(logs.hasLine(with: "model=openai/gpt-4o-mini", "outcome=\(fault.failureClass.rawValue)"))
                #expect(fake.received.map(\.path) == ["/v1/chat/completions", "/backup/v1/chat/completions"])
            }
        }
    }

    @Test func everyModelFailingIs502WithTheAttempts() async throws {
        let fake = FakeProvider(default: .status(500))
        try await withFake(fake) { port in
            try await withGateway(specs: [sentimentSpec(models: chain)], fakePort: port, environment: Self.keys) { client, _ in
                let answer = try await client.post("/v1/sentiment", json: request, headers: [("content-type", "application/json"), ("x-request-id", "req-42")])
                #expect(answer.status == 502)
                #expect(answer.error?["type"] == "upstream_failed")
                #expect(answer.error?["request_id"] == "req-42")
                #expect(answer.header("x-request-id") == "req-42")
                #expect(answer.attempts.compactMap { $0["model"]?.stringValue } == chain)
                #expect(answer.outcomes == ["server_error", "server_error"])
                #expect(answer.attempts.allSatisfy { $0["ms"]?.intValue != nil })
            }
        }
    }

    @Test func aClassNotInFallbackOnEndsTheRequest() async throws {
        let fake = FakeProvider()
        fake.enqueue(.status(400))
        try await withFake(fake) { port in
            try await withGateway(
                specs: [sentimentSpec(models: chain, fallback: "fallback: { on: [server_error, timeout] }")], fakePort: port,
                environment: Self.keys
            ) { client, _ in
                let answer = try await client.post("/v1/sentiment", json: request)
                #expect(answer.status == 502)
                #expect(answer.outcomes == ["bad_request"])
                #expect(fake.callCount == 1)
            }
        }
    }

    @Test func retriesStayOnTheSameModel() async throws {
        let fake = FakeProvider()
        fake.enqueue(.status(500), .status(503))
        try await withFake(fake) { port in
            try await withGateway(specs: [sentimentSpec(models: chain, fallback: "fallback: { retries: 2 }")], fakePort: port, environment: Self.keys) { client, _ in
                let answer = try await client.post("/v1/sentiment", json: request)
                #expect(answer.status == 200)
                #expect(answer.header("x-promptc-model") == "openai/gpt-4o-mini")
                #expect(answer.header("x-promptc-attempts") == "3")
            }
        }
    }

    @Test func retryAfterIsHonouredWhenItFitsTheDeadline() async throws {
        let fake = FakeProvider()
        fake.enqueue(.status(429, retryAfter: 1))
        try await withFake(fake) { port in
            try await withGateway(specs: [sentimentSpec(models: chain, fallback: "fallback: { retries: 1, deadline: 10s }")], fakePort: port, environment: Self.keys) { client, _ in
                let started = ContinuousClock.now
                let answer = try await client.post("/v1/sentiment", json: request)
                #expect(answer.status == 200)
                #expect(answer.header("x-promptc-model") == "openai/gpt-4o-mini")
                #expect(ContinuousClock.now - started >= .milliseconds(950))
            }
        }
    }

    @Test func retryAfterBeyondTheDeadlineLeavesTheModel() async throws {
        let fake = FakeProvider()
        fake.enqueue(.status(429, retryAfter: 60))
        try await withFake(fake) { port in
            try await withGateway(specs: [sentimentSpec(models: chain, fallback: "fallback: { retries: 3, deadline: 5s }")], fakePort: port, environment: Self.keys) { client, _ in
                let started = ContinuousClock.now
                let answer = try await client.post("/v1/sentiment", json: request)
                #expect(answer.status == 200)
                #expect(answer.header("x-promptc-model") == "backup/gpt-4o-mini")
                #expect(answer.header("x-promptc-attempts") == "2")
                #expect(ContinuousClock.now - started < .seconds(4))
            }
        }
    }

    @Test func theDeadlineEndsTheRequestWith504() async throws {
        let fake = FakeProvider(default: .hang)
        try await withFake(fake) { port in
            try await withGateway(specs: [sentimentSpec(models: chain, fallback: "fallback: { timeout: 5s, deadline: 400ms }")], fakePort: port, environment: Self.keys) { client, _ in
                let answer = try await client.post("/v1/sentiment", json: request)
                #expect(answer.status == 504)
                #expect(answer.error?["type"] == "deadline_exceeded")
                #expect(answer.outcomes == ["timeout"])
            }
        }
    }

    @Test func refusedConnectionFallsBackQuickly() async throws {
        let fake = FakeProvider()
        let logs = LogCapture()
        try await withFake(fake) { port in
            try await withGateway(
                specs: [sentimentSpec(models: ["dead/gpt-4o-mini", "openai/gpt-4o-mini"])], fakePort: port,
                configExtra: "upstream: { connect_timeout: 20s }", environment: Self.keys, logs: logs
            ) { client, _ in
                let started = ContinuousClock.now
                let answer = try await client.post("/v1/sentiment", json: request)
                #expect(answer.status == 200)
                #expect(answer.header("x-promptc-model") == "openai/gpt-4o-mini")
                #expect(logs.hasLine(with: "model=dead/gpt-4o-mini", "outcome=connection"))
                // The connect timeout here is 20 s; a refused connection fails at once instead.
                #expect(ContinuousClock.now - started < .seconds(5))
            }
        }
    }

    @Test func unconfiguredModelsAreSkipped() async throws {
        let fake = FakeProvider()
        try await withFake(fake) { port in
            try await withGateway(specs: [sentimentSpec(models: chain)], fakePort: port, environment: ["BACKUP_KEY": "sk-test-backup"]) { client, _ in
                let answer = try await client.post("/v1/sentiment", json: request)
                #expect(answer.status == 200)
                #expect(answer.header("x-promptc-model") == "backup/gpt-4o-mini")
                #expect(answer.header("x-promptc-attempts") == "1")
            }
            try await withGateway(specs: [sentimentSpec(models: chain)], fakePort: port, environment: [:]) { client, _ in
                let answer = try await client.post("/v1/sentiment", json: request)
                #expect(answer.status == 503)
                #expect(answer.error?["type"] == "no_healthy_upstream")
                #expect(answer.outcomes == ["unconfigured", "unconfigured"])
            }
        }
        #expect(fake.callCount == 1)
    }

    /// The harness configures `circuit_breaker: { failures: 3, open_for: 1s }`.
    @Test func circuitBreakerOpensAndHalfOpens() async throws {
        let fake = FakeProvider()
        fake.enqueue(.status(500), .status(500), .status(500))
        try await withFake(fake) { port in
            try await withGateway(specs: [sentimentSpec(models: ["openai/gpt-4o-mini"])], fakePort: port, environment: Self.keys) { client, gateway in
                for _ in 0..<3 {
                    #expect(try await client.post("/v1/sentiment", json: request).status == 502)
                }
                let skipped = try await client.post("/v1/sentiment", json: request)
                #expect(skipped.status == 503)
                #expect(skipped.outcomes == ["circuit_open"])
                #expect(skipped.header("retry-after") == "1")
                #expect(fake.callCount == 3)
                let metrics = try await client.get("/metrics").text
                #expect(metrics.contains(#"promptc_circuit_open{model="openai/gpt-4o-mini"} 1"#))

                try await Task.sleep(for: .milliseconds(1100))
                let trial = try await client.post("/v1/sentiment", json: request)
                #expect(trial.status == 200)
                #expect(gateway.runtime.breakers.state(of: "openai/gpt-4o-mini") == .closed(consecutiveFailures: 0))
                #expect(fake.callCount == 4)
            }
        }
    }

    @Test func clientDisconnectCancelsTheAttempt() async throws {
        let fake = FakeProvider(default: .hang)
        let logs = LogCapture()
        try await withFake(fake) { port in
            try await withGateway(specs: [sentimentSpec(models: chain, fallback: "fallback: { timeout: 20s, deadline: 25s }")], fakePort: port, environment: Self.keys, logs: logs) { client, _ in
                let started = ContinuousClock.now
                await #expect(throws: (any Error).self) {
                    try await client.post("/v1/sentiment", json: request, timeout: .milliseconds(300))
                }
                // The gateway notices, cancels the upstream call, and logs the request as 499,
                // long before the 20 s attempt timeout.
                while !logs.text.contains("status=499"), ContinuousClock.now - started < .seconds(10) {
                    try await Task.sleep(for: .milliseconds(50))
                }
                #expect(logs.text.contains("status=499"))
                #expect(ContinuousClock.now - started < .seconds(10))
                #expect(fake.callCount == 1)
            }
        }
    }
}
