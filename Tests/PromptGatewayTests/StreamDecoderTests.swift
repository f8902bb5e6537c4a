import EndpointModel
import Testing
@testable import PromptGateway

/// The pieces of streaming that are pure: the event-stream parser, each provider's decoder,
/// and the planner that turns a chain's progress into events, on a test clock.
@Suite("Stream decoding")
struct StreamDecoderTests {
    @Test func eventStreamParserTakesChunksCutAnywhere() throws {
        let text = "event: a\r\ndata: {\"x\":\r\ndata: 1}\r\n\r\n: comment\n\ndata: two\rid: 7\r\rdata: [DONE]\n\n"
        for cut in 0...text.utf8.count {
            var parser = ServerSentEventParser()
            let bytes = Array(text.utf8)
            var events = try parser.feed(bytes[..<cut])
            events += try parser.feed(bytes[cut...])
            #expect(events == [
                ServerSentEvent(event: "a", data: "{\"x\":\n1}"), ServerSentEvent(event: nil, data: "two"), ServerSentEvent(event: nil, data: "[DONE]"),
            ], "cut at \(cut)")
        }
        var unfinished = ServerSentEventParser()
        #expect(try unfinished.feed(Array("data: last".utf8)).isEmpty)
        #expect(unfinished.finish() == ServerSentEvent(event: nil, data: "last"))
    }

    @Test func eventStreamParserBoundsAnEvent() {
        var parser = ServerSentEventParser(maximumEventBytes: 64)
        #expect(throws: ServerSentEventParser.Oversized.self) {
            _ = try parser.feed(Array(("data: " + String(repeating: "x", count: 100)).utf8))
        }
    }

    @Test func openAIChunks() throws {
        var decoder = OpenAIStreamDecoder()
        #expect(try decoder.decode(.init(data: #"{"choices":[{"index":0,"delta":{"role":"assistant","content":""}}]}"#)) == [])
        #expect(try decoder.decode(.init(data: #"{"choices":[{"index":0,"delta":{"content":"{\"a\""}}]}"#)) == [.content(#"{"a""#)])
        #expect(try decoder.decode(.init(data: #"{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"f","arguments":""}}]}}]}"#))
            == [.toolCall(index: 0, id: "call_1", name: "f", arguments: "")])
        #expect(try decoder.decode(.init(data: #"{"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}"#)) == [.finish(reason: "stop")])
        #expect(try decoder.decode(.init(data: #"{"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":4}}"#)) == [.usage(TokenUsage(input: 3, output: 4))])
        #expect(!decoder.isComplete)
        #expect(try decoder.decode(.init(data: "[DONE]")) == [])
        #expect(decoder.isComplete)
        var failing = OpenAIStreamDecoder()
        #expect(throws: AttemptFailure.self) { try failing.decode(.init(data: #"{"error":{"type":"server_error","message":"boom"}}"#)) }
        #expect(throws: AttemptFailure.self) { try failing.decode(.init(data: "not json")) }
    }

    @Test func anthropicEvents() throws {
        var decoder = AnthropicStreamDecoder()
        #expect(try decoder.decode(.init(event: "message_start", data: #"{"type":"message_start","message":{"usage":{"input_tokens":9,"output_tokens":1}}}"#))
            == [.usage(TokenUsage(input: 9))])
        #expect(try decoder.decode(.init(event: "content_block_start", data: #"{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}"#)) == [])
        #expect(try decoder.decode(.init(event: "content_block_start", data: #"{"type":"content_block_start","index":1,"content_block":{"type":"tool_use","id":"toolu_1","name":"respond","input":{}}}"#))
            == [.toolCall(index: 0, id: "toolu_1", name: "respond", arguments: "")])
        #expect(try decoder.decode(.init(event: "content_block_delta", data: #"{"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"{\"a\":"}}"#))
            == [.toolCall(index: 0, id: nil, name: nil, arguments: #"{"a":"#)])
        #expect(try decoder.decode(.init(event: "message_delta", data: #"{"type":"message_delta","delta":{"stop_reason":"tool_use"},"usage":{"output_tokens":6}}"#))
            == [.usage(TokenUsage(input: 9, output: 6)), .finish(reason: "tool_calls")])
        #expect(try decoder.decode(.init(event: "ping", data: #"{"type":"ping"}"#)) == [])
        #expect(!decoder.isComplete)
        _ = try decoder.decode(.init(event: "message_stop", data: #"{"type":"message_stop"}"#))
        #expect(decoder.isComplete)
        var overloaded = AnthropicStreamDecoder()
        do {
            _ = try overloaded.decode(.init(event: "error", data: #"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#))
            Issue.record("an error event must fail the attempt")
        } catch {
            #expect(error.failureClass == .serverError)
        }
        var limited = AnthropicStreamDecoder()
        do {
            _ = try limited.decode(.init(event: "error", data: #"{"type":"error","error":{"type":"rate_limit_error","message":"slow down"}}"#))
        } catch {
            #expect(error.failureClass == .rateLimit)
        }
    }

    @Test func geminiResponses() throws {
        var decoder = GeminiStreamDecoder()
        #expect(try decoder.decode(.init(data: #"{"candidates":[{"content":{"role":"model","parts":[{"text":"{\"a\":"}]}}]}"#)) == [.content(#"{"a":"#)])
        #expect(!decoder.isComplete)
        #expect(try decoder.decode(.init(data: #"{"candidates":[{"content":{"parts":[{"text":"1}"}]},"finishReason":"STOP"}],"usageMetadata":{"promptTokenCount":5,"candidatesTokenCount":2}}"#))
            == [.content("1}"), .usage(TokenUsage(input: 5, output: 2)), .finish(reason: "stop")])
        #expect(decoder.isComplete)
        var blocked = GeminiStreamDecoder()
        do {
            _ = try blocked.decode(.init(data: #"{"candidates":[{"content":{"parts":[]},"finishReason":"SAFETY"}]}"#))
            Issue.record("a blocked answer must fail the attempt")
        } catch {
            #expect(error.failureClass == .refusal)
        }
    }

    /// The planner: partials at most every 50 ms, a fallback event only once the client has seen
    /// something, and the one result that ends the stream.
    @Test func plannerThrottlesPartialsAndAnnouncesFallbacks() {
        let clock = TestClock()
        var planner = StreamEventPlanner()
        #expect(planner.receive(.began(model: "a/one"), now: clock.now).isEmpty)
        // A failure before anything went out is not announced: the client saw nothing.
        #expect(planner.receive(.failed(model: "a/one", outcome: "timeout"), now: clock.now).isEmpty)
        #expect(planner.receive(.began(model: "b/two"), now: clock.now).isEmpty)
        #expect(!planner.started)
        #expect(planner.receive(.delta(#"{"label": "pos"#), now: clock.now).map(\.name) == ["partial"])
        clock.advance(by: .milliseconds(20))
        #expect(planner.receive(.delta("iti"), now: clock.now).isEmpty, "within 50 ms of the last partial")
        clock.advance(by: .milliseconds(40))
        #expect(planner.receive(.delta("ve\""), now: clock.now).map(\.data) == [#"{"label":"positive"}"#])
        #expect(planner.receive(.failed(model: "b/two", outcome: "connection"), now: clock.now).isEmpty)
        #expect(planner.receive(.began(model: "c/three"), now: clock.now)
            == [StreamEvent(name: "fallback", data: #"{"from":"b/two","outcome":"connection","to":"c/three"}"#)])
        // The next model's first partial goes out at once, whatever the time since the last.
        #expect(planner.receive(.delta(#"{"label": "negative"}"#), now: clock.now).map(\.data) == [#"{"label":"negative"}"#])
        let result = planner.result(output: #"{"label":"negative"}"#, model: "c/three", attempts: 3, usage: TokenUsage(input: 1, output: 2))
        #expect(result.wireText == "event: result\ndata: {\"attempts\":3,\"model\":\"c/three\",\"output\":{\"label\":\"negative\"},\"usage\":{\"input_tokens\":1,\"output_tokens\":2}}\n\n")
    }
}
