import HTTPTypes
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import NIOHTTPTypesHTTP1

/// Each connection's HTTP/1.1 pipeline: Hummingbird's `HTTP1Channel`, with two handlers its
/// configuration cannot place.
///
/// From the socket inwards: `ClientTimeoutHandler` (raw bytes, before the decoder), NIO's
/// HTTP/1.1 codec and the HTTP-types codec, the connection's `ConnectionWatch` and
/// `RequestBoundaryHandler`, Hummingbird's `HTTPConnectionStateHandler` (idle timeout, and a
/// graceful stop that waits for the answer in progress), then `DirectFrontHandler`, which
/// answers plain prompt requests and chat completions itself, and last the async channel that
/// Hummingbird's router reads every other request from.
struct GatewayHTTP1Channel: ServerChildChannel, HTTPChannelHandler {
    typealias Value = NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>

    let responder: HTTPChannelHandler.Responder
    let clientTimeout: TimeAmount
    let idleTimeout: Duration
    let watches: ConnectionWatchRegistry
    let direct: DirectExchange
    let logger: Logger

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            let pipeline = channel.pipeline.syncOperations
            try pipeline.addHandler(ClientTimeoutHandler(timeout: clientTimeout, logger: self.logger))
            try pipeline.configureHTTPServerPipeline(
                withPipeliningAssistance: false,  // DirectFrontHandler and NIOAsyncChannel keep answers in order
                withErrorHandling: false,  // Hummingbird answers a parse error
                withOutboundHeaderValidation: false,  // HTTPFields are validated already
                withEncoderConfiguration: .init(),
                withDecoderLimitConfiguration: Self.decoderLimits)
            try pipeline.addHandler(HTTP1ToHTTPServerCodec(secure: false))
            try pipeline.addHandler(watches.makeHandler())
            try pipeline.addHandler(RequestBoundaryHandler())
            try pipeline.addHandler(HTTPConnectionStateHandler(idleTimeout: idleTimeout, logger: logger))
            try pipeline.addHandler(DirectFrontHandler(exchange: direct, watch: watches.watch(for: channel)))
            return try NIOAsyncChannel(wrappingChannelSynchronously: channel, configuration: .init(isOutboundHalfClosureEnabled: true))
        }
    }

    /// Hummingbird's defaults: NIO's own allow 65,534 header fields.
    static let decoderLimits = {
        var limits = NIOHTTPDecoderLimitConfiguration()
        limits.maxHeaderFieldCount = 1000
        return limits
    }()

    func handle(value: Value, logger: Logger) async {
        await handleHTTP(asyncChannel: value, logger: logger)
    }
}
