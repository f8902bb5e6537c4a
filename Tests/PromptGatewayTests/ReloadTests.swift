import AsyncHTTPClient
import EndpointModel
import Foundation
import NIOCore
import Testing
@testable import PromptGateway

/// Reloading without a restart (gateway-contract.md, Reloading without a restart): a new core
/// swapped in under load, the old one kept when the new routes do not load, and circuit
/// states, caches and limits of what did not change carried over.
@Suite("Reloads")
struct ReloadTests {
    static let request = #"{"text": "I loved it"}"#
    static let v1 = sentimentSpec(models: ["openai/gpt-4o-mini"])
    static let v2 = v1.replacingOccurrences(of: "Classify the sentiment. Answer in JSON.", with: "Classify the sentiment, version two.")

    /// A client with room for hundreds of connections at once.
    static let wideClient: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = 500
        return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }()

    static func post(_ port: Int, _ path: String = "/v1/sentiment") async -> Int {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)")
        request.method = .POST
        request.headers.add(name: "content-type", value: "application/json")
        request.body = .bytes(ByteBuffer(string: Self.request))
        do {
            let response = try await wideClient.execute(request, timeout: .seconds(30))
            _ = try await response.body.collect(upTo: 1 << 20)
            return Int(response.status.code)
        } catch {
            return -1
        }
    }

    /// Waits, without a fixed sleep, until `condition` holds (or fails the test after 25 s: the
    /// whole suite running beside it on two busy cores once took more than 10 s to get 300
    /// requests to the fake; each request itself may take 30 s).
    static func eventually(_ condition: () -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(25)
        while !condition() {
            guard ContinuousClock.now < deadline else { throw HarnessError("the condition did not hold within 25 s") }
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    /// 300 requests in flight when the routes change, 100 more after: not one fails. Those that
    /// started before the reload ran on the old prompt, those after on the new one, and an
    /// endpoint the reload added answers.
    @Test func aReloadUnderLoadFailsNoRequest() async throws {
        let fake = FakeProvider(default: .slow(milliseconds: 300, ["label": "positive", "score": 0.5]))
        try await withFake(fake) { fakePort in
            try await withGateway(specs: [Self.v1], fakePort: fakePort) { client, gateway in
                let port = client.port
                let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                    for _ in 0..<300 { group.addTask { await Self.post(port) } }
                    try await Self.eventually { fake.callCount >= 200 }
                    let next = try compileForHarness(specs: [Self.v2, sentimentSpec(name: "added", models: ["openai/gpt-4o-mini"])], fakePort: fakePort)
                    let summary = try gateway.reload(next.table, settings: next.settings, openAPI: nil)
                    #expect(summary.changed == ["sentiment"])
                    #expect(summary.added == ["added"])
                    for _ in 0..<100 { group.addTask { await Self.post(port) } }
                    group.addTask { await Self.post(port, "/v1/added") }
                    var statuses: [Int] = []
                    for try await status in group { statuses.append(status) }
                    return statuses
                }
                #expect(statuses.count == 401)
                #expect(statuses.allSatisfy { $0 == 200 }, "\(Dictionary(grouping: statuses, by: { $0 }).mapValues(\.count))")
                let systems = fake.received.compactMap { $0.body["messages"]?[0]?["content"]?.stringValue }
                // The 200 the fake had seen ran on the old prompt, the 100 sent after the reload on
                // the new one; the other 100 on either, by when their heads were read. The
                // endpoint the reload added has the old prompt's text.
                let old = systems.count { $0.hasPrefix("Classify the sentiment. Answer in JSON.") }
                let new = systems.count { $0.hasPrefix("Classify the sentiment, version two.") }
                #expect(old >= 201 && new >= 100 && old + new == 401, "old prompt \(old), new prompt \(new)")
            }
        }
    }

    /// Routes that do not load leave the old ones serving.
    @Test func routesThatDoNotLoadKeepTheOldOnes() async throws {
        let fake = FakeProvider()
        try await withFake(fake) { fakePort in
            try await withGateway(specs: [Self.v1], fakePort: fakePort) { client, gateway in
                let ready = try await client.get("/readyz")
                var broken = try compileForHarness(specs: [Self.v1], fakePort: fakePort)
                broken.table.endpoints[0].models[0] = .init(model: "pool/missing", provider: "pool", name: "missing", timeoutMs: nil, retries: nil, parameters: .init())
                #expect(throws: RouteLoadError.self) { try gateway.reload(broken.table, settings: broken.settings, openAPI: nil) }
                // The source of a reload that throws (specs that do not compile) changes nothing either.
                let service = await ReloadService(gateway: gateway, source: { throw HarnessError("specs do not compile") })
                service.reloadOnce()
                #expect(try await client.post("/v1/sentiment", json: Self.request).status == 200)
                #expect(try await client.get("/readyz").body == ready.body)
            }
        }
    }

    /// /readyz names the routes being served and when they were loaded.
    @Test func readyzSaysWhichRoutes() async throws {
        let fake = FakeProvider()
        try await withFake(fake) { fakePort in
            try await withGateway(specs: [Self.v1], fakePort: fakePort) { client, gateway in
                let before = try await client.get("/readyz")
                let sha = try #require(before.body["routes_sha256"]?.stringValue)
                #expect(sha.count == 64)
                #expect(before.body["loaded_at"]?.stringValue?.hasSuffix("Z") == true)
                let next = try compileForHarness(specs: [Self.v2], fakePort: fakePort)
                try gateway.reload(next.table, settings: next.settings, openAPI: nil)
                let after = try await client.get("/readyz")
                #expect(after.body["routes_sha256"]?.stringValue != sha)
                #expect(after.body["routes_sha256"]?.stringValue == GatewayCore.digest(next.table))
                #expect(after.body["loaded_at"] != before.body["loaded_at"])
            }
        }
    }

    /// An open circuit stays open across a reload: the model is not called until it half-opens.
    @Test func circuitStatesCarryOver() async throws {
        let fake = FakeProvider()
        fake.enqueue(.status(500), .status(500), .status(500))
        try await withFake(fake) { fakePort in
            try await withGateway(specs: [Self.v1], fakePort: fakePort, circuitBreaker: "{ failures: 3, open_for: 60s }") { client, gateway in
                for _ in 0..<3 { #expect(try await client.post("/v1/sentiment", json: Self.request).status == 502) }
                let calls = fake.callCount
                let next = try compileForHarness(specs: [Self.v1, sentimentSpec(name: "other", models: ["openai/other"])], fakePort: fakePort,
                                                 circuitBreaker: "{ failures: 3, open_for: 60s }")
                try gateway.reload(next.table, settings: next.settings, openAPI: nil)
                let skipped = try await client.post("/v1/sentiment", json: Self.request)
                #expect(skipped.status == 503)
                #expect(skipped.outcomes == ["circuit_open"])
                #expect(fake.callCount == calls)
                #expect(try await client.post("/v1/other", json: Self.request).status == 200)
            }
        }
    }

    /// An unchanged endpoint's cached answers are still there after a reload; a changed
    /// endpoint (its spec's hash is in the key) asks its model again.
    @Test func cacheEntriesOfUnchangedEndpointsCarryOver() async throws {
        let fake = FakeProvider()
        let cached = "cache:\n  ttl: 5m\n"
        let kept = sentimentSpec(name: "kept", models: ["openai/gpt-4o-mini"], extra: cached)
        let edited = sentimentSpec(name: "edited", models: ["openai/gpt-4o-mini"], extra: cached)
        try await withFake(fake) { fakePort in
            try await withGateway(specs: [kept, edited], fakePort: fakePort) { client, gateway in
                for path in ["/v1/kept", "/v1/edited"] {
                    #expect(try await client.post(path, json: Self.request).header("x-promptc-cache") == "miss")
                }
                let next = try compileForHarness(
                    specs: [kept, edited.replacingOccurrences(of: "Answer in JSON.", with: "Answer in JSON only.")], fakePort: fakePort)
                try gateway.reload(next.table, settings: next.settings, openAPI: nil)
                #expect(try await client.post("/v1/kept", json: Self.request).header("x-promptc-cache") == "hit")
                #expect(try await client.post("/v1/edited", json: Self.request).header("x-promptc-cache") == "miss")
                #expect(fake.callCount == 3)
            }
        }
    }

    /// A consumer configured as before keeps its count: a reload hands out no fresh allowance.
    @Test func consumerLimitsCarryOver() async throws {
        let fake = FakeProvider()
        let key = "pc_reload-key-for-tests"
        let consumers = "consumers:\n  - name: app\n    key_sha256: \(ConsumerKey.sha256Hex(of: key))\n    rate_limit: 2/min\n"
        let headers = [("content-type", "application/json"), ("authorization", "Bearer \(key)")]
        try await withFake(fake) { fakePort in
            try await withGateway(specs: [Self.v1], fakePort: fakePort, configExtra: consumers) { client, gateway in
                for _ in 0..<2 { #expect(try await client.post("/v1/sentiment", json: Self.request, headers: headers).status == 200) }
                let next = try compileForHarness(specs: [Self.v2], fakePort: fakePort, configExtra: consumers)
                try gateway.reload(next.table, settings: next.settings, openAPI: nil)
                let over = try await client.post("/v1/sentiment", json: Self.request, headers: headers)
                #expect(over.status == 429)
            }
        }
    }
}
