import Hummingbird

/// Answers 404 for a path no route serves and 405 with `Allow` for a known path asked with
/// another method, in the contract's JSON; the router then only sees requests it can serve.
struct RouteGuardMiddleware: RouterMiddleware {
    typealias Context = GatewayRequestContext

    /// Whose route methods (every endpoint and operational route) apply.
    let cores: CoreHolder

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let path = request.uri.path
        guard let allowed = cores.core(for: context).routeMethods[path] else { throw GatewayError.notFound(path) }
        let method = request.method.rawValue
        // HEAD is answered wherever GET is, as HTTP expects.
        guard allowed.contains(method) || (method == "HEAD" && allowed.contains("GET")) else {
            throw GatewayError.methodNotAllowed(request.method, path: path, allowed: allowed)
        }
        return try await next(request, context)
    }
}
