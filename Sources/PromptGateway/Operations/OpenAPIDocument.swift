import EndpointModel
import NIOCore
import NIOPosix
import PromptCompiler
import Synchronization

/// The gateway's `/openapi.json`, rendered on first request on NIO's thread pool, then kept.
///
/// For 1,000 endpoints the document is several megabytes and takes longer to render than all
/// the rest of start-up; rendered eagerly it held readiness back, and on an event loop it would
/// stall the requests sharing that loop.
final class OpenAPIDocument: Sendable {
    private let routeTable: RouteTable
    private let rendering = Mutex<EventLoopFuture<ByteBuffer>?>(nil)

    init(routeTable: RouteTable) {
        self.routeTable = routeTable
    }

    func bytes() async throws -> ByteBuffer {
        let future = rendering.withLock { rendering in
            if let rendering { return rendering }
            let routeTable = routeTable
            let started = NIOThreadPool.singleton.runIfActive(eventLoop: MultiThreadedEventLoopGroup.singleton.any()) {
                ByteBuffer(string: CanonicalJSON.render(OpenAPIRenderer.document(for: routeTable)))
            }
            rendering = started
            return started
        }
        return try await future.get()
    }
}
