import EndpointModel
import HTTPTypes
import Foundation
import Hummingbird
import NIOCore
import ServiceLifecycle
import Synchronization
@testable import PromptGateway

/// A fake model provider: a real HTTP server on loopback that speaks the OpenAI chat
/// completions, Anthropic messages and Gemini generateContent wire formats (by path), answers
/// from a script of behaviours, and records what it was sent.
final class FakeProvider: Sendable {
    enum Behaviour: Sendable {
        /// 200 whose model text is this JSON value.
        case answer(JSONValue)
        /// 200 whose model text is exactly this.
        case text(String)
        /// An error status with the provider's error body, and `Retry-After` seconds when given.
        case status(Int, retryAfter: Int? = nil)
        /// Never answers (until the gateway gives up).
        case hang
        /// Answers after a delay.
        case slow(milliseconds: Int, JSONValue)
        /// The head at once, then a space every 20 ms (JSON allows it before the value) until the
        /// answer after `milliseconds`: a write that fails says the caller closed the connection,
        /// and is counted in `cancelled`.
        case late(milliseconds: Int, JSONValue)
        /// Sends the head and the first bytes of a 200 at once, then the rest of the body after a
        /// delay: a timeout must cover the body, not just the head.
        case drip(milliseconds: Int, JSONValue)
        /// Closes the connection without an answer.
        case drop
        /// 200 with a body that is not JSON at all.
        case nonJSON
        /// The provider's refusal.
        case refusal
        /// Exactly this status, headers and body: a provider's own error shapes, redirects.
        case raw(status: Int, headers: [(String, String)], body: String)
        /// A status with a body of `bytes` bytes, streamed.
        case huge(status: Int, bytes: Int)
        /// A streamed answer whose first event waits `milliseconds` after the head.
        case slowFirstToken(milliseconds: Int, JSONValue)
        /// A streamed answer whose connection is closed after `events` of its events.
        case cutStream(events: Int, JSONValue)
        /// A streamed answer that stops sending after `events` of its events (until the caller gives up).
        case stallStream(events: Int, JSONValue)
        /// A streamed answer with the provider's error event after `events` of its events.
        case errorInStream(events: Int, JSONValue)
        /// A streamed answer that ends cleanly after `events` events, without its end marker.
        case truncatedStream(events: Int, JSONValue)
        /// The model calls tool `name` with `arguments` (plain or streamed).
        case toolCall(name: String, arguments: JSONValue)
    }

    /// The gap between a streamed answer's events, so partials can be seen growing: twice the
    /// gateway's `StreamEventPlanner.partialInterval`, so an event the gateway reads late still
    /// comes more than the interval after the one before it and is its own partial. At 60 ms
    /// (10 ms over the interval) a busy test run sometimes merged two events into one partial,
    /// and a loaded CI run merged them even at this gap: tests that count partials, or need one
    /// before a fault, pace the fake with a `StreamPacer` instead.
    static let streamGap = StreamEventPlanner.partialInterval * 2

    struct Received: Sendable {
        var path: String
        var headers: [String: String]
        var body: JSONValue
    }

    struct FakeContext: RequestContext {
        var coreContext: CoreRequestContextStorage
        let channel: any Channel
        init(source: ApplicationRequestContextSource) {
            coreContext = .init(source: source)
            channel = source.channel
        }
    }

    private let script = Mutex<[Behaviour]>([])
    /// Behaviours by the model a request names, ahead of the script.
    private let byModel = Mutex<[String: Behaviour]>([:])
    /// Behaviours by the model a request names and a text its body contains, ahead of `byModel`.
    private let byModelAndText = Mutex<[String: [(text: String, behaviour: Behaviour)]]>([:])
    private let fallback: Behaviour
    private let log = Mutex<[Received]>([])
    /// Per model: how long each call takes before the default answer, call by call, round and round.
    private let latencies = Mutex<[String: (pattern: [Int], next: Int)]>([:])
    private let cancelledCount = Mutex(0)
    /// When set, streamed answers go piece by piece as the test's reader allows, not `streamGap` apart.
    private let pacer: StreamPacer?

    init(default behaviour: Behaviour = .answer(["label": "positive", "score": 0.5]), pacer: StreamPacer? = nil) {
        fallback = behaviour
        self.pacer = pacer
    }

    /// Behaviours for the next calls, in order; then the default.
    func enqueue(_ behaviours: Behaviour...) {
        script.withLock { $0.append(contentsOf: behaviours) }
    }

