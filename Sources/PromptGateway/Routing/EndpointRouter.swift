import Hummingbird

/// Serves the prompt endpoints by exact path, from a dictionary.
///
/// Hummingbird's router builds a trie whose children are searched one by one as routes are
/// added: for 1,000 endpoints that alone was 50 ms of start-up. Endpoint paths are fixed strings
/// (the compiler allows no parameters in them), so one dictionary lookup serves them; the router
/// keeps the operational routes. `RouteGuardMiddleware` runs first and has already answered
/// unknown paths and wrong methods.
struct EndpointRouter: RouterMiddleware {
    typealias Context = GatewayRequestContext

    let handlers: [String: EndpointHandler]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if request.method == .post, let handler = handlers[request.uri.path] {
            return try await handler.handle(request, context: context)
        }
        return try await next(request, context)
    }
}
