import Hummingbird
import NIOCore

/// `GET /healthz`, `/readyz`, `/openapi.json` and `/metrics`.
struct OperationalRoutes {
    let gateway: Gateway

    /// The paths served here, with their methods, for `RouteGuardMiddleware`.
    static let methods: [String: [String]] = ["/healthz": ["GET"], "/readyz": ["GET"], "/openapi.json": ["GET"], "/metrics": ["GET"]]

    func add(to router: Router<GatewayRequestContext>) {
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
            let made: ByteBuffer?
            do {
                made = try await document.bytes()
            } catch {
                // The document the CLI pointed at (openapi.json beside --routes) is not there.
                throw GatewayError(status: .notFound, type: "not_found", message: "the OpenAPI document is not available: \(error)")
            }
            guard let bytes = made else {
                throw GatewayError(status: .notFound, type: "not_found", message: "this gateway was started without an OpenAPI document")
            }
            return Response(status: .ok, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: bytes))
        }
        let metrics = gateway.runtime.metrics
        router.get("/metrics") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: metrics.exposition())))
        }
    }
}
