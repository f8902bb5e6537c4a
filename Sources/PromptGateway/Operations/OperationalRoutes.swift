import EndpointModel
import Foundation
import Hummingbird
import NIOCore

/// `GET /healthz`, `/readyz`, `/openapi.json` and `/metrics`.
struct OperationalRoutes {
    let gateway: Gateway

    /// The paths served here, with their methods, for `RouteGuardMiddleware`.
    static let methods: [String: [String]] = ["/healthz": ["GET"], "/readyz": ["GET"], "/openapi.json": ["GET"], "/metrics": ["GET"]]

    func add(to router: Router<GatewayRequestContext>) {
        let cores = gateway.cores
        router.get("/healthz") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json"], body: .json(["status": "ok"]))
        }
        // Routes are loaded before the server binds, so a gateway that answers is ready. Which
        // routes, and since when, tells an operator whether a reload took.
        // With shared.database, whether it answers: a replica whose database is away still serves
        // (with limits counted locally), so it stays ready and says so.
        let shared = gateway.foundation.shared
        router.get("/readyz") { _, context in
            let core = cores.core(for: context)
            var body: [String: JSONValue] = [
                "status": "ready", "endpoints": .integer(core.endpoints.count), "routes_sha256": .string(core.routesSHA256),
                "loaded_at": .string(Self.timestamp(core.loadedAt)),
            ]
            // Why it is away goes to the log only: it may name hosts this answer should not.
            if let shared { body["shared_database"] = .string(shared.isUp ? "up" : "away") }
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .json(.object(body)))
        }
        router.get("/openapi.json") { _, context in
            let document = cores.core(for: context).openAPIDocument
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
        let metrics = gateway.foundation.metrics
        router.get("/metrics") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: metrics.exposition())))
        }
    }

    /// RFC 3339 in UTC, to the millisecond.
    static func timestamp(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: date)
    }
}
