import NIOCore
import NIOHTTP1
import NIOSSL

/// What one exchange wants from its response.
enum UpstreamDelivery: Sendable {
    /// The whole response, its body bounded by its status (`UpstreamBounds`).
    case collect(EventLoopPromise<UpstreamResponse>)
    /// A 2xx head as soon as it comes, then the body piece by piece into `body`. Any other status
    /// is read like `collect` and fails `head` with `.errorStatus`.
    case stream(head: EventLoopPromise<HTTPResponseHead>, body: AsyncThrowingStream<ByteBuffer, any Error>.Continuation)
}

/// How much of a response is read: a 2xx body up to `answerBytes` (more fails the exchange as
/// `.oversized`), an error body up to `errorBytes` (the provider's message is near its start;
/// the rest is not read, and the connection is closed).
struct UpstreamBounds: Sendable {
    var answerBytes: Int
    var errorBytes: Int

    func bytes(for status: UInt) -> Int { (200..<300).contains(status) ? answerBytes : errorBytes }
}

/// One keep-alive connection's side of its exchanges, one at a time, all on the connection's
/// event loop: writes a request the client framed, reads the response the decoder parsed, keeps
/// the bounds and the deadline, and says whether the connection is fit for another exchange.
final class UpstreamConnectionHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart

    /// Written ahead of each request so that the response decoder pairs the response with a POST
    /// (it must know a HEAD from the rest); `UpstreamRequestWriter` drops it.
    private static let postHead = HTTPRequestHead(version: .http1_1, method: .POST, uri: "/")

    private struct Exchange {
        let token: ObjectIdentifier
        let delivery: UpstreamDelivery
        let bounds: UpstreamBounds
        var deadline: Scheduled<Void>?
        var head: HTTPResponseHead?
        /// Whether the body goes to a stream (a 2xx of a streamed exchange).
        var streaming = false
        /// Whether the whole request went out: a provider may answer before reading it all, and a
        /// connection with part of a request still to write is not reused.
        var written = false
        var body: [UInt8] = []
        var received = 0
    }

    private var context: ChannelHandlerContext?
    private var exchange: Exchange?
    /// Hands the connection back to its pool when an exchange ends with it reusable.
    var whenReusable: (() -> Void)?
    private var isOpen = true
    /// Exchanges that ended with a whole response: a connection with one behind it is a reused one.
    private(set) var completedExchanges = 0

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    /// Writes `request` (head and body framed in one buffer) in one write and starts reading its
    /// response. A connection that is closed or busy fails the delivery at once (`.stale` when it
    /// served before), so the client can try a fresh one.
    func start(
        _ request: ByteBuffer, delivery: UpstreamDelivery, bounds: UpstreamBounds, deadline: NIODeadline, token: ObjectIdentifier
    ) {
        guard let context, isOpen, context.channel.isActive, exchange == nil else {
            Self.fail(delivery, streaming: false, with: completedExchanges > 0 ? .stale : .connectionClosed)
            return
        }
        var started = Exchange(token: token, delivery: delivery, bounds: bounds)
        started.deadline = context.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) { [self] in
            if exchange?.token == token { fail(.timeout) }
        }
        exchange = started
        let written = context.eventLoop.makePromise(of: Void.self)
        written.futureResult.assumeIsolated().whenSuccess { [self] in
            if exchange?.token == token { exchange?.written = true }
        }
        context.write(wrapOutboundOut(.head(Self.postHead)), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.body(.byteBuffer(request))), promise: written)
    }

    /// Ends exchange `token`, if it is still running, and closes the connection.
    func cancel(_ token: ObjectIdentifier) {
        if exchange?.token == token { fail(.cancelled) }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard exchange != nil else { return }
        switch unwrapInboundIn(data) {
        case .head(let head): received(head)
        case .body(let buffer): received(buffer)
        case .end: complete(truncated: false)
        }
    }

    private func received(_ head: HTTPResponseHead) {
        guard var current = exchange else { return }
        let status = UInt(head.status.code)
        current.head = head
        let bound = current.bounds.bytes(for: status)
        let announced = head.headers.first(name: "content-length").flatMap(Int.init)
        let success = (200..<300).contains(status)
        if let announced, announced > bound {
            exchange = current
            // Classified by its status alone: a 2xx that big is not parsed, an error is not read.
            if success { fail(.oversized(status: status, headers: head.headers)) } else { complete(truncated: true) }
            return
        }
        if success, case .stream(let headPromise, _) = current.delivery {
            current.streaming = true
            exchange = current
            headPromise.succeed(head)
            return
        }
        if let announced, announced > 0 { current.body.reserveCapacity(announced) }
        exchange = current
    }

    private func received(_ buffer: ByteBuffer) {
        guard let current = exchange, let head = current.head else { return }
        let status = UInt(head.status.code)
        let bound = current.bounds.bytes(for: status)
        let total = current.received + buffer.readableBytes
        if current.streaming {
            guard total <= bound else { return fail(.oversized(status: status, headers: head.headers)) }
            exchange?.received = total
            if case .stream(_, let body) = current.delivery { body.yield(buffer) }
            return
        }
        guard total <= bound else {
            guard (200..<300).contains(status) else {
                exchange?.body.append(contentsOf: buffer.readableBytesView.prefix(bound - current.received))
                return complete(truncated: true)
            }
            return fail(.oversized(status: status, headers: head.headers))
        }
        exchange?.received = total
        exchange?.body.append(contentsOf: buffer.readableBytesView)
    }

    /// The response is in (or, `truncated`, as much of an error response as is read): the
    /// connection goes back to its pool when the provider keeps it alive, then the answer out.
    private func complete(truncated: Bool) {
        guard let done = exchange, let head = done.head else { return }
        exchange = nil
        done.deadline?.cancel()
        completedExchanges += 1
        if isOpen, !truncated, done.written, head.isKeepAlive, context?.channel.isActive == true {
            whenReusable?()
        } else {
            close()
        }
        let response = UpstreamResponse(status: UInt(head.status.code), headers: head.headers, body: done.body)
        switch done.delivery {
        case .collect(let promise): promise.succeed(response)
        case .stream(let headPromise, let body):
            if done.streaming {
                body.finish()
            } else {
                headPromise.fail(UpstreamHTTPError.errorStatus(response))
                body.finish()
            }
        }
    }

    private func fail(_ error: UpstreamHTTPError) {
        guard let failed = exchange else { return }
        exchange = nil
        failed.deadline?.cancel()
        close()
        Self.fail(failed.delivery, streaming: failed.streaming, with: error)
    }

    private static func fail(_ delivery: UpstreamDelivery, streaming: Bool, with error: UpstreamHTTPError) {
        switch delivery {
        case .collect(let promise): promise.fail(error)
        case .stream(let head, let body):
            if !streaming { head.fail(error) }
            body.finish(throwing: error)
        }
    }

    /// Nothing came back on a connection that had served an exchange before: the provider had
    /// closed it while it sat in the pool.
    private var lostBeforeAnswer: UpstreamHTTPError {
        exchange?.head == nil && completedExchanges > 0 ? .stale : .connectionClosed
    }

    private func close() {
        guard isOpen else { return }
        isOpen = false
        context?.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        let error = lostBeforeAnswer
        isOpen = false
        fail(error)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if exchange != nil {
            switch error {
            case is HTTPParserError: fail(.invalidResponse("\(error)"))
            // The handshake runs as the request is written: a certificate not trusted, a name
            // that does not match, no common protocol. Nothing was sent in the clear.
            case is NIOSSLError, is BoringSSLError: fail(.connect("TLS handshake failed: \(error)"))
            default: fail(lostBeforeAnswer)
            }
        }
        close()
    }
}

/// Writes the bytes of a request the client framed whole, and drops the `.head` that only
/// tells the response decoder a request is on its way: one write per request, no encoder.
final class UpstreamRequestWriter: ChannelOutboundHandler, RemovableChannelHandler {
    typealias OutboundIn = HTTPClientRequestPart
    typealias OutboundOut = ByteBuffer

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .body(.byteBuffer(let bytes)): context.write(wrapOutboundOut(bytes), promise: promise)
        case .head, .end: promise?.succeed(())
        case .body(.fileRegion): promise?.fail(ChannelError.operationUnsupported)
        }
    }
}
