import Foundation
import HTTPTypes
import Hummingbird

/// `cors: { origins: [...] }` (gateway-contract.md, The portal): pages of those origins may call
/// the gateway. Preflight `OPTIONS` requests are answered here, before anything else sees them
/// (they are not requests to an endpoint, and leave no record); other answers to a listed
/// origin get `Access-Control-Allow-Origin` and the headers a page may read. Without origins
/// configured this middleware is not installed, and there are no CORS headers at all.
struct CORSMiddleware: RouterMiddleware {
    typealias Context = GatewayRequestContext

    static let allowOrigin = HTTPField.Name("Access-Control-Allow-Origin")!
    static let allowMethods = HTTPField.Name("Access-Control-Allow-Methods")!
    static let allowHeaders = HTTPField.Name("Access-Control-Allow-Headers")!
    static let exposeHeaders = HTTPField.Name("Access-Control-Expose-Headers")!
    static let maxAge = HTTPField.Name("Access-Control-Max-Age")!
    static let requestMethod = HTTPField.Name("Access-Control-Request-Method")!
    static let vary = HTTPField.Name("Vary")!

    static let exposed = "x-request-id, x-promptc-model, x-promptc-attempts, x-promptc-cache, RateLimit-Limit, RateLimit-Remaining, "
        + "RateLimit-Reset, Retry-After, Deprecation, Sunset, Link, x-should-retry"
    static let allowed = "content-type, authorization, x-api-key, x-request-id, cache-control, accept"

    let origins: Set<String>

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let origin = request.headers[.origin] else { return try await next(request, context) }
        let listed = origins.contains(origin)
        if request.method == .options, request.headers[Self.requestMethod] != nil {
            guard listed else {
                return GatewayError(status: .forbidden, type: "forbidden", message: "pages from \(String(origin.prefix(128))) may not call this gateway (cors.origins)")
                    .response(requestID: RequestID.make())
            }
            return Response(status: .noContent, headers: [
                Self.allowOrigin: origin, Self.vary: "Origin", Self.allowMethods: "GET, POST, DELETE",
                Self.allowHeaders: Self.allowed, Self.maxAge: "600",
            ])
        }
        var response = try await next(request, context)
        if listed {
            response.headers[Self.allowOrigin] = origin
            response.headers[Self.exposeHeaders] = Self.exposed
            response.headers.append(HTTPField(name: Self.vary, value: "Origin"))
        }
        return response
    }
}
