import HTTPTypes
import NIOCore

/// A request `DirectFrontHandler` is answering: its head, its body as it comes (bounded), and
/// where its answer stands. Used on the connection's event loop only.
final class DirectRequest {
    let kind: DirectExchange.Kind
    let recording: RequestRecording
    let head: HTTPRequest
    /// `Connection: close`: the connection ends with this answer.
    let closesConnection: Bool
    private let limit: Int
    private var body: ByteBuffer?
    private var tooLarge = false
    /// For a prompt request, whose pipeline starts before the body is in: the body, once whole.
    private let bodyPromise: EventLoopPromise<ByteBuffer>?
    private var bodyDelivered = false
    var requestEnded = false
    var responseEnded = false
    var task: Task<Void, Never>?

    init(kind: DirectExchange.Kind, recording: RequestRecording, head: HTTPRequest, limit: Int, eventLoop: any EventLoop) {
        self.kind = kind
        self.recording = recording
        self.head = head
        self.limit = limit
        closesConnection = head.headerFields.value(.connection).map { $0.lowercased().contains("close") } ?? false
        if case .prompt = kind { bodyPromise = eventLoop.makePromise() } else { bodyPromise = nil }
    }

    var bodyFuture: EventLoopFuture<ByteBuffer>? { bodyPromise?.futureResult }

    /// The body, once `end` arrived: 413 when it outgrew the limit.
    var wholeBody: Result<ByteBuffer, GatewayError> {
        tooLarge ? .failure(.payloadTooLarge(limit: limit)) : .success(body ?? ByteBuffer())
    }

    func append(_ bytes: ByteBuffer) {
        // After the answer, or over the limit, the rest of the body is only read past.
        guard !tooLarge, !responseEnded else { return }
        guard (body?.readableBytes ?? 0) + bytes.readableBytes <= limit else {
            // 413 at once, not once the rest has come.
            tooLarge = true
            body = nil
            deliverBody(wholeBody.mapError { $0 })
            return
        }
        if body == nil { body = bytes } else { body?.writeImmutableBuffer(bytes) }
    }

    /// The body has all come.
    func end() {
        requestEnded = true
        deliverBody(wholeBody.mapError { $0 })
    }

    /// The client left: a pipeline waiting for the body learns it, and the task stops.
    func abandon(timedOut: Bool) {
        deliverBody(.failure(ConnectionWatchRegistry.ClientGone(timedOut: timedOut)))
        task?.cancel()
    }

    private func deliverBody(_ result: Result<ByteBuffer, any Error>) {
        guard let bodyPromise, !bodyDelivered else { return }
        bodyDelivered = true
        bodyPromise.completeWith(result)
    }
}
