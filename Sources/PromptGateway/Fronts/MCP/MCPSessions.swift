import EndpointModel
import Foundation
import MCP

/// The sessions of MCP's Streamable HTTP transport at `/mcp`.
///
/// The SDK's `Server` takes one `initialize` and its stateful HTTP transport keeps every message
/// of a session for replay, without bound. So each session here is its own `Server` over the
/// SDK's stateless transport (answers as plain JSON, which the transport allows), and this
/// registry gives out the `Mcp-Session-Id`, finds the session of each later request, and ends
/// it on `DELETE`. Sessions are bounded: at most `maximumSessions`, the least recently used
/// making room for a new one, and a session idle for `idleTimeout` is gone.
///
/// A session belongs to the consumer that opened it: another consumer's key finds no session.
actor MCPSessions {
    static let sessionHeader = HTTPHeaderName.sessionID

    private struct Session {
        let server: Server
        let transport: StatelessHTTPServerTransport
        let consumer: String?
        var lastUsed: ContinuousClock.Instant
    }

    private let toolbox: MCPToolbox
    private let maximumSessions: Int
    private let idleTimeout: Duration
    private var sessions: [String: Session] = [:]

    init(toolbox: MCPToolbox, maximumSessions: Int = 1_000, idleTimeout: Duration = .seconds(3_600)) {
        self.toolbox = toolbox
        self.maximumSessions = max(1, maximumSessions)
        self.idleTimeout = idleTimeout
    }

    var count: Int { sessions.count }

    /// Answers one HTTP request to `/mcp` from `consumer` (nil without consumers).
    func handle(_ request: MCP.HTTPRequest, consumer: String?) async -> MCP.HTTPResponse {
        let now = ContinuousClock.now
        guard let id = request.header(Self.sessionHeader) else {
            guard request.method == "POST", Self.isInitialize(request.body) else {
                return .error(statusCode: 400, .invalidRequest("Bad Request: no \(Self.sessionHeader) header; send initialize first"))
            }
            return await open(request, consumer: consumer, now: now)
        }
        guard var session = sessions[id], session.consumer == consumer, now - session.lastUsed < idleTimeout else {
            if let expired = sessions[id], now - expired.lastUsed >= idleTimeout { close(id) }
            return .error(statusCode: 404, .invalidRequest("Not Found: no session \(String(id.prefix(64))); send initialize again"))
        }
        session.lastUsed = now
        sessions[id] = session
        switch request.method {
        case "DELETE":
            close(id)
            return .ok(headers: [Self.sessionHeader: id])
        case "POST":
            var response = await session.transport.handleRequest(request)
            response.setSession(id)
            return response
        default:
            // promptc sends nothing unasked, so it offers no stream for a GET (the transport's 405).
            return .error(statusCode: 405, .invalidRequest("Method Not Allowed: /mcp answers POST and DELETE"), extraHeaders: ["Allow": "POST, DELETE"])
        }
    }

    private func open(_ request: MCP.HTTPRequest, consumer: String?, now: ContinuousClock.Instant) async -> MCP.HTTPResponse {
        let transport = StatelessHTTPServerTransport(validationPipeline: Self.validation)
        let server = await toolbox.makeServer { Self.caller(Server.currentHandlerContext?.httpContext) }
        do {
            try await server.start(transport: transport)
        } catch {
            return .error(statusCode: 500, .internalError("the MCP session could not start"))
        }
        let id = Self.newSessionID()
        // Made room for only now, with no suspension before the session is added: sessions
        // opened at the same time cannot together pass the bound.
        makeRoom(now: now)
        sessions[id] = Session(server: server, transport: transport, consumer: consumer, lastUsed: now)
        var response = await transport.handleRequest(request)
        guard response.statusCode == 200 else {
            close(id)
            return response
        }
        response.setSession(id)
        return response
    }

    /// Drops idle sessions, then the least recently used while the registry is full.
    private func makeRoom(now: ContinuousClock.Instant) {
        for (id, session) in sessions where now - session.lastUsed >= idleTimeout { close(id) }
        while sessions.count >= maximumSessions, let oldest = sessions.min(by: { $0.value.lastUsed < $1.value.lastUsed })?.key {
            close(oldest)
        }
    }

    private func close(_ id: String) {
        guard let session = sessions.removeValue(forKey: id) else { return }
        Task { await session.server.stop() }
    }

    /// Stops every session's server; for a gateway that stops.
    func closeAll() async {
        let servers = sessions.values.map(\.server)
        sessions.removeAll()
        for server in servers { await server.stop() }
    }

    /// The SDK's checks, less its `Host` check: behind a load balancer the Host is the
    /// gateway's public name. `MCPFront` checks `Origin` itself, before a request gets here.
    static let validation = StandardValidationPipeline(validators: [
        AcceptHeaderValidator(mode: .jsonOnly), ContentTypeValidator(), ProtocolVersionValidator(),
    ])

    static func caller(_ request: MCP.HTTPRequest?) -> MCPCaller {
        guard let request else { return MCPCaller() }
        return MCPCaller(key: MCPFront.key(in: request), requestID: request.header(MCPFront.requestIDHeader))
    }

    static func isInitialize(_ body: Data?) -> Bool {
        guard let body, let message = try? JSONParser.parse(Array(body)), case .object(let members) = message else { return false }
        return members["method"] == .string("initialize")
    }

    /// Visible ASCII, as the transport requires.
    static func newSessionID() -> String {
        RandomToken.make()
    }
}

extension MCP.HTTPResponse {
    /// The same response, naming session `id` in its `Mcp-Session-Id` header.
    mutating func setSession(_ id: String) {
        let name = HTTPHeaderName.sessionID
        switch self {
        case .accepted(var headers):
            headers[name] = id
            self = .accepted(headers: headers)
        case .ok(var headers):
            headers[name] = id
            self = .ok(headers: headers)
        case .data(let data, var headers):
            headers[name] = id
            self = .data(data, headers: headers)
        case .stream(let stream, var headers):
            headers[name] = id
            self = .stream(stream, headers: headers)
        case .error(let status, let error, _, let extra):
            self = .error(statusCode: status, error, sessionID: id, extraHeaders: extra)
        }
    }
}
