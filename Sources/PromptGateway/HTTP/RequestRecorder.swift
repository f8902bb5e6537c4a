import Foundation
import HTTPTypes
import Hummingbird

/// The outermost middleware of the REST front: gives every request an id (the client's
/// `x-request-id` when it sent a usable one) and a `RequestOutcome`, turns whatever error a
/// later stage threw into the contract's JSON answer, puts the headers every answer carries on
/// it (errors included: request id, rate limits, cache, lifecycle), and hands the outcome to `OutcomeRecorder` once.
struct RequestRecorder: RouterMiddleware {
    typealias Context = GatewayRequestContext

    static let requestIDHeader = HTTPField.Name("x-request-id")!

    /// The request takes the current core here, and every later stage uses that one.
    let cores: CoreHolder

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let seen = OutcomeRecorder.Request(
            requestID: request.headers[Self.requestIDHeader].flatMap(Self.usable) ?? UUID().uuidString.lowercased(),
            method: request.method.rawValue, path: request.uri.path, startedAt: Date(), started: .now)
        let core = cores.current
        let recorder = core.recorder
        var context = context
        context.core = core
        context.requestID = seen.requestID
        context.outcome = RequestOutcome(front: "rest", endpoint: core.recordNames[seen.path])
        var response: Response
        var errorType: String?
        do {
            response = try await next(request, context)
        } catch {
            let gatewayError = GatewayError.from(error)
            if gatewayError.status == .internalServerError {
                context.logger.error("unexpected error", metadata: ["request_id": .string(seen.requestID), "error": .string("\(type(of: error))")])
            }
            errorType = gatewayError.type
            response = gatewayError.response(requestID: seen.requestID)
        }
        let outcome = context.outcome.snapshot
        response.headers[Self.requestIDHeader] = seen.requestID
        if let decision = outcome.rateLimit {
            for field in ConsumerStage.headers(decision) where response.headers[field.name] == nil { response.headers.append(field) }
        }
        if let lifecycle = core.lifecycles[seen.path] {
            for field in lifecycle.headers(at: EndpointLifecycle.now()) { response.headers[field.name] = field.value }
        }
        if core.cachedPaths.contains(seen.path), response.headers[PromptHeaders.cache] == nil {
            response.headers[PromptHeaders.cache] = outcome.cache ?? "miss"
        }
        if outcome.streamed, errorType == nil {
            // A stream is recorded when it ends, with the status its last event says.
            let outcomeBox = context.outcome
            outcomeBox.recordWhenFinished { status, errorType in
                recorder.record(seen, status: status, outcome: outcomeBox.snapshot, errorType: errorType)
            }
        } else {
            recorder.record(seen, status: Int(response.status.code), outcome: outcome, errorType: errorType)
        }
        return response
    }

    /// A client id is echoed when it is short, visible ASCII; anything else gets a new id, so
    /// no header injection or log forging rides on it.
    static func usable(_ value: String) -> String? {
        guard !value.isEmpty, value.utf8.count <= 128, value.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else { return nil }
        return value
    }
}

/// The headers promptc adds to answers.
enum PromptHeaders {
    static let model = HTTPField.Name("x-promptc-model")!
    static let attempts = HTTPField.Name("x-promptc-attempts")!
    static let cache = HTTPField.Name("x-promptc-cache")!
}
