import Hummingbird

/// The outermost middleware of Hummingbird's routes: gives every request its `RequestRecording`
/// (id, core, outcome), turns whatever error a later stage threw into the contract's JSON
/// answer, puts the headers every answer carries on it, and records the request once.
struct RequestRecorder: RouterMiddleware {
    typealias Context = GatewayRequestContext

    let cores: CoreHolder

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let recording = RequestRecording(core: cores.current, headers: request.headers, method: request.method, path: request.uri.path, peer: context.channel.remoteAddress)
        var context = context
        context.core = recording.core
        context.requestID = recording.requestID
        context.outcome = recording.outcome
        var response: Response
        var errorType: String?
        do {
            response = try await next(request, context)
        } catch {
            let gatewayError = recording.failure(error, logger: context.logger)
            errorType = gatewayError.type
            response = gatewayError.response(requestID: recording.requestID)
        }
        recording.finish(&response.headers, status: Int(response.status.code), errorType: errorType)?.write()
        return response
    }
}
