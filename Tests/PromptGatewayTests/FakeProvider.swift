import EndpointModel
import HTTPTypes
import Foundation
import Hummingbird
import NIOCore
import ServiceLifecycle
import Synchronization

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
    }

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
    private let fallback: Behaviour
    private let log = Mutex<[Received]>([])
    private let cancelledCount = Mutex(0)

    init(default behaviour: Behaviour = .answer(["label": "positive", "score": 0.5])) {
        fallback = behaviour
    }

    /// Behaviours for the next calls, in order; then the default.
    func enqueue(_ behaviours: Behaviour...) {
        script.withLock { $0.append(contentsOf: behaviours) }
    }

    /// Every request for `model` gets `behaviour`.
    func set(_ behaviour: Behaviour, forModel model: String) {
        byModel.withLock { $0[model] = behaviour }
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
        switch byModel.withLock({ $0[model] }) ?? next() {
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
            try await Task.sleep(for: .milliseconds(milliseconds))
            return wire.success(text: CanonicalJSON.render(value, pretty: false))
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

    /// The three wire formats, told apart by path.
    struct Wire {
        enum Format { case openai, anthropic, gemini }
        let format: Format

        init(path: String) {
            format = path.hasSuffix("/messages") ? .anthropic : path.contains(":generateContent") ? .gemini : .openai
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
                    "stop_reason": "tool_use", "usage": ["input_tokens": 13, "output_tokens": 5],
                ]
            case .gemini:
                body = [
                    "candidates": [["content": ["role": "model", "parts": [["text": .string(text)]]], "finishReason": "STOP"]],
                    "usageMetadata": ["promptTokenCount": 17, "candidatesTokenCount": 3, "totalTokenCount": 20],
                ]
            }
            return body
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
