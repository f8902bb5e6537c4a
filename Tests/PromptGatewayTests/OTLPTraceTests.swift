import EndpointModel
import Foundation
import Testing
@testable import PromptGateway

/// Traces (gateway-contract.md, Running many replicas, budgets and alerts): a span per request, a
/// child span per attempt, the client's `traceparent` continued and passed to providers, exported
/// over OTLP/HTTP to a receiver on loopback when `OTEL_EXPORTER_OTLP_ENDPOINT` is set.
@Suite("Traces over OTLP")
struct OTLPTraceTests {
    static let keys = ["OPENAI_API_KEY": "sk-test-openai", "BACKUP_KEY": "sk-test-backup"]
    static let chain = ["openai/gpt-4o-mini", "backup/gpt-4o-mini"]
    static let clientTrace = "0af7651916cd43dd8448eb211c80319c"
    static let clientSpan = "b7ad6b7169203331"

    static func environment(receiverPort: Int) -> [String: String] {
        keys.merging([
            "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:\(receiverPort)",
            "OTEL_EXPORTER_OTLP_PROTOCOL": "http/json",
            "OTEL_BSP_SCHEDULE_DELAY": "50",
        ]) { $1 }
    }

    /// The provider's `traceparent` names the attempt's span as its parent, in the client's trace.
    static func traceparent(of span: OTLPReceiver.ReceivedSpan) -> String {
        "00-\(span.traceID)-\(span.spanID)-01"
    }

    /// A gateway on `Self.chain` exporting to a receiver on loopback, its first model failing its
    /// first call with 500, while `body` runs.
    static func withTracedGateway(
        _ receiver: OTLPReceiver, _ fake: FakeProvider, configExtra: String = "", circuitBreaker: String = "{ failures: 3, open_for: 1s }",
        _ body: (GatewayClient) async throws -> Void
    ) async throws {
        fake.enqueue(.status(500))
        try await withRunning({ receiver.makeApplication(onPort: $0) }) { receiverPort in
            try await withFake(fake) { port in
                try await withGateway(
                    specs: [sentimentSpec(models: Self.chain)], fakePort: port, configExtra: configExtra,
                    environment: Self.environment(receiverPort: receiverPort), circuitBreaker: circuitBreaker
                ) { client, _ in try await body(client) }
            }
        }
    }

    @Test func aRequestThatFellBackIsASpanWithAChildPerAttempt() async throws {
        let receiver = OTLPReceiver()
        let fake = FakeProvider()
        try await Self.withTracedGateway(receiver, fake) { client in
            let answer = try await client.post(
                "/v1/sentiment", json: #"{"text": "I loved it"}"#,
                headers: [("content-type", "application/json"), ("traceparent", "00-\(Self.clientTrace)-\(Self.clientSpan)-01")])
            #expect(answer.status == 200)
            #expect(answer.header("x-promptc-model") == "backup/gpt-4o-mini")
            #expect(try await client.get("/nowhere/at/all").status == 404)
            try await receiver.waitFor("the requests' spans") { spans in
                spans.count { $0.traceID == Self.clientTrace } == 3 && spans.contains { $0.int("http.response.status_code") == 404 }
            }
        }
        // A path that names no endpoint is the client's text: it is an attribute, not the span's name.
        let notFound = try #require(receiver.spans.first { $0.int("http.response.status_code") == 404 })
        #expect(notFound.name == "GET" && notFound.string("url.path") == "/nowhere/at/all" && notFound.statusCode == 0)
        let spans = receiver.spans.filter { $0.traceID == Self.clientTrace }
        let request = try #require(spans.first { $0.kind == 2 })
        #expect(request.name == "POST /v1/sentiment")
        #expect(request.parentSpanID == Self.clientSpan)
        #expect(request.int("http.response.status_code") == 200)
        #expect(request.string("promptc.endpoint") == "sentiment")
        #expect(request.string("promptc.model") == "backup/gpt-4o-mini")
        #expect(request.int("promptc.attempts") == 2)
        #expect(request.int("gen_ai.usage.input_tokens") == 11)

        let attempts = spans.filter { $0.kind == 3 }.sorted { $0.startNanoseconds < $1.startNanoseconds }
        try #require(attempts.count == 2)
        #expect(attempts.allSatisfy { $0.parentSpanID == request.spanID })
        #expect(attempts.map { $0.string("promptc.model") } == ["openai/gpt-4o-mini", "backup/gpt-4o-mini"])
        #expect(attempts.map { $0.string("promptc.outcome") } == ["server_error", "ok"])
        #expect(attempts.map(\.statusCode) == [2, 0])
        #expect(attempts[0].int("gen_ai.usage.output_tokens") == nil)
        #expect(attempts[1].int("gen_ai.usage.input_tokens") == 11)
        #expect(attempts[1].int("gen_ai.usage.output_tokens") == 7)
        #expect(attempts[0].endNanoseconds <= attempts[1].startNanoseconds)
        #expect(request.startNanoseconds <= attempts[0].startNanoseconds && attempts[1].endNanoseconds <= request.endNanoseconds)

        // Each provider call carried its own attempt's context.
        #expect(fake.received.map { $0.headers["traceparent"] } == attempts.map { Self.traceparent(of: $0) })
        #expect(receiver.requests.allSatisfy { $0 == "/v1/traces application/json" })
    }

