import EndpointModel
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// The developer portal (gateway-contract.md, The portal): `/` redirects to `/portal`, the
/// catalog, a page per endpoint, the usage page (with the admin key), and the stylesheet and
/// script. Pages are view models rendered with the templates in `Assets/`.
struct PortalRoutes {
    static let assets = ["portal.css", "portal.js"]
    static let html = "text/html; charset=utf-8"

    let gateway: Gateway
    let templates: PortalTemplates
    let sessions: PortalSessions

    /// The paths served here, with their methods, for `RouteGuardMiddleware`.
    static func methods(endpoints: [ServedEndpoint]) -> [String: [String]] {
        var methods: [String: [String]] = [
            "/": ["GET"], "/portal": ["GET"], "/portal/usage": ["GET"], "/portal/login": ["POST"], "/portal/logout": ["POST"],
        ]
        for asset in assets { methods["/portal/assets/\(asset)"] = ["GET"] }
        for endpoint in endpoints { methods["/portal/endpoints/\(endpoint.name)"] = ["GET"] }
        return methods
    }

    func add(to router: Router<GatewayRequestContext>) {
        let gateway = gateway, templates = templates, sessions = sessions
        let cores = gateway.cores
        let version = Gateway.version
        router.get("/") { _, _ in
            Response(status: .seeOther, headers: [.location: "/portal"])
        }
        router.get("/portal") { _, context in
            let core = cores.core(for: context)
            let page = CatalogPage(endpoints: core.endpoints, breakers: core.runtime.breakers, now: EndpointLifecycle.now())
            return try Self.page(templates.page("catalog", page, layout: .init(title: "Endpoints", body: "", version: version, catalogCurrent: true)))
        }
        router.get("/portal/endpoints/{name}") { request, context in
            let core = cores.core(for: context)
            guard let name = context.parameters.get("name"), let endpoint = core.endpointsByName[name] else {
                throw GatewayError.notFound(request.uri.path)
            }
            let page = EndpointPage(
                endpoint, breakers: core.runtime.breakers, now: EndpointLifecycle.now(), baseURL: Self.baseURL(authority: request.head.authority))
            return try Self.page(templates.page("endpoint", page, layout: .init(title: name, body: "", version: version, script: true)))
        }
        router.get("/portal/assets/{file}") { request, context in
            guard let file = context.parameters.get("file"), let asset = PortalTemplates.asset(file) else {
                throw GatewayError.notFound(request.uri.path)
            }
            return Response(
                status: .ok, headers: [.contentType: asset.contentType, .cacheControl: "no-cache"],
                body: ResponseBody(byteBuffer: ByteBuffer(string: asset.text)))
        }
        router.get("/portal/usage") { request, context in
            try await Self.usage(request, gateway: gateway, adminKey: cores.core(for: context).adminKey, templates: templates, sessions: sessions)
        }
        router.post("/portal/login") { request, context in
            let adminKey = cores.core(for: context).adminKey
            let form: ByteBuffer
            do {
                form = try await request.body.collect(upTo: 4096)
            } catch is NIOTooManyBytesError {
                throw GatewayError.payloadTooLarge(limit: 4096)
            }
            let key = Self.formValue("key", in: String(buffer: form))
            guard adminKey.isConfigured else {
                return try Self.page(templates.page("usage", UsagePage.login(message: Self.noAdminKey), layout: Self.usageLayout), status: .forbidden)
            }
            guard adminKey.admits(key) else {
                return try Self.page(
                    templates.page("usage", UsagePage.login(message: "That is not the admin key."), layout: Self.usageLayout), status: .unauthorized)
            }
            let token = sessions.open()
            return Response(status: .seeOther, headers: [
                .location: "/portal/usage",
                .setCookie: "\(PortalSessions.cookieName)=\(token); Path=/portal; HttpOnly; SameSite=Strict; Max-Age=43200",
            ])
        }
        router.post("/portal/logout") { request, _ in
            sessions.close(PortalSessions.token(inCookie: request.headers[.cookie]))
            return Response(status: .seeOther, headers: [
                .location: "/portal/usage", .setCookie: "\(PortalSessions.cookieName)=; Path=/portal; HttpOnly; SameSite=Strict; Max-Age=0",
            ])
        }
    }

    static let noAdminKey = "The usage page is off: set admin_key_sha256 in promptc.yaml (promptc keys new admin --admin prints it)."
    static let usageLayout = PortalTemplates.Layout(title: "Usage", body: "", version: Gateway.version, usageCurrent: true)

    /// The usage page for an admin (by cookie, or the admin key as for `/admin/*`); else the
    /// page that asks for the key.
    static func usage(
        _ request: Request, gateway: Gateway, adminKey: AdminKey, templates: PortalTemplates, sessions: PortalSessions
    ) async throws -> Response {
        guard adminKey.isConfigured else {
            return try page(templates.page("usage", UsagePage.login(message: noAdminKey), layout: usageLayout), status: .forbidden)
        }
        guard adminKey.admits(ConsumerStage.presentedKey(request.headers)) || sessions.isOpen(PortalSessions.token(inCookie: request.headers[.cookie])) else {
            return try page(templates.page("usage", UsagePage.login(message: nil), layout: usageLayout), status: .unauthorized)
        }
        guard let store = gateway.options.usageStore else {
            return try page(templates.page("usage", UsagePage(authorized: true, message: nil), layout: usageLayout))
        }
        let window = request.uri.queryParameters.get("window").flatMap(UsagePage.Window.init(rawValue:)) ?? .day
        let since = (Int64(Date().timeIntervalSince1970) - window.seconds) * 1000
        let records = try await store.records(sinceMs: since)
        return try page(templates.page("usage", UsagePage(records: records, window: window), layout: usageLayout))
    }

    static func page(_ html: String?, status: HTTPResponse.Status = .ok) throws -> Response {
        guard let html else { throw GatewayError(status: .internalServerError, type: "internal_error", message: "a portal template is missing") }
        return Response(status: status, headers: [.contentType: Self.html, .cacheControl: "no-store"], body: ResponseBody(byteBuffer: ByteBuffer(string: html)))
    }

    /// Where the reader reached this gateway, for the calls on an endpoint's page: the request's
    /// `Host` (HTTP/1.1's authority) when that is a plain host name, else localhost.
    static func baseURL(authority: String?) -> String {
        let host = authority ?? ""
        let plain = !host.isEmpty && host.utf8.count <= 255 && host.utf8.allSatisfy { byte in
            (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte) || ".-:[]".utf8.contains(byte)
        }
        return "http://" + (plain ? host : "localhost:8080")
    }

    /// A field of an `application/x-www-form-urlencoded` body.
    static func formValue(_ name: String, in body: String) -> String? {
        for pair in body.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1)
            guard parts.count == 2, parts[0] == name else { continue }
            return String(parts[1]).replacingOccurrences(of: "+", with: " ").removingPercentEncoding
        }
        return nil
    }
}
