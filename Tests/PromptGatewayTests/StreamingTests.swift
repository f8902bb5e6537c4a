import AsyncHTTPClient
import EndpointModel
import Foundation
import NIOCore
import Testing
@testable import PromptGateway

/// A streamed answer as a client reads it: its status, its events, and its ping comments.
struct StreamAnswer {
    var status: Int
    var contentType: String?
    var events: [ServerSentEvent]
    var pings: Int
    var text: String

    var names: [String] { events.map { $0.event ?? "message" } }
    func data(_ index: Int) -> JSONValue? { try? JSONParser.parse(events[index].data) }
    var partials: [JSONValue] { events.filter { $0.event == "partial" }.compactMap { try? JSONParser.parse($0.data) } }
    var last: JSONValue? { events.last.flatMap { try? JSONParser.parse($0.data) } }
}

extension GatewayClient {
    /// Posts `json` asking for an event stream and reads the answer as it comes. With a
    /// `pacer`, each `partial` read lets the fake provider send its next piece once the
    /// gateway's partial interval has passed since (the wait is a lower bound, not a race).
    func stream(_ path: String, json: String, headers: [(String, String)] = [], pacer: StreamPacer? = nil) async throws -> StreamAnswer {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)")
        request.method = .POST
        for (name, value) in [("content-type", "application/json"), ("accept", "text/event-stream")] + headers {
            request.headers.add(name: name, value: value)
        }
        request.body = .bytes(ByteBuffer(string: json))
        let response = try await Self.client.execute(request, timeout: .seconds(30))
        var parser = ServerSentEventParser()
        var events: [ServerSentEvent] = []
        var bytes: [UInt8] = []
        for try await chunk in response.body {
            bytes += chunk.readableBytesView
            let read = try parser.feed(Array(chunk.readableBytesView))
            events += read
            guard let pacer else { continue }
            for _ in read.filter({ $0.event == "partial" }) {
                try await Task.sleep(for: StreamEventPlanner.partialInterval)
                pacer.release()
            }
        }
        if let last = parser.finish() { events.append(last) }
        let text = String(decoding: bytes, as: UTF8.self)
        let pings = text.components(separatedBy: "\n").filter { $0 == ": ping" }.count
        return StreamAnswer(
            status: Int(response.status.code), contentType: response.headers.first(name: "content-type"), events: events, pings: pings, text: text)
    }
}

/// Streaming prompt endpoints (gateway-contract.md, Streaming): every row of the event table,
/// and fallback after the first byte in each wire format, against fake providers that stream.
@Suite("Streaming", .serialized)
struct StreamingTests {
    static let answer: JSONValue = ["label": "positive", "score": 0.5]
    static let keys = ["OPENAI_API_KEY": "sk-test-openai", "ANTHROPIC_API_KEY": "sk-ant-test", "GEMINI_API_KEY": "gm-test", "BACKUP_KEY": "sk-test-backup"]
    let request = #"{"text": "I loved it"}"#

    /// Each wire format streams: partials grow to the answer, then one result with the model,
    /// the attempts and the provider's token counts; the request asked the provider to stream.
    @Test(arguments: [
        ("openai/gpt-4o-mini", 11, 7), ("anthropic/claude-3-5-haiku-latest", 13, 5), ("gemini/gemini-2.0-flash", 17, 3),
    ])
    func eachWireFormatStreams(model: String, inputTokens: Int, outputTokens: Int) async throws {
        let pacer = StreamPacer()
        let fake = FakeProvider(default: .answer(Self.answer), pacer: pacer)
        try await withFake(fake) { port in
            try await withGateway(specs: [sentimentSpec(models: [model])], fakePort: port, environment: Self.keys) { client, _ in
                let answer = try await client.stream("/v1/sentiment", json: request, pacer: pacer)
                #expect(answer.status == 200)
                #expect(answer.contentType == "text/event-stream")
                #expect(answer.names.last == "result")
                #expect(answer.names.dropLast().allSatisfy { $0 == "partial" })
                // The fake streams the answer in four pieces, each after the interval: four partials.
                #expect(answer.partials.count == 4, "partials should grow: \(answer.text)")
                // Each partial is the answer so far: its members are the answer's, a string perhaps cut short.
                for partial in answer.partials {
                    for (key, value) in partial.objectValue ?? [:] {
                        let whole = Self.answer[key]
                        #expect(value == whole || (value.stringValue.map { whole?.stringValue?.hasPrefix($0) ?? false } ?? false), "\(partial)")
                    }
                }
                // Each partial holds at least what the one before it held.
                for (earlier, later) in zip(answer.partials, answer.partials.dropFirst()) {
                    #expect((earlier.objectValue?.keys.count ?? 0) <= (later.objectValue?.keys.count ?? 0))
                }
                let result = try #require(answer.last)
                #expect(result["output"] == Self.answer)
                #expect(result["model"] == .string(model))
                #expect(result["attempts"] == 1)
                #expect(result["usage"] == ["input_tokens": .integer(inputTokens), "output_tokens": .integer(outputTokens)])
                let sent = try #require(fake.received.first)
                switch model.split(separator: "/").first {
                case "openai":
                    #expect(sent.body["stream"] == true)
                    #expect(sent.body["stream_options"]?["include_usage"] == true)
                case "anthropic":
                    #expect(sent.body["stream"] == true)
                default:
                    #expect(sent.path.hasSuffix(":streamGenerateContent"))
                }
            }
        }
    }