    /// The OpenAI-compatible API, streamed: the same spans, the attempt's ending with its stream;
    /// a skipped model (its circuit open) is a span too; a request without `traceparent` starts a trace.
    @Test func aStreamedChatCompletionAndASkippedModel() async throws {
        let receiver = OTLPReceiver()
        let fake = FakeProvider()
        try await Self.withTracedGateway(
            receiver, fake, configExtra: "model_groups:\n  fast: { models: [openai/gpt-4o-mini, backup/gpt-4o-mini] }",
            circuitBreaker: "{ failures: 1, open_for: 60s }"
        ) { client in
            let body = #"{"model": "fast", "stream": true, "messages": [{"role": "user", "content": "hi"}]}"#
            let first = try await client.post("/v1/chat/completions", json: body)
            #expect(first.status == 200)
            #expect(first.text.contains("[DONE]"))
            // The first model's circuit is now open: the second request skips it.
            let second = try await client.post("/v1/chat/completions", json: body)
            #expect(second.status == 200)
            try await receiver.waitFor("both requests' spans") { spans in
                spans.count { $0.kind == 2 } == 2 && spans.count == 6
            }
        }
        let requests = receiver.spans.filter { $0.kind == 2 }.sorted { $0.startNanoseconds < $1.startNanoseconds }
        try #require(requests.count == 2)
        #expect(requests[0].traceID != requests[1].traceID)
        #expect(requests.allSatisfy { $0.parentSpanID.isEmpty && $0.name == "POST /v1/chat/completions" })
        #expect(requests.map { $0.string("promptc.front") } == ["openai", "openai"])
        func children(of request: OTLPReceiver.ReceivedSpan) -> [OTLPReceiver.ReceivedSpan] {
            receiver.spans.filter { $0.parentSpanID == request.spanID }.sorted { $0.startNanoseconds < $1.startNanoseconds }
        }
        #expect(children(of: requests[0]).map { $0.string("promptc.outcome") } == ["server_error", "ok"])
        #expect(children(of: requests[0]).last?.int("gen_ai.usage.output_tokens") == 7)
        #expect(children(of: requests[1]).map { $0.string("promptc.outcome") } == ["circuit_open", "ok"])
        #expect(children(of: requests[1]).map(\.name) == ["skip openai/gpt-4o-mini", "chat backup/gpt-4o-mini"])
        // Each call, streamed, carried its own attempt's context.
        let calls = receiver.spans.filter { $0.kind == 3 }.sorted { $0.startNanoseconds < $1.startNanoseconds }
        #expect(calls.count == 3)
        #expect(fake.received.map { $0.headers["traceparent"] } == calls.map { Self.traceparent(of: $0) })
        // The stream's attempt span ends when its stream does, within the request's.
        let streamed = try #require(children(of: requests[0]).last)
        #expect(streamed.endNanoseconds <= requests[0].endNanoseconds)
    }

    @Test func withoutAnEndpointNothingIsTracedOrPassedOn() async throws {
        let fake = FakeProvider()
        try await withFake(fake) { port in
            try await withGateway(specs: [sentimentSpec(models: Self.chain)], fakePort: port, environment: Self.keys) { client, gateway in
                #expect(gateway.foundation.tracing == nil)
                let answer = try await client.post(
                    "/v1/sentiment", json: #"{"text": "I loved it"}"#,
                    headers: [("content-type", "application/json"), ("traceparent", "00-\(Self.clientTrace)-\(Self.clientSpan)-01")])
                #expect(answer.status == 200)
            }
        }
        #expect(fake.received.count == 1)
        #expect(fake.received.allSatisfy { $0.headers["traceparent"] == nil })
    }

    @Test func anExporterPromptcCannotRunIsAStartError() throws {
        let environment = ["OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4317", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"]
        #expect(throws: GatewayTracing.SetupError.self) { try GatewayTracing.fromEnvironment(environment, logger: .init(label: "test")) }
        #expect(try GatewayTracing.fromEnvironment(["OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318", "OTEL_SDK_DISABLED": "true"], logger: .init(label: "test")) == nil)
    }

    /// A trace context value that would break the provider request's head is left out.
    @Test func headerLinesKeepTheHeadWhole() {
        var lines: [UInt8] = []
        TraceHeaderLines().inject("00-\(Self.clientTrace)-\(Self.clientSpan)-01", forKey: "traceparent", into: &lines)
        TraceHeaderLines().inject("a=1\r\nx-injected: yes", forKey: "tracestate", into: &lines)
        TraceHeaderLines().inject(String(repeating: "a", count: 600), forKey: "tracestate", into: &lines)
        #expect(String(decoding: lines, as: UTF8.self) == "traceparent: 00-\(Self.clientTrace)-\(Self.clientSpan)-01\r\n")
    }
}
