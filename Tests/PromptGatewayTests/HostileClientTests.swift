import EndpointModel
import Foundation
import NIOCore
import Testing
@testable import PromptGateway

/// What any one client may hold of the gateway is bounded (gateway-contract.md, Limits,
/// timeouts and failure accounting): answer size, time to send a request, idle time,
/// connections.
@Suite("Hostile clients")
struct HostileClientTests {
    static let keys = ["OPENAI_API_KEY": "sk-test-openai"]

    static let listSpec = """
        name: tally
        description: Count things.
        route: POST /v1/tally
        input:
          items: { type: array, items: { type: integer } }
        output:
          total: integer
        models:
          - openai/gpt-4o-mini
        prompt:
          user: "{{#items}}{{.}} {{/items}}"
        """

    /// Close to 1 MiB of wrong items: the 400 lists the first 100, counts the rest, and stays small.
    @Test func aLongArrayOfWrongItemsGetsABoundedAnswer() async throws {
        let count = 200_000
        let body = #"{"items": ["# + Array(repeating: #""x""#, count: count).joined(separator: ",") + "]}"
        #expect(body.utf8.count < 1 << 20)
        try await withFake(FakeProvider()) { port in
            try await withGateway(specs: [Self.listSpec], fakePort: port, environment: Self.keys) { client, _ in
                let answer = try await client.post("/v1/tally", json: body)
                #expect(answer.status == 400)
                #expect(answer.error?["details"]?.arrayValue?.count == 100)
                #expect(answer.error?["more"]?.intValue == count - 100)
                #expect(answer.text.utf8.count < 16 << 10)
            }
        }
    }

    @Test func maxErrorDetailsIsConfigurable() async throws {
        let body = #"{"items": ["a", "b", "c", "d"]}"#
        try await withFake(FakeProvider()) { port in
            try await withGateway(
                specs: [Self.listSpec], fakePort: port, configExtra: "limits: { max_error_details: 2 }", environment: Self.keys
            ) { client, _ in
                let answer = try await client.post("/v1/tally", json: body)
                #expect(answer.error?["details"]?.arrayValue?.compactMap { $0["path"]?.stringValue } == ["/items/0", "/items/1"])
                #expect(answer.error?["more"]?.intValue == 2)
            }
        }
    }

    @Test func nullIsAValueNotAnAbsentField() async throws {
        try await withFake(FakeProvider()) { port in
            try await withGateway(specs: [sentimentSpec(models: ["openai/gpt-4o-mini"])], fakePort: port, environment: Self.keys) { client, _ in
                let answer = try await client.post("/v1/sentiment", json: #"{"text": "hi", "language": null}"#)
                #expect(answer.status == 400)
                #expect(answer.error?["details"]?.arrayValue?.first?["path"]?.stringValue == "/language")
            }
        }
    }

    /// A slowloris client: part of a head, then nothing. It gets a 408 and the connection closes.
    @Test(arguments: [
        "POST /v1/sentiment HTTP/1.1\r\nhost: x\r\ncontent-ty",
        "POST /v1/sentiment HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{\"text\": ",
    ])
    func aClientThatSendsTooSlowlyGets408(prefix: String) async throws {
        let logs = LogCapture()
        try await withFake(FakeProvider()) { port in
            try await withGateway(
                specs: [sentimentSpec(models: ["openai/gpt-4o-mini"])], fakePort: port, configExtra: "limits: { client_timeout: 300ms }",
                environment: Self.keys, logs: logs
            ) { client, _ in
                let started = ContinuousClock.now
                let received = try await RawConnection.connect(port: client.port).send(prefix)
                #expect(received.hasPrefix("HTTP/1.1 408"))
                #expect(received.contains(#""type":"request_timeout""#))
                #expect(ContinuousClock.now - started < .seconds(10))
                // The 408 is logged as the pipeline (or the timeout guard) lets go of the request,
                // a moment after the client has it.
                while !logs.hasLine(with: "request", "status=408"), ContinuousClock.now - started < .seconds(10) {
                    try await Task.sleep(for: .milliseconds(20))
                }
                #expect(logs.hasLine(with: "request", "status=408"))
                // The gateway still serves.
                #expect(try await client.post("/v1/sentiment", json: #"{"text": "hi"}"#).status == 200)
            }
        }
    }

    /// The client timeout covers one request: a keep-alive connection whose requests are each
    /// quick is not cut off, however long it lives.
    @Test func aQuickRequestOnAnOldConnectionIsNotCutOff() async throws {
        try await withFake(FakeProvider()) { port in
            try await withGateway(
                specs: [sentimentSpec(models: ["openai/gpt-4o-mini"])], fakePort: port, configExtra: "limits: { client_timeout: 300ms }",
                environment: Self.keys
            ) { client, _ in
                for _ in 0..<4 {
                    #expect(try await client.get("/healthz").status == 200)
                    try await Task.sleep(for: .milliseconds(150))
                }
            }
        }
    }

    @Test func anIdleConnectionIsClosed() async throws {
        try await withFake(FakeProvider()) { port in
            try await withGateway(
                // Long enough that a busy machine (CI runs the suites in parallel) writes the
                // request before the connection counts as idle; short enough to wait for.
                specs: [sentimentSpec(models: ["openai/gpt-4o-mini"])], fakePort: port, configExtra: "limits: { idle_timeout: 2s }",
                environment: Self.keys
            ) { client, _ in
                let started = ContinuousClock.now
                // A keep-alive request answered, then nothing: the server closes the connection.
                let received = try await RawConnection.connect(port: client.port).send("GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n")
                #expect(received.hasPrefix("HTTP/1.1 200"))
                #expect(ContinuousClock.now - started < .seconds(10))
            }
        }
    }

    /// With `max_connections: 1`, a second connection waits in the backlog until the first closes.
    @Test func connectionsBeyondTheLimitWaitForOneToClose() async throws {
        try await withFake(FakeProvider()) { port in
            try await withGateway(
                specs: [sentimentSpec(models: ["openai/gpt-4o-mini"])], fakePort: port, configExtra: "limits: { max_connections: 1 }",
                environment: Self.keys
            ) { client, _ in
                let first = try await RawConnection.connect(port: client.port)
                // The first connection is open and idle; the second one's request waits.
                let (second, closedAt) = try await first.channel.executeThenClose { inbound, outbound in
                    try await outbound.write(ByteBuffer(string: "GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n"))
                    var iterator = inbound.makeAsyncIterator()
                    let head = try await iterator.next().map { String(buffer: $0) } ?? ""
                    #expect(head.hasPrefix("HTTP/1.1 200"))
                    let second = Task {
                        let answer = try await RawConnection.connect(port: client.port)
                            .send("GET /healthz HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
                        return (answer, ContinuousClock.now)
                    }
                    try await Task.sleep(for: .milliseconds(500))
                    return (second, ContinuousClock.now)  // leaving closes the first connection
                }
                let (answer, answeredAt) = try await second.value
                #expect(answer.hasPrefix("HTTP/1.1 200"))
                #expect(answeredAt > closedAt, "the second connection was served while the first held the only slot")
            }
        }
    }
}
