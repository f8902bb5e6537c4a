// The server-side floors for `Benchmarks/run`: the least an HTTP/1.1 server on SwiftNIO can do
// per request, on the same event loops promptc uses, in two forms:
//
//   nio          NIO's own HTTP/1.1 pipeline and one handler that answers every request with a
//                fixed JSON body, keep-alive (the default);
//   hummingbird  a Hummingbird 2 application with one route answering the same body and no
//                middleware at all.
//
// Next to promptc's `GET /healthz`, the first shows what Hummingbird and promptc's middleware
// cost on top of NIO, and the second how that splits between the two.
//
// Usage: promptc-server-floor PORT [nio|hummingbird]
import Hummingbird
import NIOCore
import NIOHTTP1
import NIOPosix

final class FixedAnswer: ChannelInboundHandler, Sendable {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    static let body = #"{"label":"positive","score":0.9}"#
    static let head: HTTPResponseHead = {
        var headers = HTTPHeaders()
        headers.add(name: "content-type", value: "application/json")
        headers.add(name: "content-length", value: String(body.utf8.count))
        return HTTPResponseHead(version: .http1_1, status: .ok, headers: headers)
    }()

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .end = unwrapInboundIn(data) else { return }
        context.write(wrapOutboundOut(.head(Self.head)), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: Self.body)))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }
}

let port = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1]) ?? 18107 : 18107
let kind = CommandLine.arguments.count > 2 ? CommandLine.arguments[2] : "nio"

switch kind {
case "hummingbird":
    let router = Router()
    router.get("/healthz") { _, _ in
        Response(
            status: .ok, headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: FixedAnswer.body)))
    }
    let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)))
    try await app.runService()
default:
    let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        .serverChannelOption(.backlog, value: 4096)
        .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
        .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
        .childChannelInitializer { channel in
            channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                try channel.pipeline.syncOperations.addHandler(FixedAnswer())
            }
        }
        .bind(host: "127.0.0.1", port: port).get()
    try await server.closeFuture.get()
}
