import NIOCore
import NIOHTTPTypes

/// Tells `ClientTimeoutHandler`, nearer the socket, where requests end: when a request's last
/// head and last part have arrived, and when the last part of its answer has been written.
final class RequestBoundaryHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head: context.triggerUserOutboundEvent(ClientTimeoutHandler.Event.headReceived, promise: nil)
        case .end: context.triggerUserOutboundEvent(ClientTimeoutHandler.Event.requestReceived, promise: nil)
        case .body: break
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let isEnd = if case .end = unwrapOutboundIn(data) { true } else { false }
        context.write(data, promise: promise)
        if isEnd { context.triggerUserOutboundEvent(ClientTimeoutHandler.Event.responseSent, promise: nil) }
    }
}
