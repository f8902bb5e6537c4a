import EndpointModel
import Foundation
import PromptCompiler
import Testing
@testable import PromptGateway

/// The portal without a browser (gateway-contract.md, The portal): its pages from their view
/// models, the usage page's key and cookie, `portal: false`, and `cors:`. `Tests/Browser/`
/// drives the same pages in Chromium.
@Suite("Portal", .serialized)
struct PortalTests {
    static let adminKey = "pc_admin-key-for-portal-tests"
    static var admin: String { "admin_key_sha256: \(ConsumerKey.sha256Hex(of: adminKey))" }
    static let json = ("content-type", "application/json")

    @Test func theTemplatesOfThePackageParse() throws {
        let templates = try PortalTemplates()
        for name in ["layout", "catalog", "endpoint", "usage"] { #expect(templates.library.getTemplate(named: name) != nil, "\(name)") }
        #expect(PortalTemplates.asset("portal.css")?.contentType == "text/css; charset=utf-8")
        #expect(PortalTemplates.asset("portal.js")?.text.contains("try-form") == true)
        #expect(PortalTemplates.asset("layout.mustache") == nil)
    }

    @Test func theCatalogListsEveryEndpointWithItsStateAndChain() async throws {
        let specs = try MCPSDKTests.exampleSpecs + [LifecycleServingTests.deprecated, LifecycleServingTests.successor]
        try await withGateway(specs: specs, fakePort: 1, mock: true) { client, _ in
            let root = try await client.get("/")
            #expect(root.status == 303 && root.header("location") == "/portal")
            let catalog = try await client.get("/portal")
            #expect(catalog.status == 200)
            #expect(catalog.header("content-type") == "text/html; charset=utf-8")
            for name in ["sentiment", "translate", "summarize", "extract_entities", "deprecated"] {
                #expect(catalog.text.contains(#"<a href="/portal/endpoints/\#(name)">\#(name)</a>"#), "\(name)")
            }
            #expect(catalog.text.contains("<code>POST /v1/sentiment</code>"))
            #expect(catalog.text.contains(#"<span class="badge deprecated">deprecated</span>"#))
            #expect(catalog.text.contains("Deprecated since 2026-01-15: use sentiment_v2 instead."))
            #expect(catalog.text.contains(#"<span class="model closed" title="circuit closed">mock/openai/gpt-4o-mini · closed</span>"#))
            #expect(!catalog.text.contains("http"), "no outside links or assets")
            let css = try await client.get("/portal/assets/portal.css")
            #expect(css.status == 200 && css.header("content-type") == "text/css; charset=utf-8")
            #expect(try await client.get("/portal/assets/nope.css").status == 404)
        }
    }

    @Test func anEndpointPageDocumentsItsFieldsChainAndCalls() async throws {
        try await withGateway(specs: try MCPSDKTests.exampleSpecs, fakePort: 1, mock: true) { client, _ in
            let page = try await client.get("/portal/endpoints/sentiment")
            #expect(page.status == 200)
            let html = page.text
            #expect(html.contains("<td><code>text</code></td><td>string</td><td>yes</td><td>at least 1 character; at most 8000 characters</td>"))
            #expect(html.contains(#"<select id="field-language" name="language" data-kind="string">"#))
            #expect(html.contains(#"<textarea id="field-text" name="text" rows="4" data-kind="string" required>I loved every minute of it.</textarea>"#))
            #expect(html.contains(#"<label for="field-text">text <span class="req">(required)</span></label>"#))
            #expect(html.contains(#"<form id="try-form" data-path="/v1/sentiment" novalidate>"#))
            #expect(html.contains("curl -s http://127.0.0.1:\(client.port)/v1/sentiment"))
            #expect(html.contains("Sentiment.Input.self"))
            // The Python call sends the example as JSON text, which Python literals are not (true, null).
            #expect(html.contains("body = r&quot;&quot;&quot;{&quot;text&quot;:&quot;I loved every minute of it.&quot;}&quot;&quot;&quot;"))
            #expect(html.contains("<code>openai/gpt-4o-mini</code>"))
            #expect(html.contains(#"<script src="/portal/assets/portal.js" defer></script>"#))
            // A Host that is not a plain name is not echoed into the page.
            #expect(PortalRoutes.baseURL(authority: "gateway.internal:8080") == "http://gateway.internal:8080")
            #expect(PortalRoutes.baseURL(authority: "x\"><script>") == "http://localhost:8080")
            #expect(try await client.get("/portal/endpoints/nope").status == 404)
        }
    }

    @Test func theUsagePageNeedsTheAdminKeyAndDrawsCharts() async throws {
        let file = TemporarySQLiteFile("promptc-portal")
        defer { file.remove() }
        let path = file.path
        let store = try SQLiteUsageStore(path: path)
        try await store.write([
            UsageRecord(timeMs: Int64(Date().timeIntervalSince1970 * 1000), requestID: "r1", endpoint: "sentiment", consumer: "<b>app</b>",
                        model: "openai/gpt-4o-mini", attempts: 2, status: 200, inputTokens: 10, outputTokens: 5, costUSD: 0.001,
                        latencyMs: 120, cache: nil, fellBack: true, via: "rest"),
        ])
        try await withGateway(specs: try MCPSDKTests.exampleSpecs, fakePort: 1, configExtra: Self.admin, mock: true, usageStore: store) { client, _ in
            let asked = try await client.get("/portal/usage")
            #expect(asked.status == 401)
            #expect(asked.text.contains(#"<form method="post" action="/portal/login" class="login">"#))
            let huge = try await client.post("/portal/login", json: "key=" + String(repeating: "k", count: 5000), headers: [("content-type", "application/x-www-form-urlencoded")])
            #expect(huge.status == 413)
            let wrong = try await client.post("/portal/login", json: "key=nope", headers: [("content-type", "application/x-www-form-urlencoded")])
            #expect(wrong.status == 401 && wrong.text.contains("That is not the admin key."))
            let login = try await client.post("/portal/login", json: "key=\(Self.adminKey)", headers: [("content-type", "application/x-www-form-urlencoded")])
            #expect(login.status == 303 && login.header("location") == "/portal/usage")
            let cookie = try #require(login.header("set-cookie"))
            #expect(cookie.hasPrefix("promptc_portal=") && cookie.contains("HttpOnly") && !cookie.contains(Self.adminKey))
            let token = String(cookie.split(separator: ";")[0])
            let usage = try await client.send("/portal/usage?window=hour", method: .GET, body: nil, headers: [("cookie", token)], timeout: .seconds(5))
            #expect(usage.status == 200)
            #expect(usage.text.contains("Requests, errors and fallbacks by endpoint"))
            #expect(usage.text.contains(#"<svg xmlns="http://www.w3.org/2000/svg""#))
            #expect(usage.text.contains(">sentiment</text>"))
            #expect(usage.text.contains("&lt;b&gt;app&lt;/b&gt;") && !usage.text.contains("<b>app</b>"), "labels are escaped")
            let byHeader = try await client.send("/portal/usage", method: .GET, body: nil, headers: [("authorization", "Bearer \(Self.adminKey)")], timeout: .seconds(5))
            #expect(byHeader.status == 200)
            let logout = try await client.send("/portal/logout", method: .POST, body: nil, headers: [("cookie", token)], timeout: .seconds(5))
            #expect(logout.status == 303)
            let after = try await client.send("/portal/usage", method: .GET, body: nil, headers: [("cookie", token)], timeout: .seconds(5))
            #expect(after.status == 401)
        }
    }

    @Test func portalFalseTurnsItOff() async throws {
        try await withGateway(specs: [sentimentSpec(models: ["openai/gpt-4o-mini"])], fakePort: 1, configExtra: "portal: false", mock: true) { client, _ in
            let statuses = [try await client.get("/portal").status, try await client.get("/").status, try await client.get("/portal/endpoints/sentiment").status]
            #expect(statuses == [404, 404, 404])
        }
    }

    @Test func corsLetsOnlyTheListedOriginsIn() async throws {
        let cors = "cors: { origins: [\"https://app.example.com\"] }"
        try await withGateway(specs: [sentimentSpec(models: ["openai/gpt-4o-mini"])], fakePort: 1, configExtra: cors, mock: true) { client, _ in
            let preflight = try await client.send("/v1/sentiment", method: .OPTIONS, body: nil, headers: [
                ("origin", "https://app.example.com"), ("access-control-request-method", "POST"), ("access-control-request-headers", "content-type"),
            ], timeout: .seconds(5))
            #expect(preflight.status == 204)
            #expect(preflight.header("access-control-allow-origin") == "https://app.example.com")
            #expect(preflight.header("access-control-allow-headers")?.contains("authorization") == true)
            let other = try await client.send("/v1/sentiment", method: .OPTIONS, body: nil, headers: [
                ("origin", "https://evil.example"), ("access-control-request-method", "POST"),
            ], timeout: .seconds(5))
            #expect(other.status == 403 && other.header("access-control-allow-origin") == nil)
            let call = try await client.post("/v1/sentiment", json: #"{"text": "Hi"}"#, headers: [Self.json, ("origin", "https://app.example.com")])
            #expect(call.status == 200)
            #expect(call.header("access-control-allow-origin") == "https://app.example.com")
            #expect(call.header("access-control-expose-headers")?.contains("x-promptc-model") == true)
            let error = try await client.post("/v1/sentiment", json: "{}", headers: [Self.json, ("origin", "https://app.example.com")])
            #expect(error.status == 400 && error.header("access-control-allow-origin") == "https://app.example.com")
            let foreign = try await client.post("/v1/sentiment", json: #"{"text": "Hi"}"#, headers: [Self.json, ("origin", "https://evil.example")])
            #expect(foreign.header("access-control-allow-origin") == nil)
        }
        try await withGateway(specs: [sentimentSpec(models: ["openai/gpt-4o-mini"])], fakePort: 1, mock: true) { client, _ in
            let call = try await client.post("/v1/sentiment", json: #"{"text": "Hi"}"#, headers: [Self.json, ("origin", "https://app.example.com")])
            #expect(call.header("access-control-allow-origin") == nil)
            let preflight = try await client.send("/v1/sentiment", method: .OPTIONS, body: nil, headers: [
                ("origin", "https://app.example.com"), ("access-control-request-method", "POST"),
            ], timeout: .seconds(5))
            #expect(preflight.status == 405)
        }
    }

    @Test func aChartEscapesItsLabelsAndScalesItsBars() {
        let chart = SVGBarChart(
            title: "Requests <by> endpoint", series: [.init(name: "requests", color: "#000")],
            rows: [.init(label: "a&b", values: [10]), .init(label: "c", values: [5]), .init(label: "zero", values: [0])])
        let svg = chart.svg
        #expect(svg.contains("<title>Requests &lt;by&gt; endpoint</title>"))
        #expect(svg.contains(">a&amp;b</text>"))
        let widths = svg.split(separator: "\n").filter { $0.contains(#"class="bar""#) }.compactMap { line -> Double? in
            guard let range = line.range(of: #"width=""#) else { return nil }
            return Double(line[range.upperBound...].prefix { $0 != "\"" })
        }
        #expect(widths.count == 3)
        #expect(widths[0] == 2 * widths[1] && widths[2] == 0)
    }
}
