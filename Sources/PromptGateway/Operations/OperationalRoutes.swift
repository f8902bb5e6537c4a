import Hummingbird
import NIOCore

/// `GET /healthz`, `/readyz`, `/openapi.json` and `/metrics`.
struct OperationalRoutes {
    let gateway: Gateway

    func add(to router: Router<GatewayRequestContext>, methods: inout [String: [String]]) {
        let endpointCount = gateway.endpoints.count
        router.get("/healthz") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json"], body: .json(["status": "ok"]))
        }
        // Routes are loaded before the server binds, so a gateway that answers is ready.
        router.get("/readyz") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json"], body: .json(["status": "ready", "endpoints": .integer(endpointCount)]))
        }
        let document = gateway.openAPIDocument
        router.get("/openapi.json") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: try await document.bytes()))
        }
        let metrics = gateway.runtime.metrics
        router.get("/metrics") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: metrics.exposition())))
        }
        for path in ["/healthz", "/readyz", "/openapi.json", "/metrics"] { methods[path, default: []].append("GET") }
    }
}
