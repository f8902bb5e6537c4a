import EndpointModel
import Foundation
import MCP
import NIOCore
import NIOEmbedded
import Testing
@testable import PromptGateway

/// The HTTP side of `/mcp` that an SDK client never shows: keys, `Origin`, sessions and their
/// bounds, and the stdio transport's line reading.
@Suite("MCP sessions and transports", .serialized)
struct MCPSessionTests {
    static let accept = ("accept", "application/json, text/event-stream")
    static let json = ("content-type", "application/json")
    static let initialize = #"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"test","version":"1"}}}"#
    static let list = #"{"jsonrpc":"2.0","id":2,"method":"tools/list"}"#

    static func open(_ client: GatewayClient, headers: [(String, String)] = []) async throws -> String? {
        let answer = try await client.post("/mcp", json: initialize, headers: [json, accept] + headers)
        #expect(answer.status == 200, "\(answer.text)")
        #expect(answer.body["result"]?["serverInfo"]?["name"] == "promptc")
        return answer.header("mcp-session-id")
    }

    @Test func keysOriginAndMethodsAreChecked() async throws {
        try await withFake(FakeProvider()) { port in
            try await withGateway(specs: [MCPSDKTests.fallbackSpec, MCPSDKTests.secondSpec], fakePort: port, configExtra: MCPSDKTests.consumers) { client, _ in
                let missing = try await client.post("/mcp", json: Self.initialize, headers: [Self.json, Self.accept])
                #expect(missing.status == 401)
                #expect(missing.error?["type"] == "unauthorized")
                let wrong = try await client.post("/mcp", json: Self.initialize, headers: [Self.json, Self.accept, ("x-api-key", "pc_not-a-key")])
                #expect(wrong.status == 401)

                let agent = ("authorization", "Bearer \(MCPSDKTests.agentKey)")
                let fromPage = try await client.post("/mcp", json: Self.initialize, headers: [Self.json, Self.accept, agent, ("origin", "http://rebound.example")])
                #expect(fromPage.status == 403)
                #expect(fromPage.error?["type"] == "forbidden")
                let fromLocalPage = try await client.post("/mcp", json: Self.initialize, headers: [Self.json, Self.accept, agent, ("origin", "http://localhost:3000")])
                #expect(fromLocalPage.status == 200)

                let session = try #require(try await Self.open(client, headers: [agent]))
                let listed = try await client.post("/mcp", json: Self.list, headers: [Self.json, Self.accept, agent, ("mcp-session-id", session)])
                #expect(listed.body["result"]?["tools"]?.arrayValue?.compactMap { $0["name"]?.stringValue } == ["sentiment"])
                // Another consumer's key does not reach this session.
                let other = ("x-api-key", MCPSDKTests.otherKey)
                let stolen = try await client.post("/mcp", json: Self.list, headers: [Self.json, Self.accept, other, ("mcp-session-id", session)])
                #expect(stolen.status == 404)
                let unknown = try await client.post("/mcp", json: Self.list, headers: [Self.json, Self.accept, agent, ("mcp-session-id", "no-such-session")])
                #expect(unknown.status == 404)
                let noSession = try await client.post("/mcp", json: Self.list, headers: [Self.json, Self.accept, agent])
                #expect(noSession.status == 400)
                #expect(noSession.body["error"]?["message"]?.stringValue?.contains("send initialize first") == true)

                let get = try await client.send("/mcp", method: .GET, body: nil, headers: [("accept", "text/event-stream"), agent, ("mcp-session-id", session)], timeout: .seconds(5))
                #expect(get.status == 405)
                let ended = try await client.send("/mcp", method: .DELETE, body: nil, headers: [agent, ("mcp-session-id", session)], timeout: .seconds(5))
                #expect(ended.status == 200)
                let afterEnd = try await client.post("/mcp", json: Self.list, headers: [Self.json, Self.accept, agent, ("mcp-session-id", session)])
                #expect(afterEnd.status == 404)
                let put = try await client.send("/mcp", method: .PUT, body: nil, headers: [agent], timeout: .seconds(5))
                #expect(put.status == 405)
            }
        }
    }

