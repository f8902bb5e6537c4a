import EndpointModel
import Foundation
import Logging
import NIOCore

/// Cuts off a client that sends a request too slowly (gateway-contract.md, Limits, timeouts and
/// failure accounting): from the first byte of a request, its head and body must arrive within
/// `client_timeout`, else the connection gets a 408 `request_timeout` and is closed. A slowloris
/// client that sends a byte a minute holds neither a connection nor a task for longer.
///
/// It sits first in the pipeline and sees raw bytes, because a head still arriving is invisible
/// to the handlers after the HTTP decoder. `RequestBoundaryHandler`, after the decoder, tells it
/// when a request has fully arrived and when its answer has been written.
final class ClientTimeoutHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = NIOAny
    typealias OutboundOut = NIOAny

    /// Sent towards the socket by `RequestBoundaryHandler`.
    enum Event: Sendable {
        case headReceived
        case requestReceived
        case responseSent
    }

    /// Sent up the pipeline when a request whose head had arrived is cut off: the request is in
    /// the pipeline by then, and its record says 408 (`ConnectionWatch`).
    struct TimedOut: Sendable {}

    private enum State {
        /// Between requests; the idle timeout (Hummingbird's) applies.
        case idle
        /// A request is arriving; it must be complete by `deadline`.
        case receiving(deadline: NIODeadline, headSeen: Bool)
        /// The request is in; bytes now belong to a pipelined next request.
        case processing(nextStarted: Bool)
    }

    private let timeout: TimeAmount
    private let logger: Logger
    private var state = State.idle
    /// One timer per connection at most, not one per request: when it fires early for a
    /// request that came later, it is set again for that request's deadline.
    private var timer: Scheduled<Void>?

    init(timeout: TimeAmount, logger: Logger) {
        self.timeout = timeout
        self.logger = logger
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch state {
        case .idle:
            startReceiving(context)
        case .processing:
            state = .processing(nextStarted: true)
        case .receiving:
            break
        }
        context.fireChannelRead(data)
    }

    func triggerUserOutboundEvent(context: ChannelHandlerContext, event: Any, promise: EventLoopPromise<Void>?) {
        guard let event = event as? Event else {
            context.triggerUserOutboundEvent(event, promise: promise)
            return
        }
        switch (event, state) {
        case (.headReceived, .receiving(let deadline, _)):
            state = .receiving(deadline: deadline, headSeen: true)
        case (.requestReceived, .receiving), (.requestReceived, .idle):
            state = .processing(nextStarted: false)
        case (.responseSent, .processing(let nextStarted)):
            state = .idle
            if nextStarted { startReceiving(context) }
        default:
            break
        }
        promise?.succeed()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
        state = .idle
    }

    private func startReceiving(_ context: ChannelHandlerContext) {
        let deadline = NIODeadline.now() + timeout
        state = .receiving(deadline: deadline, headSeen: false)
        if timer == nil { schedule(context, at: deadline) }
    }

    private func schedule(_ context: ChannelHandlerContext, at deadline: NIODeadline) {
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        timer = context.eventLoop.scheduleTask(deadline: deadline) {
            let (handler, context) = loopBound.value
            handler.timer = nil
            handler.timerFired(context)
        }
    }

    private func timerFired(_ context: ChannelHandlerContext) {
        guard case .receiving(let deadline, _) = state else { return }
        if deadline > .now() {
            schedule(context, at: deadline)
            return
        }
        timedOut(context)
    }

    private func timedOut(_ context: ChannelHandlerContext) {
        guard case .receiving(_, let headSeen) = state else { return }
        state = .idle
        let requestID = RequestID.make()
        let error = GatewayError(
            status: .requestTimeout, type: "request_timeout",
            message: "the request's head and body did not arrive within \(timeout.nanoseconds / 1_000_000) ms")
        let body = Array(CanonicalJSON.render(error.body(requestID: requestID), pretty: false).utf8)
        var bytes = context.channel.allocator.buffer(capacity: body.count + 160)
        bytes.writeString(
            "HTTP/1.1 408 Request Timeout\r\ncontent-type: application/json\r\nconnection: close\r\nx-request-id: \(requestID)\r\ncontent-length: \(body.count)\r\n\r\n")
        bytes.writeBytes(body)
        if headSeen {
            // The request is in the pipeline, which records it.
            context.fireUserInboundEventTriggered(TimedOut())
        } else {
            logger.info("request", metadata: [
                "request_id": .string(requestID), "status": "408", "error": "request_timeout",
                "latency_ms": .stringConvertible(timeout.nanoseconds / 1_000_000),
            ])
        }
        context.writeAndFlush(NIOAny(bytes)).assumeIsolated().whenComplete { _ in context.close(promise: nil) }
    }
}
