import EndpointModel
import HTTPTypes
import Hummingbird
import NIOCore

/// An error answer of the contract (gateway-contract.md, Errors): a status, a type, a message,
/// and where they apply, the violations and the attempts. Rendered as
/// `{"error": {"type", "message", "details", "attempts", "request_id"}}`.
struct GatewayError: Error, Sendable {
    var status: HTTPResponse.Status
    var type: String
    var message: String
    var details: [Violation] = []
    /// Violations left out of `details` by `limits.max_error_details`.
    var moreDetails = 0
    var attempts: [AttemptRecord]?
    var headers: HTTPFields = [:]
    /// Rendered in OpenAI's shape, for the OpenAI-compatible API.
    var openAIShape = false

    static func notFound(_ path: String) -> GatewayError {
        GatewayError(status: .notFound, type: "not_found", message: "no endpoint at \(path)")
    }

    static func methodNotAllowed(_ method: HTTPRequest.Method, path: String, allowed: [String]) -> GatewayError {
        var error = GatewayError(
            status: .methodNotAllowed, type: "method_not_allowed",
            message: "\(path) does not answer \(method.rawValue); it answers \(allowed.joined(separator: ", "))")
        error.headers[.allow] = allowed.joined(separator: ", ")
        return error
    }

    static let requestTimeout = GatewayError(
        status: .requestTimeout, type: "request_timeout", message: "the request's head and body did not arrive within client_timeout")

    static func payloadTooLarge(limit: Int) -> GatewayError {
        GatewayError(status: .contentTooLarge, type: "payload_too_large", message: "the request body is larger than \(limit) bytes")
    }

    static func unsupportedMediaType(_ contentType: String?) -> GatewayError {
        GatewayError(
            status: .unsupportedMediaType, type: "unsupported_media_type",
            message: contentType.map { "Content-Type '\($0)' is not JSON; send application/json" } ?? "the request has no Content-Type; send application/json")
    }

    static func invalidRequest(_ message: String, details: [Violation] = []) -> GatewayError {
        GatewayError(status: .badRequest, type: "invalid_request", message: message, details: details)
    }

    /// Any error a stage threw, as the answer it stands for.
    static func from(_ error: any Error) -> GatewayError {
        switch error {
        case let error as GatewayError: return error
        case let failure as ChainFailure: return from(failure)
        case let error as HTTPError: return translate(error)
        case let gone as ConnectionWatchRegistry.ClientGone where gone.timedOut:
            return .requestTimeout
        case is ConnectionWatchRegistry.ClientGone, is CancellationError:
            // Nobody is left to read an answer; 499 is nginx's name for this, used in logs and metrics.
            return GatewayError(status: .init(code: 499, reasonPhrase: "Client Closed Request"), type: "client_closed", message: "the client went away")
        default:
            return GatewayError(status: .internalServerError, type: "internal_error", message: "the gateway failed to answer")
        }
    }

    /// Errors Hummingbird raises itself, in the contract's shape.
    static func translate(_ error: HTTPError) -> GatewayError {
        switch error.status {
        case .contentTooLarge: return GatewayError(status: .contentTooLarge, type: "payload_too_large", message: error.body ?? "the request body is too large")
        case .notFound: return GatewayError(status: .notFound, type: "not_found", message: error.body ?? "not found")
        default: return GatewayError(status: error.status, type: "invalid_request", message: error.body ?? error.status.reasonPhrase)
        }
    }

    static func from(_ failure: ChainFailure) -> GatewayError {
        switch failure {
        case .upstreamFailed(let message, let attempts):
            return GatewayError(status: .badGateway, type: "upstream_failed", message: message, attempts: attempts)
        case .noHealthyUpstream(let attempts, let retryAfterMs):
            var error = GatewayError(
                status: .serviceUnavailable, type: "no_healthy_upstream",
                message: "every model in the chain was skipped (circuit open or unconfigured)", attempts: attempts)
            if let retryAfterMs { error.headers[.retryAfter] = String(max(1, (retryAfterMs + 999) / 1000)) }
            return error
        case .deadlineExceeded(let attempts):
            return GatewayError(status: .gatewayTimeout, type: "deadline_exceeded", message: "the request's deadline ran out", attempts: attempts)
        }
    }

    func body(requestID: String) -> JSONValue {
        if openAIShape { return openAIBody(requestID: requestID) }
        var error: [String: JSONValue] = ["type": .string(type), "message": .string(message), "request_id": .string(requestID)]
        if !details.isEmpty {
            error["details"] = .array(details.map { ["path": .string($0.path), "message": .string($0.message)] })
        }
        if moreDetails > 0 { error["more"] = .integer(moreDetails) }
        if let attempts {
            error["attempts"] = .array(attempts.map { ["model": .string($0.model), "outcome": .string($0.outcome), "ms": .integer($0.ms)] })
        }
        return ["error": .object(error)]
    }

    /// OpenAI's error shape, `{"error": {"message", "type", "param", "code"}}`: the type in
    /// OpenAI's words for the status (what its SDKs read), promptc's own type as the code, and
    /// the attempts added.
    func openAIBody(requestID: String) -> JSONValue {
        let openAIType: String =
            switch status.code {
            case 400, 404, 405, 413, 415: "invalid_request_error"
            case 401: "authentication_error"
            case 403: "permission_error"
            case 429: "rate_limit_error"
            default: "api_error"
            }
        var message = message
        if let first = details.first, details.count == 1, !message.contains(first.message) { message += ": \(first.message)" }
        var error: [String: JSONValue] = [
            "message": .string(message), "type": .string(openAIType), "code": .string(type), "request_id": .string(requestID),
            "param": details.first.map { .string($0.path) } ?? .null,
        ]
        if let attempts {
            error["attempts"] = .array(attempts.map { ["model": .string($0.model), "outcome": .string($0.outcome), "ms": .integer($0.ms)] })
        }
        return ["error": .object(error)]
    }

    func answer(requestID: String) -> PlainAnswer {
        PlainAnswer(status: status, headers: headers, json: body(requestID: requestID))
    }

    func response(requestID: String) -> Response {
        answer(requestID: requestID).response
    }
}

extension ResponseBody {
    /// A compact JSON body.
    static func json(_ value: JSONValue) -> ResponseBody {
        ResponseBody(byteBuffer: ByteBuffer(string: CanonicalJSON.render(value, pretty: false)))
    }
}
