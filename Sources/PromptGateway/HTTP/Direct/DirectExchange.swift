import EndpointModel
import HTTPTypes
import Logging
import NIOCore

/// What `DirectFrontHandler` answers itself, and how: the REST and OpenAI-compatible fronts'
/// plain answers, run on the connection's event loop through the same pipelines, recordings and
/// error answers as Hummingbird's router.
///
/// Why a second server path: Hummingbird's router, its per-request async iteration and the
/// middleware chain cost 87 µs per request and half the p99 budget at 1,000 req/s (see the
/// README's Performance section), on the requests that are nearly all of a gateway's traffic.
/// Everything else (streams, pages with CORS, the portal, admin, MCP, the operational routes,
/// errors of routing) stays with the router, which has every rule in one place.
struct DirectExchange: Sendable {
    let cores: CoreHolder
    let maxBodyBytes: Int
    /// With `cors:` configured, a request from a page (it carries `Origin`) goes to the router,
    /// where `CORSMiddleware` is.
    let corsEnabled: Bool
    let logger: Logger

    enum Kind {
        /// `POST` to an endpoint's path, not asking for a stream; its pipeline starts at the
        /// head, and reads the body only once the request is admitted.
        case prompt(ServedEndpoint)
        /// `POST /v1/chat/completions`; whether it streams is in the body, so it starts at the
        /// body's end, and a stream goes on to the router.
        case chat
    }

    /// What to do with a request, from its head: nil when the router answers it.
    func route(_ head: HTTPRequest, peer: SocketAddress?) -> (kind: Kind, recording: RequestRecording)? {
        guard head.method == .post, let target = head.path else { return nil }
        if corsEnabled, head.headerFields.value(.origin) != nil { return nil }
        let path = Self.path(of: target)
        let core = cores.current
        let kind: Kind
        if let endpoint = core.endpointsByPath[path] {
            guard !SSEFront.wantsStream(head.headerFields) else { return nil }
            kind = .prompt(endpoint)
        } else if path == ChatFront.completionsPath {
            kind = .chat
        } else {
            return nil
        }
        return (kind, RequestRecording(core: core, headers: head.headerFields, method: head.method, path: path, peer: peer))
    }

    /// The path of a request target, without its query or fragment, as the router sees it.
    static func path(of target: String) -> String {
        guard let end = target.utf8.firstIndex(where: { $0 == UInt8(ascii: "?") || $0 == UInt8(ascii: "#") }) else { return target }
        return String(target[..<end])
    }

    /// A prompt request's answer. `body` completes when the body has all come (or fails with
    /// 413, or the client gone); the pipeline waits on it only after consumer and limits.
    func answerPrompt(
        _ recording: RequestRecording, endpoint: ServedEndpoint, head: HTTPRequest, body: EventLoopFuture<ByteBuffer>, watch: ConnectionWatch?
    ) async -> LoggedAnswer {
        let headers = head.headerFields
        let limit = maxBodyBytes
        let request = PipelineRequest(
            endpoint: endpoint, requestID: recording.requestID, key: ConsumerStage.presentedKey(headers),
            noCache: RESTFront.asksNoCache(headers), eventLoop: body.eventLoop,
            readInput: {
                try RESTFront.checkJSONHeaders(headers, limit: limit)
                return try RESTFront.parseJSON(try await body.get())
            })
        return await answer(recording, watch: watch, openAIShape: false) {
            RESTFront.plainAnswer(try await recording.core.prompts.run(request, outcome: recording.outcome))
        }
    }

    /// A chat completion's answer, not streamed; `body` is the request's JSON or why there is none.
    func answerChat(_ recording: RequestRecording, head: HTTPRequest, body: Result<JSONValue, GatewayError>, watch: ConnectionWatch?) async -> LoggedAnswer {
        recording.outcome.update { $0.front = "openai" }
        let key = ConsumerStage.presentedKey(head.headerFields)
        return await answer(recording, watch: watch, openAIShape: true) {
            let chat = try ChatRequestDecoder.decode(try body.get())
            return try await ChatFront.completion(
                chat, pipeline: recording.core.chat, key: key, requestID: recording.requestID, outcome: recording.outcome)
        }
    }

    /// The request's JSON, or the 4xx that says why not, as `RESTFront.readJSON` has it.
    func json(_ head: HTTPRequest, body: Result<ByteBuffer, GatewayError>) -> Result<JSONValue, GatewayError> {
        Result { () throws(GatewayError) in
            try RESTFront.checkJSONHeaders(head.headerFields, limit: maxBodyBytes)
            return try RESTFront.parseJSON(try body.get())
        }
    }

    /// Whether a chat request asks for a stream, which the router's `ChatFront` sends.
    static func asksStream(_ json: JSONValue) -> Bool {
        if case .object(let fields) = json, case .bool(true)? = fields["stream"] { return true }
        return false
    }

    /// `produce`'s answer, or the error answer, with the headers every answer carries; its usage
    /// and metrics recorded, its log line left for after the answer is written.
    private func answer(
        _ recording: RequestRecording, watch: ConnectionWatch?, openAIShape: Bool, _ produce: () async throws -> PlainAnswer
    ) async -> LoggedAnswer {
        var answer: PlainAnswer
        var errorType: String?
        do {
            answer = try await produce()
        } catch {
            // A call cancelled because the client left is recorded as that (499, or 408 when
            // the client timeout cut it off), whatever error the cancellation surfaced as.
            let cause: any Error = if let watch, watch.isClosed { ConnectionWatchRegistry.ClientGone(timedOut: watch.timedOut) } else { error }
            var failure = recording.failure(cause, logger: logger)
            if openAIShape { failure = ChatFront.openAI(failure) }
            errorType = failure.type
            answer = failure.answer(requestID: recording.requestID)
        }
        let logLine = recording.finish(&answer.headers, status: Int(answer.status.code), errorType: errorType)
        return LoggedAnswer(answer: answer, logLine: logLine)
    }
}

/// A plain answer, and its request's log line, to write once the answer is out.
struct LoggedAnswer: Sendable {
    var answer: PlainAnswer
    var logLine: RequestLogLine?
}