    /// Every request for `model` gets `behaviour`.
    func set(_ behaviour: Behaviour, forModel model: String) {
        byModel.withLock { $0[model] = behaviour }
    }

    /// Requests for `model` whose body contains one of the texts get its behaviour: a model
    /// that answers each case of a test its own way.
    func setByText(_ behaviours: [String: Behaviour], forModel model: String) {
        byModelAndText.withLock { $0[model] = behaviours.map { (text: $0.key, behaviour: $0.value) } }
    }

    /// Calls for `model` take `pattern[0]`, `pattern[1]`, … milliseconds in turn (then again
    /// from the start), and answer as the default does: a latency that follows a distribution.
    func setLatencies(_ pattern: [Int], forModel model: String) {
        latencies.withLock { $0[model] = (pattern, 0) }
    }

    var received: [Received] { log.withLock { $0 } }
    var callCount: Int { log.withLock { $0.count } }
    /// Calls whose handler was cancelled because the caller went away.
    var cancelled: Int { cancelledCount.withLock { $0 } }

    private func next() -> Behaviour {
        script.withLock { $0.isEmpty ? fallback : $0.removeFirst() }
    }

    func makeApplication(onPort: @escaping @Sendable (Int) async -> Void) -> some ApplicationProtocol {
        let router = Router(context: FakeContext.self)
        router.post("**") { [self] request, context in
            try await self.respond(request, context: context)
        }
        return Application(
            router: router,
            configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { await onPort($0.localAddress?.port ?? 0) })
    }

    private func respond(_ request: Request, context: FakeContext) async throws -> Response {
        let body = try await request.body.collect(upTo: 1 << 22)
        let json = (try? JSONDecoder().decode(JSONValue.self, from: Data(body.readableBytesView))) ?? .null
        var headers: [String: String] = [:]
        for field in request.headers { headers[field.name.canonicalName] = field.value }
        let path = request.uri.path
        log.withLock { $0.append(Received(path: path, headers: headers, body: json)) }
        let wire = Wire(path: path)
        let model = json["model"]?.stringValue ?? path.split(separator: "/").last.map { String($0.split(separator: ":").first ?? "") } ?? ""
        let bodyText = String(decoding: body.readableBytesView, as: UTF8.self)
        let byText = byModelAndText.withLock { $0[model]?.first { bodyText.contains($0.text) }?.behaviour }
        let delay = latencies.withLock { latencies -> Int? in
            guard let (pattern, next) = latencies[model], !pattern.isEmpty else { return nil }
            latencies[model]?.next = next + 1
            return pattern[next % pattern.count]
        }
        var behaviour = byText ?? byModel.withLock({ $0[model] }) ?? next()
        if let delay, case .answer(let value) = fallback { behaviour = .late(milliseconds: delay, value) }
        // Like a model, a tool caller answers once the tool's result is in the conversation.
        let lastTurn = json["messages"]?.arrayValue?.last ?? json["contents"]?.arrayValue?.last
        let answersTool = lastTurn?["role"] == "tool"
            || lastTurn?["content"]?.arrayValue?.last?["type"] == "tool_result"
            || lastTurn?["parts"]?.arrayValue?.last?["functionResponse"] != nil
        if case .toolCall = behaviour, answersTool {
            behaviour = .text("It is 24 degrees in Rome.")
        }
        if json["stream"] == .bool(true) || path.contains(":streamGenerateContent") {
            return try await stream(behaviour, wire: wire, context: context)
        }
        return try await respond(behaviour, wire: wire, context: context)
    }

