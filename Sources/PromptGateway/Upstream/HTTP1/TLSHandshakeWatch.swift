import NIOCore
import NIOTLS
import NIOSSL

/// Holds a new TLS connection back from the pool until its handshake is done, so a certificate
/// the gateway does not trust fails the connect (`.connect`), not an exchange, and nothing is
/// written before it is. A handshake that is not done by `deadline` closes the connection.
final class TLSHandshakeWatch: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny

    let done: EventLoopPromise<Void>
    private let deadline: NIODeadline
    private var timer: Scheduled<Void>?
    private var finished = false

    init(done: EventLoopPromise<Void>, deadline: NIODeadline) {
        self.done = done
        self.deadline = deadline
    }

    func handlerAdded(context: ChannelHandlerContext) {
        timer = context.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) { [self] in
            finish(.failure(UpstreamHTTPError.connectTimeout))
            context.close(promise: nil)
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case TLSUserEvent.handshakeCompleted = event {
            finish(.success(()))
            context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        finish(.failure(UpstreamHTTPError.connect("TLS handshake failed: \(error)")))
        context.fireErrorCaught(error)
    }

    func channelInactive(context: ChannelHandlerContext) {
        finish(.failure(UpstreamHTTPError.connect("the connection closed during the TLS handshake")))
        context.fireChannelInactive()
    }

    private func finish(_ result: Result<Void, any Error>) {
        guard !finished else { return }
        finished = true
        timer?.cancel()
        done.completeWith(result)
    }
}
