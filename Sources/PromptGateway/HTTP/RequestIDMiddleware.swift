import HTTPTypes
import Foundation
import Hummingbird

/// Gives every request an id, the client's `x-request-id` when it sent a usable one, and puts it
/// on every answer. Errors thrown further in become the contract's JSON error answers here, so
/// they carry the id too.
struct RequestIDMiddleware: RouterMiddleware {
    typealias Context = GatewayRequestContext

    static let header = HTTPField.Name("x-request-id")!

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        let requestID = request.headers[Self.header].flatMap(Self.usable) ?? UUID().uuidString.lowercased()
        context.requestID = requestID
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as GatewayError {
            response = error.response(requestID: requestID)
        } catch let error as HTTPError {
            response = Self.translate(error).response(requestID: requestID)
        } catch {
            context.logger.error("unexpected error", metadata: ["request_id": .string(requestID), "error": .string("\(type(of: error))")])
            response = GatewayError(status: .internalServerError, type: "internal_error", message: "the gateway failed to answer")
                .response(requestID: requestID)
        }
        response.headers[Self.header] = requestID
        return response
    }

    /// A client id is echoed when it is short, visible ASCII; anything else gets a new id, so
    /// no header injection or log forging rides on it.
    static func usable(_ value: String) -> String? {
        guard !value.isEmpty, value.utf8.count <= 128, value.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else { return nil }
        return value
    }

    /// Errors Hummingbird raises itself, in the contract's shape.
    static func translate(_ error: HTTPError) -> GatewayError {
        switch error.status {
        case .contentTooLarge: return GatewayError(status: .contentTooLarge, type: "payload_too_large", message: error.body ?? "the request body is too large")
        case .notFound: return GatewayError(status: .notFound, type: "not_found", message: error.body ?? "not found")
        default: return GatewayError(status: error.status, type: "invalid_request", message: error.body ?? error.status.reasonPhrase)
        }
    }
}
