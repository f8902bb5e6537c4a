import EndpointModel
import Foundation
import HTTPTypes
import Hummingbird
import MCP
import NIOCore

/// The MCP front over HTTP (gateway-contract.md, MCP: prompt endpoints as tools): MCP's
/// Streamable HTTP transport at `/mcp`. It does what every front does before the core (the
/// consumer's key, the body's size) and what the SDK's default checks would do wrongly for a
/// gateway (`Origin`), then hands the request to `MCPSessions` in the SDK's own types.
struct MCPFront: RouterMiddleware {
    typealias Context = GatewayRequestContext

    static let path = "/mcp"
    static let methods = ["POST", "GET", "DELETE"]
    static let requestIDHeader = "x-request-id"

    let sessions: MCPSessions
    let cores: CoreHolder
    let maxBodyBytes: Int

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard request.uri.path == Self.path else { return try await next(request, context) }
        try Self.checkOrigin(request.headers[.origin])
        let consumer = try Self.admit(ConsumerStage.presentedKey(request.headers), consumers: cores.core(for: context).consumers)
        var body: Data?
        if request.method == .post {
            if let length = request.headers[.contentLength].flatMap(Int.init), length > maxBodyBytes {
                throw GatewayError.payloadTooLarge(limit: maxBodyBytes)
            }
            do {
                body = Data(buffer: try await request.body.collect(upTo: maxBodyBytes))
            } catch is NIOTooManyBytesError {
                throw GatewayError.payloadTooLarge(limit: maxBodyBytes)
            }
        }
        var headers: [String: String] = [:]
        for field in request.headers {
            let name = field.name.canonicalName
            headers[name] = headers[name].map { "\($0), \(field.value)" } ?? field.value
        }
        headers[Self.requestIDHeader] = context.requestID
        let answer = await sessions.handle(
            MCP.HTTPRequest(method: request.method.rawValue, headers: headers, body: body, path: Self.path), consumer: consumer)
        return Self.response(answer)
    }

    /// The consumer a request to `/mcp` comes from: like any endpoint, `/mcp` needs a
    /// consumer's key when consumers are configured. Which tools it may see and call is the
    /// toolbox's business.
    private static func admit(_ key: String?, consumers: ConsumerDirectory) throws(GatewayError) -> String? {
        guard !consumers.isEmpty else { return nil }
        guard let key else {
            throw ConsumerStage.unauthorized("/mcp needs a consumer key: send Authorization: Bearer KEY or x-api-key: KEY")
        }
        guard let entry = consumers.entry(forKey: key) else { throw ConsumerStage.unauthorized("the key is not a consumer's key") }
        return entry.consumer.name
    }

    /// MCP asks servers to check `Origin` against DNS rebinding: a web page whose name was
    /// pointed at this machine must not reach its tools. Agents and SDKs send no `Origin`; a
    /// browser page is let in only from this machine (`localhost`, `127.0.0.1`, `[::1]`). The
    /// SDK's own check also refuses every `Host` but localhost, which a gateway behind a load
    /// balancer never sees, so it is not used.
    static func checkOrigin(_ origin: String?) throws(GatewayError) {
        guard let origin else { return }
        let host = URL(string: origin)?.host
        guard let host, ["localhost", "127.0.0.1", "::1", "[::1]"].contains(host.lowercased()) else {
            throw GatewayError(
                status: .forbidden, type: "forbidden",
                message: "/mcp does not answer web pages from \(String(origin.prefix(128))); only pages on this machine may call it")
        }
    }

    /// The consumer key in an MCP request's headers.
    static func key(in request: MCP.HTTPRequest) -> String? {
        ConsumerStage.presentedKey(authorization: request.header("authorization"), apiKey: request.header("x-api-key"))
    }

    /// The SDK's answer as Hummingbird's.
    static func response(_ answer: MCP.HTTPResponse) -> Response {
        var fields = HTTPFields()
        for (name, value) in answer.headers {
            guard let name = HTTPField.Name(name) else { continue }
            fields[name] = value
        }
        let status = HTTPResponse.Status(code: answer.statusCode)
        switch answer {
        case .stream(let stream, _):
            return Response(status: status, headers: fields, body: ResponseBody { writer in
                for try await chunk in stream { try await writer.write(ByteBuffer(bytes: chunk)) }
                try await writer.finish(nil)
            })
        default:
            guard let data = answer.bodyData else { return Response(status: status, headers: fields) }
            return Response(status: status, headers: fields, body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
        }
    }
}
