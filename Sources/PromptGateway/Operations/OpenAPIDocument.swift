import EndpointModel
import NIOCore
import NIOPosix
import Synchronization

/// The gateway's `/openapi.json`, made on first request on NIO's thread pool, then kept.
///
/// The runtime does not link the compiler: the CLI hands over how to get the document (the
/// `openapi.json` that `promptc compile` wrote beside `routes.json`, or the compiler's renderer
/// for `--prompts`). For 1,000 endpoints the document is several megabytes; made eagerly it
/// held readiness back, and on an event loop it would stall the requests sharing that loop.
final class OpenAPIDocument: Sendable {
    private let make: (@Sendable () throws -> [UInt8])?
    private let rendering = Mutex<EventLoopFuture<ByteBuffer>?>(nil)

    init(make: (@Sendable () throws -> [UInt8])?) {
        self.make = make
    }

    /// The document, or nil when the gateway was given none.
    func bytes() async throws -> ByteBuffer? {
        guard let make else { return nil }
        let future = rendering.withLock { rendering in
            if let rendering { return rendering }
            let started = NIOThreadPool.singleton.runIfActive(eventLoop: MultiThreadedEventLoopGroup.singleton.any()) {
                ByteBuffer(bytes: try make())
            }
            rendering = started
            return started
        }
        return try await future.get()
    }
}
