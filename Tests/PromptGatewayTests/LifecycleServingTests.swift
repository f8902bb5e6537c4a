import EndpointModel
import Foundation
import Testing
@testable import PromptGateway

/// Deprecation, sunset and retirement as clients see them (gateway-contract.md, Deprecation,
/// sunset, retirement), over REST and MCP.
@Suite("Lifecycle when serving", .serialized)
struct LifecycleServingTests {
    static let request = #"{"text": "I loved it"}"#
    static let successor = sentimentSpec(name: "sentiment_v2", models: ["openai/gpt-4o-mini"])
    static func spec(_ name: String, lifecycle: String) -> String {
        sentimentSpec(name: name, models: ["openai/gpt-4o-mini"], extra: "lifecycle:\n" + lifecycle)
    }
    /// Deprecated in the past, sunset in the future.
    static let deprecated = spec("deprecated", lifecycle: "  deprecated: 2026-01-15\n  sunset: 2999-06-30\n  successor: sentiment_v2\n")
    static let announced = spec("announced", lifecycle: "  deprecated: 2999-01-01\n  sunset: 2999-06-30\n")
    static let sunset = spec("sunset", lifecycle: "  deprecated: 2025-01-01\n  sunset: 2026-01-01\n  successor: sentiment_v2\n")
    static let retired = spec("retired", lifecycle: "  retired: true\n")
    static var specs: [String] { [successor, deprecated, announced, sunset, retired] }

    @Test func deprecatedEndpointsSaySoOnEveryAnswer() async throws {
        try await withFake(FakeProvider()) { port in
            try await withGateway(specs: Self.specs, fakePort: port) { client, _ in
                for body in [Self.request, #"{"text": ""}"#] {
                    let answer = try await client.post("/v1/deprecated", json: body)
                    #expect(answer.status == (body == Self.request ? 200 : 400))
                    #expect(answer.header("deprecation") == "@\(Lifecycle.startOfDay("2026-01-15") ?? 0)")
                    #expect(answer.header("link") == #"</v1/sentiment_v2>; rel="successor-version""#)
                    #expect(answer.header("sunset") == "Sun, 30 Jun 2999 00:00:00 GMT")
                }
                // Before its deprecation date an endpoint is not deprecated yet; its sunset is known.
                let early = try await client.post("/v1/announced", json: Self.request)
                #expect(early.status == 200)
                #expect(early.header("deprecation") == nil)
                #expect(early.header("sunset") == "Sun, 30 Jun 2999 00:00:00 GMT")
                let current = try await client.post("/v1/sentiment_v2", json: Self.request)
                #expect(current.header("deprecation") == nil && current.header("sunset") == nil && current.header("link") == nil)
            }
        }
    }

    @Test func pastItsSunsetOrRetiredAnEndpointIsGone() async throws {
        let file = TemporarySQLiteFile("promptc-gone")
        defer { file.remove() }
        let path = file.path
        let fake = FakeProvider()
        try await withFake(fake) { port in
            try await withGateway(specs: Self.specs, fakePort: port, usageStore: try SQLiteUsageStore(path: path)) { client, _ in
                let sunset = try await client.post("/v1/sunset", json: Self.request, headers: [("content-type", "application/json"), ("x-request-id", "gone-1")])
                #expect(sunset.status == 410)
                #expect(sunset.error?["type"] == "gone")
                #expect(sunset.error?["message"]?.stringValue?.contains("call sentiment_v2 at POST /v1/sentiment_v2 instead") == true)
                #expect(sunset.header("sunset") == "Thu, 01 Jan 2026 00:00:00 GMT")
                let retired = try await client.post("/v1/retired", json: Self.request)
                #expect(retired.status == 410)
                #expect(retired.error?["message"] == "this endpoint has been retired")
                // Gone before anything else: no body read, no model called.
                let streamed = try await client.post("/v1/retired", json: "not json", headers: [("content-type", "application/json"), ("accept", "text/event-stream")])
                #expect(streamed.status == 410)
            }
        }
        #expect(fake.callCount == 0)
        let record = try #require(try await SQLiteUsageStore(path: path).records(sinceMs: 0).first { $0.requestID == "gone-1" })
        #expect(record.status == 410 && record.endpoint == "sunset")
    }

    @Test func mcpShowsDeprecationAndHidesWhatIsGone() async throws {
        try await withFake(FakeProvider()) { port in
            try await withGateway(specs: Self.specs, fakePort: port) { _, gateway in
                let tools = Dictionary(gateway.mcpToolbox.tools(for: nil).map { ($0.name, $0.description ?? "") }) { $1 }
                #expect(Set(tools.keys) == ["sentiment_v2", "deprecated", "announced"])
                #expect(tools["deprecated"]?.hasSuffix("\n\nDeprecated since 2026-01-15: use sentiment_v2 instead. It stops answering on 2999-06-30.") == true)
                #expect(tools["announced"]?.hasSuffix("\n\nDeprecated from 2999-01-01. It stops answering on 2999-06-30.") == true)
                #expect(tools["sentiment_v2"] == "Classify the sentiment of a text.")
                let result = try await gateway.mcpToolbox.call(.init(name: "retired", arguments: ["text": "Hi"]), caller: MCPCaller())
                #expect(result.isError == true)
                guard case .text(let text, _, _)? = result.content.first else {
                    Issue.record("no text content")
                    return
                }
                #expect(text.contains(#""type":"gone""#))
            }
        }
    }
}