    private func respond(_ behaviour: Behaviour, wire: Wire, context: FakeContext) async throws -> Response {
        switch behaviour {
        case .answer(let value): return wire.success(text: CanonicalJSON.render(value, pretty: false))
        case .text(let text): return wire.success(text: text)
        case .status(let code, let retryAfter):
            var fields: HTTPFields = [.contentType: "application/json"]
            if let retryAfter { fields[.retryAfter] = String(retryAfter) }
            let error: JSONValue = ["error": ["message": .string("fake failure \(code)"), "type": "fake_error"]]
            return Response(status: .init(code: code), headers: fields, body: .init(byteBuffer: ByteBuffer(string: CanonicalJSON.render(error, pretty: false))))
        case .hang:
            do {
                try await Task.sleep(for: .seconds(30))
            } catch {
                cancelledCount.withLock { $0 += 1 }
                throw error
            }
            return wire.success(text: "{}")
        case .slow(let milliseconds, let value):
            do {
                try await Task.sleep(for: .milliseconds(milliseconds))
            } catch {
                cancelledCount.withLock { $0 += 1 }
                throw error
            }
            return wire.success(text: CanonicalJSON.render(value, pretty: false))
        case .late(let milliseconds, let value):
            let body = CanonicalJSON.render(wire.envelope(text: CanonicalJSON.render(value, pretty: false)), pretty: false)
            let end = ContinuousClock.now + .milliseconds(milliseconds)
            return Response(status: .ok, headers: [.contentType: "application/json"], body: ResponseBody { [self] writer in
                do {
                    while ContinuousClock.now < end {
                        try await Task.sleep(for: min(.milliseconds(20), end - ContinuousClock.now))
                        try await writer.write(ByteBuffer(string: " "))
                    }
                    try await writer.write(ByteBuffer(string: body))
                } catch {
                    cancelledCount.withLock { $0 += 1 }
                    throw error
                }
                try await writer.finish(nil)
            })
        case .drip(let milliseconds, let value):
            var whole = ByteBuffer(string: CanonicalJSON.render(wire.envelope(text: CanonicalJSON.render(value, pretty: false)), pretty: false))
            let head = whole.readSlice(length: 8) ?? ByteBuffer()
            let rest = whole
            return Response(
                status: .ok, headers: [.contentType: "application/json"],
                body: ResponseBody { writer in
                    try await writer.write(head)
                    try await Task.sleep(for: .milliseconds(milliseconds))
                    try await writer.write(rest)
                    try await writer.finish(nil)
                })
        case .drop:
            try await context.channel.close()
            return Response(status: .ok)
        case .nonJSON:
            return Response(status: .ok, headers: [.contentType: "text/html"], body: .init(byteBuffer: ByteBuffer(string: "<html>upstream trouble</html>")))
        case .refusal:
            return wire.refusal()
        case .raw(let status, let headers, let body):
            var fields: HTTPFields = [:]
            for (name, value) in headers { if let name = HTTPField.Name(name) { fields.append(HTTPField(name: name, value: value)) } }
            return Response(status: .init(code: status), headers: fields, body: .init(byteBuffer: ByteBuffer(string: body)))
        case .toolCall(let name, let arguments):
            return Response(
                status: .ok, headers: [.contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(string: CanonicalJSON.render(wire.toolCallEnvelope(name: name, arguments: arguments), pretty: false))))
        case .slowFirstToken(let milliseconds, let value):
            try await Task.sleep(for: .milliseconds(milliseconds))
            return wire.success(text: CanonicalJSON.render(value, pretty: false))
        case .cutStream(_, let value), .stallStream(_, let value), .errorInStream(_, let value), .truncatedStream(_, let value):
            return wire.success(text: CanonicalJSON.render(value, pretty: false))
        case .huge(let status, let bytes):
            let chunk = ByteBuffer(repeating: UInt8(ascii: "x"), count: 64 << 10)
            return Response(
                status: .init(code: status), headers: [.contentType: "application/json"],
                body: ResponseBody { writer in
                    var left = bytes
                    while left > 0 {
                        try await writer.write(chunk.getSlice(at: 0, length: min(left, chunk.readableBytes)) ?? chunk)
                        left -= chunk.readableBytes
                    }
                    try await writer.finish(nil)
                })
        }
    }