    struct MidStreamFault: Sendable, CustomTestStringConvertible {
        var model: String
        var behaviour: FakeProvider.Behaviour
        var outcome: FailureClass
        var testDescription: String { "\(model): \(outcome.rawValue) from \(behaviour)" }
    }

    static let midStreamFaults: [MidStreamFault] = ["openai/gpt-4o-mini", "anthropic/claude-3-5-haiku-latest", "gemini/gemini-2.0-flash"].flatMap { model in
        // Anthropic's stream begins with two events that carry no text.
        let some = model.hasPrefix("anthropic") ? 4 : model.hasPrefix("openai") ? 3 : 2
        return [
            MidStreamFault(model: model, behaviour: .cutStream(events: some, answer), outcome: .connection),
            MidStreamFault(model: model, behaviour: .truncatedStream(events: some, answer), outcome: .connection),
            MidStreamFault(model: model, behaviour: .stallStream(events: some, answer), outcome: .timeout),
            MidStreamFault(model: model, behaviour: .errorInStream(events: some, answer), outcome: .serverError),
            MidStreamFault(model: model, behaviour: .answer(["label": "delighted", "score": 0.5]), outcome: .invalidOutput),
        ]
    }

    /// A model that fails after it began to answer is followed by a `fallback` event and the
    /// next model, whose partials start over; the stream ends with one valid result.
    @Test(arguments: midStreamFaults)
    func failureAfterTheFirstByteFallsBack(fault: MidStreamFault) async throws {
        let pacer = StreamPacer()
        let fake = FakeProvider(default: .answer(["label": "negative", "score": -0.5]), pacer: pacer)
        let provider = String(fault.model.split(separator: "/")[1])
        fake.set(fault.behaviour, forModel: provider)
        try await withFake(fake) { port in
            try await withGateway(
                specs: [sentimentSpec(models: [fault.model, "backup/gpt-4o"], fallback: "fallback: { timeout: 600ms }")],
                fakePort: port, environment: Self.keys
            ) { client, _ in
                let answer = try await client.stream("/v1/sentiment", json: request, pacer: pacer)
                #expect(answer.status == 200)
                let fallbacks = answer.events.indices.filter { answer.events[$0].event == "fallback" }
                #expect(fallbacks.count == 1, "\(answer.text)")
                let index = try #require(fallbacks.first)
                #expect(answer.data(index) == [
                    "from": .string(fault.model), "to": "backup/gpt-4o", "outcome": .string(fault.outcome.rawValue),
                ])
                #expect(answer.names[..<index].contains("partial"), "the first model had begun: \(answer.text)")
                #expect(answer.names.filter { $0 == "result" || $0 == "error" } == ["result"])
                #expect(answer.names.last == "result")
                #expect(answer.last?["output"] == ["label": "negative", "score": -0.5])
                #expect(answer.last?["model"] == "backup/gpt-4o")
                #expect(answer.last?["attempts"] == 2)
                // The partials after the fallback are the next model's alone.
                #expect(answer.events[(index + 1)...].filter { $0.event == "partial" }.allSatisfy { !$0.data.contains("positive") })
            }
        }
    }

    /// `first_token_timeout` bounds the wait for the first token, apart from the timeout; a
    /// failure before the first byte falls back as a plain request does, with no fallback event.
    @Test func firstTokenTimeoutFallsBackBeforeTheFirstByte() async throws {
        let fake = FakeProvider(default: .answer(["label": "negative", "score": -0.5]))
        fake.set(.slowFirstToken(milliseconds: 1500, Self.answer), forModel: "gpt-4o-mini")
        let logs = LogCapture()
        try await withFake(fake) { port in
            try await withGateway(
                specs: [sentimentSpec(models: ["openai/gpt-4o-mini", "backup/gpt-4o"], fallback: "fallback: { timeout: 5s, first_token_timeout: 300ms }")],
                fakePort: port, environment: Self.keys, logs: logs
            ) { client, _ in
                let started = ContinuousClock.now
                let answer = try await client.stream("/v1/sentiment", json: request)
                #expect(ContinuousClock.now - started < .milliseconds(1400), "the slow first token was waited for")
                #expect(answer.status == 200)
                #expect(!answer.names.contains("fallback"))
                #expect(answer.last?["model"] == "backup/gpt-4o")
                #expect(logs.hasLine(with: "model=openai/gpt-4o-mini", "outcome=timeout", "no first token within 300 ms"))
            }
        }
    }

    /// Every model failing before the first byte is the plain error answer: status and JSON.
    @Test func failureBeforeTheFirstByteKeepsItsStatus() async throws {
        let fake = FakeProvider(default: .status(500))
        try await withFake(fake) { port in
            try await withGateway(specs: [sentimentSpec(models: ["openai/gpt-4o-mini", "backup/gpt-4o-mini"])], fakePort: port, environment: Self.keys) { client, _ in
                let answer = try await client.post(
                    "/v1/sentiment", json: request, headers: [("content-type", "application/json"), ("accept", "text/event-stream")])
                #expect(answer.status == 502)
                #expect(answer.header("content-type") == "application/json")
                #expect(answer.error?["type"] == "upstream_failed")
                let invalid = try await client.stream("/v1/sentiment", json: #"{"text": ""}"#)
                #expect(invalid.status == 400)
            }
        }
    }

    /// Every model failing after the first byte ends the stream with one `error` event: the
    /// error object with its attempts and request id. The request is recorded with that status.
    @Test func exhaustedChainEndsWithAnErrorEvent() async throws {
        let pacer = StreamPacer()
        let fake = FakeProvider(pacer: pacer)
        fake.set(.cutStream(events: 3, Self.answer), forModel: "gpt-4o-mini")
        fake.set(.errorInStream(events: 3, Self.answer), forModel: "gpt-4o")
        let logs = LogCapture()
        try await withFake(fake) { port in
            try await withGateway(
                specs: [sentimentSpec(models: ["openai/gpt-4o-mini", "backup/gpt-4o"])], fakePort: port, environment: Self.keys, logs: logs
            ) { client, _ in
                let answer = try await client.stream("/v1/sentiment", json: request, headers: [("x-request-id", "stream-err")], pacer: pacer)
                #expect(answer.status == 200)
                #expect(answer.names.filter { $0 == "result" || $0 == "error" } == ["error"])
                #expect(answer.names.last == "error")
                let error = try #require(answer.last)
                #expect(error["type"] == "upstream_failed")
                #expect(error["request_id"] == "stream-err")
                #expect(error["attempts"]?.arrayValue?.compactMap { $0["outcome"]?.stringValue } == ["connection", "server_error"])
                #expect(answer.names.filter { $0 == "fallback" }.count == 1)
            }
        }
        #expect(logs.hasLine(with: "request_id=stream-err", "status=502", "error=upstream_failed", "front=sse"))
    }

    /// A comment line goes out while nothing else does, so proxies keep the stream open.
    @Test func pingsWhileTheModelIsQuiet() async throws {
        let fake = FakeProvider()
        fake.set(.stallStream(events: 3, Self.answer), forModel: "gpt-4o-mini")
        try await withFake(fake) { port in
            try await withGateway(
                specs: [sentimentSpec(models: ["openai/gpt-4o-mini", "backup/gpt-4o"], fallback: "fallback: { timeout: 1s }")],
                fakePort: port, environment: Self.keys, streamPingInterval: .milliseconds(200)
            ) { client, _ in
                let answer = try await client.stream("/v1/sentiment", json: request)
                #expect(answer.pings >= 2, "\(answer.text)")
                #expect(answer.names.last == "result")
            }
        }
    }

    /// A client that goes away mid-stream cancels the upstream call, and the request is recorded
    /// once, as 499.
    @Test func clientGoingAwayCancelsTheUpstreamCall() async throws {
        let fake = FakeProvider()
        fake.set(.stallStream(events: 3, Self.answer), forModel: "gpt-4o-mini")
        let logs = LogCapture()
        try await withFake(fake) { port in
            try await withGateway(specs: [sentimentSpec(models: ["openai/gpt-4o-mini"])], fakePort: port, environment: Self.keys, logs: logs) { client, _ in
                var request = HTTPClientRequest(url: "http://127.0.0.1:\(client.port)/v1/sentiment")
                request.method = .POST
                request.headers.add(name: "content-type", value: "application/json")
                request.headers.add(name: "accept", value: "text/event-stream")
                request.headers.add(name: "x-request-id", value: "gone-mid-stream")
                request.body = .bytes(ByteBuffer(string: self.request))
                let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
                #expect(response.status.code == 200)
                var received = ""
                for try await chunk in response.body {
                    received += String(buffer: chunk)
                    if received.contains("event: partial") { break }  // leaving the loop cancels the request
                }
                try await waitUntil("the request is recorded as 499") { logs.hasLine(with: "request_id=gone-mid-stream", "status=499") }
                try await waitUntil("the upstream call is cancelled") { fake.cancelled == 1 }
            }
        }
    }
}

/// Waits for `condition` to hold, checking every 20 ms, for at most `limit`.
func waitUntil(_ what: String, within limit: Duration = .seconds(5), _ condition: () -> Bool) async throws {
    let end = ContinuousClock.now + limit
    while !condition() {
        guard ContinuousClock.now < end else { throw HarnessError("\(what): not within \(limit)") }
        try await Task.sleep(for: .milliseconds(20))
    }
}