    @Test func aBodyOverTheLimitIsRefused() async throws {
        try await withFake(FakeProvider()) { port in
            try await withGateway(specs: [MCPSDKTests.fallbackSpec], fakePort: port, configExtra: "max_body_bytes: 1024") { client, _ in
                let big = #"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"pad":""# + String(repeating: "x", count: 2_000) + #""}}"#
                let answer = try await client.post("/mcp", json: big, headers: [Self.json, Self.accept])
                #expect(answer.status == 413)
            }
        }
    }

    /// At most `maximumSessions`: a new session pushes out the least recently used one.
    @Test func sessionsAreBoundedByCountAndIdleTime() async throws {
        try await withFake(FakeProvider()) { port in
            try await withGateway(specs: [MCPSDKTests.fallbackSpec], fakePort: port) { _, gateway in
                let sessions = MCPSessions(toolbox: gateway.mcpToolbox, maximumSessions: 2)
                let first = try #require(await Self.post(Self.initialize, to: sessions).headers[HTTPHeaderName.sessionID])
                let second = try #require(await Self.post(Self.initialize, to: sessions).headers[HTTPHeaderName.sessionID])
                #expect(await Self.post(Self.list, to: sessions, session: first).statusCode == 200)  // first is now the most recently used
                let third = try #require(await Self.post(Self.initialize, to: sessions).headers[HTTPHeaderName.sessionID])
                #expect(await sessions.count == 2)
                #expect(await Self.post(Self.list, to: sessions, session: second).statusCode == 404)
                #expect(await Self.post(Self.list, to: sessions, session: first).statusCode == 200)
                #expect(await Self.post(Self.list, to: sessions, session: third).statusCode == 200)

                let idle = MCPSessions(toolbox: gateway.mcpToolbox, idleTimeout: .zero)
                let session = try #require(await Self.post(Self.initialize, to: idle).headers[HTTPHeaderName.sessionID])
                #expect(await Self.post(Self.list, to: idle, session: session).statusCode == 404)
                #expect(await idle.count == 0)
            }
        }
    }

    static func post(_ body: String, to sessions: MCPSessions, session: String? = nil) async -> MCP.HTTPResponse {
        var headers = ["Content-Type": "application/json", "Accept": "application/json, text/event-stream"]
        if let session { headers["Mcp-Session-Id"] = session }
        return await sessions.handle(MCP.HTTPRequest(method: "POST", headers: headers, body: Data(body.utf8), path: "/mcp"), consumer: nil)
    }

    @Test func stdioLinesAreSplitAndBounded() throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(LineDecoder(maximumBytes: 16)))
        try channel.writeInbound(ByteBuffer(string: "{\"a\":1}\r\n\n  \n{\"b\":"))
        try channel.writeInbound(ByteBuffer(string: "2}\n" + String(repeating: "x", count: 20)))
        try channel.writeInbound(ByteBuffer(string: "yyy\n{\"c\":3}\n" + String(repeating: "z", count: 17) + "\n{}"))
        var lines: [String] = []
        while let line = try channel.readInbound(as: LineDecoder.Line.self) {
            switch line {
            case .message(let buffer): lines.append(String(buffer: buffer))
            case .overlong: lines.append("(overlong)")
            }
        }
        #expect(lines == [#"{"a":1}"#, #"{"b":2}"#, "(overlong)", #"{"c":3}"#, "(overlong)"])
        _ = try channel.finish()
    }

    @Test func stdioOwesAnAnswerToEachRequestItRead() {
        #expect(StdioLineTransport.requestID(Data(#"{"jsonrpc":"2.0","id":7,"method":"tools/list"}"#.utf8)) == "7")
        #expect(StdioLineTransport.requestID(Data(#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#.utf8)) == nil)
        #expect(StdioLineTransport.responseID(Data(#"{"jsonrpc":"2.0","id":"a","result":{}}"#.utf8)) == #""a""#)
        #expect(StdioLineTransport.responseID(Data(#"{"jsonrpc":"2.0","id":7,"method":"ping"}"#.utf8)) == nil)
    }
}