    /// A streamed answer in the request's wire format, its events `streamGap` apart or paced, with the
    /// behaviour's fault. Behaviours that are not about streams answer as they would plainly.
    private func stream(_ behaviour: Behaviour, wire: Wire, context: FakeContext) async throws -> Response {
        let value: JSONValue
        var firstDelay: Duration = .zero
        var stopAfter: Int?
        enum Ending { case clean, cut, stall, error, truncated }
        var ending = Ending.clean
        switch behaviour {
        case .answer(let answer): value = answer
        case .text(let text): return streamed(wire.streamEvents(text: text), wire: wire, firstDelay: .zero, stopAfter: nil, ending: { _ in })
        case .toolCall(let name, let arguments):
            return streamed(wire.toolCallEvents(name: name, arguments: arguments), wire: wire, firstDelay: .zero, stopAfter: nil, ending: { _ in })
        case .slowFirstToken(let milliseconds, let answer):
            value = answer
            firstDelay = .milliseconds(milliseconds)
        case .cutStream(let events, let answer): (value, stopAfter, ending) = (answer, events, .cut)
        case .stallStream(let events, let answer): (value, stopAfter, ending) = (answer, events, .stall)
        case .errorInStream(let events, let answer): (value, stopAfter, ending) = (answer, events, .error)
        case .truncatedStream(let events, let answer): (value, stopAfter, ending) = (answer, events, .truncated)
        default:
            return try await respond(behaviour, wire: wire, context: context)
        }
        let text = CanonicalJSON.render(value, pretty: false)
        let events = wire.streamEvents(text: text)
        let end = ending
        let paced = pacer.map { ($0, wire.eventsMakingPartials(text: text)) }
        return streamed(events, wire: wire, firstDelay: firstDelay, stopAfter: stopAfter, paced: paced) { [self] writer in
            // A fault comes after the last event's partial, as the events do, so the gateway has
            // sent that partial before it sees the fault even when a busy run delays its reads.
            // Without the wait, all of a cut stream's events and its end sometimes arrived together,
            // no partial went out, and the fallback was (rightly) a silent one. (Paced, the wait
            // for the last partial was the event's own.)
            if end != .clean, pacer == nil { try await Task.sleep(for: Self.streamGap) }
            switch end {
            case .clean, .truncated: break
            case .cut: try await context.channel.close()
            case .stall:
                // Comments only, so nothing the model writes; a write that fails says the caller hung up.
                do {
                    for _ in 0..<300 {
                        try await Task.sleep(for: .milliseconds(100))
                        try await writer.write(ByteBuffer(string: ": still here\n\n"))
                    }
                } catch {
                    cancelledCount.withLock { $0 += 1 }
                    throw error
                }
            case .error: try await writer.write(ByteBuffer(string: wire.streamError()))
            }
        }
    }

    /// `paced`: the pacer and the events after which the gateway has a new partial to send; after
    /// each of those the stream waits for the pacer, and the rest go at once. Without it, events
    /// go `streamGap` apart.
    private func streamed(
        _ events: [String], wire: Wire, firstDelay: Duration, stopAfter: Int?, paced: (StreamPacer, Set<Int>)? = nil,
        ending: @escaping @Sendable (inout any ResponseBodyWriter) async throws -> Void
    ) -> Response {
        let sent = stopAfter.map { Array(events.prefix($0)) } ?? events
        return Response(
            status: .ok, headers: [.contentType: "text/event-stream"],
            body: ResponseBody { writer in
                if firstDelay > .zero { try await Task.sleep(for: firstDelay) }
                for (index, event) in sent.enumerated() {
                    if paced == nil, index > 0 { try await Task.sleep(for: Self.streamGap) }
                    try await writer.write(ByteBuffer(string: event))
                    if let (pacer, partials) = paced, partials.contains(index) { await pacer.next() }
                }
                try await ending(&writer)
                try await writer.finish(nil)
            })
    }

    /// The three wire formats, told apart by path.
    struct Wire {
        enum Format { case openai, anthropic, gemini }
        let format: Format

        init(path: String) {
            format = path.hasSuffix("/messages") ? .anthropic : path.contains("enerateContent") ? .gemini : .openai
        }

