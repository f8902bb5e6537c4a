import Foundation
import Hummingbird
import ServiceLifecycle
import Synchronization
import Testing

/// `promptc serve` with `OTEL_EXPORTER_OTLP_ENDPOINT` (gateway-contract.md, Running many
/// replicas: traces), as an operator runs it: its tasks on the event loops, the exporter's
/// defaults (OTLP/HTTP with protobuf), and a graceful stop that exports what is still queued.
@Suite("serve with traces")
struct ServeTracesTests {
    /// Every POST the receiver got: its path, content type and body size.
    final class Received: Sendable {
        let posts = Mutex<[(path: String, contentType: String, bytes: Int)]>([])
    }

    @Test func aGracefulStopExportsTheQueuedSpansAndExitsCleanly() async throws {
        let cli = try CLI()
        #expect(try cli.run("compile").status == 0)
        let received = Received()
        let router = Router()
        router.post("**") { request, _ -> Response in
            let body = try await request.body.collect(upTo: 1 << 20)
            received.posts.withLock { $0.append((request.uri.path, request.headers[.contentType] ?? "", body.readableBytes)) }
            return Response(status: .ok, headers: [.contentType: "application/x-protobuf"], body: .init(byteBuffer: ByteBuffer()))
        }
        let (ports, port) = AsyncStream<Int>.makeStream()
        let receiver = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { port.yield($0.localAddress?.port ?? 0) })
        let group = ServiceGroup(services: [receiver], logger: .init(label: "receiver"))
        let running = Task { try await group.run() }
        defer { running.cancel() }
        var iterator = ports.makeAsyncIterator()
        let receiverPort = try #require(await iterator.next())

        // A minute between batches: only the stop can have exported the span.
        let server = try ServeReloadTests.Server(cli, [], environment: [
            "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:\(receiverPort)", "OTEL_BSP_SCHEDULE_DELAY": "60000",
        ])
        defer { if server.process.isRunning { server.process.terminate() } }
        try await ServeReloadTests.eventually("serve answers") { (try? await server.readyz()) != nil }
        #expect(await server.sentiment().status == 200)
        #expect(received.posts.withLock { $0.isEmpty })
        #expect(server.stop() == 0, "\(server.logText)")
        #expect(server.process.terminationReason == .exit)
        let posts = received.posts.withLock { $0 }
        #expect(posts.count == 1)
        #expect(posts.first?.path == "/v1/traces")
        #expect(posts.first?.contentType == "application/x-protobuf")
        #expect((posts.first?.bytes ?? 0) > 100)
        await group.triggerGracefulShutdown()
    }
}