        func success(text: String) -> Response {
            Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: CanonicalJSON.render(envelope(text: text), pretty: false))))
        }

        /// A 2xx answer's body whose model text is `text`.
        func envelope(text: String) -> JSONValue {
            let body: JSONValue
            switch format {
            case .openai:
                body = [
                    "id": "chatcmpl-fake", "object": "chat.completion",
                    "choices": [["index": 0, "message": ["role": "assistant", "content": .string(text), "refusal": .null], "finish_reason": "stop"]],
                    "usage": ["prompt_tokens": 11, "completion_tokens": 7, "total_tokens": 18],
                ]
            case .anthropic:
                // The forced tool's input is the answer; text that is not JSON comes as a text block.
                let input = try? JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
                let block: JSONValue = input.flatMap { $0.objectValue != nil ? $0 : nil }.map {
                    ["type": "tool_use", "id": "toolu_fake", "name": "respond", "input": $0]
                } ?? ["type": "text", "text": .string(text)]
                body = [
                    "id": "msg_fake", "type": "message", "role": "assistant", "content": [block],
                    "stop_reason": block["type"] == "tool_use" ? "tool_use" : "end_turn", "usage": ["input_tokens": 13, "output_tokens": 5],
                ]
            case .gemini:
                body = [
                    "candidates": [["content": ["role": "model", "parts": [["text": .string(text)]]], "finishReason": "STOP"]],
                    "usageMetadata": ["promptTokenCount": 17, "candidatesTokenCount": 3, "totalTokenCount": 20],
                ]
            }
            return body
        }

        /// One SSE event of `value`, named when `event` is given.
        private func data(_ value: JSONValue, event: String? = nil) -> String {
            (event.map { "event: \($0)\n" } ?? "") + "data: " + CanonicalJSON.render(value, pretty: false) + "\n\n"
        }

        /// One OpenAI chat completion chunk.
        private func chunk(_ delta: JSONValue, finish: JSONValue = .null) -> String {
            data(["id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": 0, "model": "fake",
                  "choices": [["index": 0, "delta": delta, "finish_reason": finish]]])
        }

        /// Which of `streamEvents(text:)` give the gateway a new partial: pieces of the text
        /// (after OpenAI's role chunk, Anthropic's message and block starts) whose answer so far
        /// parses to a snapshot other than the one before, as `StreamEventPlanner` decides when
        /// its interval has passed.
        func eventsMakingPartials(text: String) -> Set<Int> {
            let first = switch format { case .openai: 1; case .anthropic: 2; case .gemini: 0 }
            var soFar = ""
            var last: JSONValue?
            var indices: Set<Int> = []
            for (offset, piece) in text.pieces(4).enumerated() {
                soFar += piece
                guard let snapshot = PartialJSON.snapshot(soFar), snapshot != last else { continue }
                last = snapshot
                indices.insert(first + offset)
            }
            return indices
        }

        /// A streamed answer whose model text is `text`, as the provider's SSE events, in about
        /// four pieces.
        func streamEvents(text: String) -> [String] {
            let pieces = text.pieces(4)
            switch format {
            case .openai:
                return [chunk(["role": "assistant", "content": ""])] + pieces.map { chunk(["content": .string($0)]) }
                    + [chunk([:], finish: "stop"),
                       data(["id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": 0, "model": "fake", "choices": [],
                             "usage": ["prompt_tokens": 11, "completion_tokens": 7, "total_tokens": 18]]),
                       "data: [DONE]\n\n"]
            case .anthropic:
                let isJSON = (try? JSONParser.parse(text))?.objectValue != nil
                let block: JSONValue = isJSON ? ["type": "tool_use", "id": "toolu_fake", "name": "respond", "input": [:]] : ["type": "text", "text": ""]
                return [
                    data(["type": "message_start", "message": ["id": "msg_fake", "type": "message", "role": "assistant", "content": [],
                                                                 "usage": ["input_tokens": 13, "output_tokens": 1]]], event: "message_start"),
                    data(["type": "content_block_start", "index": 0, "content_block": block], event: "content_block_start"),
                ] + pieces.map { piece in
                    let delta: JSONValue = isJSON ? ["type": "input_json_delta", "partial_json": .string(piece)] : ["type": "text_delta", "text": .string(piece)]
                    return data(["type": "content_block_delta", "index": 0, "delta": delta], event: "content_block_delta")
                } + [
                    data(["type": "content_block_stop", "index": 0], event: "content_block_stop"),
                    data(["type": "message_delta", "delta": ["stop_reason": isJSON ? "tool_use" : "end_turn"], "usage": ["output_tokens": 5]], event: "message_delta"),
                    data(["type": "message_stop"], event: "message_stop"),
                ]
            case .gemini:
                return pieces.enumerated().map { index, piece in
                    var candidate: JSONValue = ["content": ["role": "model", "parts": [["text": .string(piece)]]]]
                    var chunk: JSONValue = ["usageMetadata": ["promptTokenCount": 17, "candidatesTokenCount": .integer(index + 1)]]
                    if index == pieces.count - 1 {
                        candidate = ["content": ["role": "model", "parts": [["text": .string(piece)]]], "finishReason": "STOP"]
                        chunk = ["usageMetadata": ["promptTokenCount": 17, "candidatesTokenCount": 3, "totalTokenCount": 20]]
                    }
                    guard case .object(var members) = chunk else { return "" }
                    members["candidates"] = [candidate]
                    return data(.object(members))
                }
            }
        }

        /// A plain answer that calls tool `name`.
        func toolCallEnvelope(name: String, arguments: JSONValue) -> JSONValue {
            switch format {
            case .openai:
                return [
                    "id": "chatcmpl-fake", "object": "chat.completion",
                    "choices": [["index": 0, "message": ["role": "assistant", "content": .null, "tool_calls": [[
                        "id": "call_fake", "type": "function",
                        "function": ["name": .string(name), "arguments": .string(CanonicalJSON.render(arguments, pretty: false))],
                    ]]], "finish_reason": "tool_calls"]],
                    "usage": ["prompt_tokens": 11, "completion_tokens": 7, "total_tokens": 18],
                ]
            case .anthropic:
                return [
                    "id": "msg_fake", "type": "message", "role": "assistant",
                    "content": [["type": "text", "text": "Let me look."], ["type": "tool_use", "id": "toolu_fake", "name": .string(name), "input": arguments]],
                    "stop_reason": "tool_use", "usage": ["input_tokens": 13, "output_tokens": 5],
                ]
            case .gemini:
                return [
                    "candidates": [["content": ["role": "model", "parts": [["functionCall": ["name": .string(name), "args": arguments]]]], "finishReason": "STOP"]],
                    "usageMetadata": ["promptTokenCount": 17, "candidatesTokenCount": 3, "totalTokenCount": 20],
                ]
            }
        }

        /// A streamed answer that calls tool `name`, its arguments in pieces where the format streams them.
        func toolCallEvents(name: String, arguments: JSONValue) -> [String] {
            let text = CanonicalJSON.render(arguments, pretty: false)
            let middle = text.index(text.startIndex, offsetBy: text.count / 2)
            let pieces = [String(text[..<middle]), String(text[middle...])]
            switch format {
            case .openai:
                return [
                    chunk(["role": "assistant", "content": .null, "tool_calls": [["index": 0, "id": "call_fake", "type": "function", "function": ["name": .string(name), "arguments": ""]]]]),
                ] + pieces.map { chunk(["tool_calls": [["index": 0, "function": ["arguments": .string($0)]]]]) } + [
                    chunk([:], finish: "tool_calls"),
                    data(["id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": 0, "model": "fake", "choices": [],
                          "usage": ["prompt_tokens": 11, "completion_tokens": 7, "total_tokens": 18]]),
                    "data: [DONE]\n\n",
                ]
            case .anthropic:
                return [
                    data(["type": "message_start", "message": ["id": "msg_fake", "type": "message", "role": "assistant", "content": [],
                                                                 "usage": ["input_tokens": 13, "output_tokens": 1]]], event: "message_start"),
                    data(["type": "content_block_start", "index": 0, "content_block": ["type": "tool_use", "id": "toolu_fake", "name": .string(name), "input": [:]]],
                         event: "content_block_start"),
                ] + pieces.map {
                    data(["type": "content_block_delta", "index": 0, "delta": ["type": "input_json_delta", "partial_json": .string($0)]], event: "content_block_delta")
                } + [
                    data(["type": "content_block_stop", "index": 0], event: "content_block_stop"),
                    data(["type": "message_delta", "delta": ["stop_reason": "tool_use"], "usage": ["output_tokens": 5]], event: "message_delta"),
                    data(["type": "message_stop"], event: "message_stop"),
                ]
            case .gemini:
                return [data(toolCallEnvelope(name: name, arguments: arguments))]
            }
        }

        /// The provider's error event inside a 200 stream.
        func streamError() -> String {
            switch format {
            case .openai:
                "data: {\"error\":{\"message\":\"The server had an error while processing your request.\",\"type\":\"server_error\"}}\n\n"
            case .anthropic:
                "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}\n\n"
            case .gemini:
                "data: {\"error\":{\"code\":503,\"message\":\"The model is overloaded.\",\"status\":\"UNAVAILABLE\"}}\n\n"
            }
        }

        func refusal() -> Response {
            let body: JSONValue
            switch format {
            case .openai:
                body = ["choices": [["index": 0, "message": ["role": "assistant", "content": .null, "refusal": "I can't help with that."], "finish_reason": "stop"]]]
            case .anthropic:
                body = ["type": "message", "content": [], "stop_reason": "refusal", "usage": ["input_tokens": 1, "output_tokens": 0]]
            case .gemini:
                body = ["candidates": [["content": ["parts": []], "finishReason": "SAFETY"]]]
            }
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: CanonicalJSON.render(body, pretty: false))))
        }
    }
}
