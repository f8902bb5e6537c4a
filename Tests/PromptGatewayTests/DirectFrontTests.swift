import EndpointModel
import HTTPTypes
import Logging
import Testing
@testable import PromptGateway

/// `DirectFrontHandler`: plain prompt requests and chat completions answered before
/// Hummingbird's router, on the same connections as the requests the router answers.
@Suite("Direct front")
struct DirectFrontTests {
    static let keys = ["OPENAI_API_KEY": "sk-test-openai"]
    static let sentiment = #"{"text": "I loved it"}"#
    static let chat = #"{"model": "openai/gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}"#

    static func post(_ path: String, id: String, body: String, headers: String = "") -> String {
        "POST \(path) HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\nx-request-id: \(id)\r\n"
            + "content-length: \(body.utf8.count)\r\n\(headers)\r\n\(body)"
    }

    static func get(_ path: String, id: String, headers: String = "") -> String {
        "GET \(path) HTTP/1.1\r\nhost: localhost\r\nx-request-id: \(id)\r\n\(headers)\r\n"
    }

    /// Pipelined requests, some answered directly (slowly: the provider takes 300 ms), some by
    /// the router (at once): the answers come back in the order the requests were sent.
    @Test(.timeLimit(.minutes(1)))
    func pipelinedAnswersKeepTheirOrder() async throws {
        let fake = FakeProvider(default: .slow(milliseconds: 300, ["label": "positive", "score": 0.9]))
        try await withFake(fake) { port in
            try await withGateway(specs: [sentimentSpec(models: ["openai/gpt-4o-mini"])], fakePort: port, environment: Self.keys) { client, _ in
                let connection = try await RawConnection.connect(port: client.port)
                let answers = try await connection.converse { conversation in
                    try await conversation.send(
                        Self.post("/v1/sentiment", id: "one", body: Self.sentiment) + Self.get("/healthz", id: "two")
                            + Self.post("/v1/sentiment?trace=1", id: "three", body: Self.sentiment)
                            + Self.post("/v1/chat/completions", id: "four", body: Self.chat)
                            + Self.get("/v1/nothing", id: "five", headers: "connection: close\r\n"))
                    var answers: [RawAnswer] = []
                    while let answer = try await conversation.nextAnswer() { answers.append(answer) }
                    return answers
                }
                #expect(answers.map { $0.header("x-request-id") } == ["one", "two", "three", "four", "five"])
                #expect(answers.map(\.status) == [200, 200, 200, 200, 404])
                let first = try #require(answers.first)
                #expect(try JSONParser.parse(Array(first.body.utf8)) == ["label": "positive", "score": 0.9])
                #expect(first.header("x-promptc-model") == "openai/gpt-4o-mini")
                #expect(first.header("date")?.hasSuffix(" GMT") == true)
                #expect(answers[3].body.contains(#""object":"chat.completion""#))
            }
        }
    }

    /// A refusal goes out before the body has all come; the rest of the body is read past,
    /// and the connection serves the next request, which ends it with `Connection: close`.
    @Test(.timeLimit(.minutes(1)))
    func anEarlyAnswerLeavesTheConnectionUsable() async throws {
        try await withFake(FakeProvider()) { port in
            try await withGateway(
                specs: ConsumerTests.specs, fakePort: port, configExtra: ConsumerTests.consumers, environment: Self.keys
            ) { client, _ in
                let connection = try await RawConnection.connect(port: client.port)
                try await connection.converse { conversation in
                    let whole = Self.post("/v1/sentiment", id: "refused", body: Self.sentiment)
                    let half = whole.utf8.count - 8
                    try await conversation.send(String(whole.prefix(half)))
                    let refused = try #require(try await conversation.nextAnswer())
                    #expect(refused.status == 401)
                    #expect(refused.header("x-request-id") == "refused")
                    try await conversation.send(String(whole.dropFirst(half)))
                    try await conversation.send(Self.post(
                        "/v1/sentiment", id: "admitted", body: Self.sentiment,
                        headers: "authorization: Bearer \(ConsumerTests.appKey)\r\nconnection: close\r\n"))
                    let admitted = try #require(try await conversation.nextAnswer())
                    #expect(admitted.status == 200)
                    #expect(admitted.header("x-request-id") == "admitted")
                    #expect(admitted.header("ratelimit-limit") == "3")
                    #expect(try await conversation.closesWithNothingMore())
                }
            }
        }
    }

    /// A chunked body that outgrows `max_body_bytes` gets its 413 as soon as it does, not when
    /// the client stops sending; the connection then goes on.
    @Test(.timeLimit(.minutes(1)))
    func aBodyOverTheLimitIsRefusedAsItGrows() async throws {
        try await withFake(FakeProvider()) { port in
            try await withGateway(
                specs: [sentimentSpec(models: ["openai/gpt-4o-mini"])], fakePort: port, configExtra: "max_body_bytes: 200", environment: Self.keys
            ) { client, _ in
                let connection = try await RawConnection.connect(port: client.port)
                try await connection.converse { conversation in
                    let chunk = String(repeating: " ", count: 100)
                    try await conversation.send(
                        "POST /v1/sentiment HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n"
                            + "64\r\n\(chunk)\r\n64\r\n\(chunk)\r\n64\r\n\(chunk)\r\n")
                    let refused = try #require(try await conversation.nextAnswer())
                    #expect(refused.status == 413)
                    #expect(refused.body.contains("payload_too_large"))
                    try await conversation.send("0\r\n\r\n" + Self.post("/v1/sentiment", id: "next", body: Self.sentiment))
                    let next = try #require(try await conversation.nextAnswer())
                    #expect(next.status == 200)
                    #expect(next.header("x-request-id") == "next")
                }
            }
        }
    }

    /// A field sent twice is read whole, as the router reads it: two media types are not JSON
    /// (415), though the first alone is; a second request id is not one usable id.
    @Test(.timeLimit(.minutes(1)))
    func aRepeatedFieldIsReadWhole() async throws {
        try await withFake(FakeProvider()) { port in
            try await withGateway(specs: [sentimentSpec(models: ["openai/gpt-4o-mini"])], fakePort: port, environment: Self.keys) { client, _ in
                let connection = try await RawConnection.connect(port: client.port)
                try await connection.converse { conversation in
                    try await conversation.send(Self.post(
                        "/v1/sentiment", id: "twice", body: Self.sentiment, headers: "content-type: text/plain\r\nx-request-id: again\r\n"))
                    let refused = try #require(try await conversation.nextAnswer())
                    #expect(refused.status == 415)
                    #expect(refused.body.contains("application/json, text/plain"))
                    #expect(refused.header("x-request-id").map { !["twice", "again"].contains($0) } == true)
                    try await conversation.send(Self.post("/v1/sentiment", id: "once", body: Self.sentiment))
                    let answered = try #require(try await conversation.nextAnswer())
                    #expect(answered.status == 200)
                    #expect(answered.header("x-request-id") == "once")
                }
            }
        }
    }

    /// Which requests are answered directly: plain POSTs to an endpoint or to chat
    /// completions; streams, other methods and paths, and pages' requests under `cors:` go to
    /// the router.
    @Test func theRouterKeepsEverythingElse() async throws {
        try await withFake(FakeProvider()) { port in
            try await withGateway(specs: [sentimentSpec(models: ["openai/gpt-4o-mini"])], fakePort: port, environment: Self.keys) { _, gateway in
                let exchange = DirectExchange(cores: gateway.cores, maxBodyBytes: 1024, corsEnabled: true, logger: Logger(label: "test"))
                func kind(_ method: HTTPRequest.Method, _ path: String, _ fields: HTTPFields = [:]) -> String? {
                    guard let route = exchange.route(HTTPRequest(method: method, scheme: nil, authority: nil, path: path, headerFields: fields), peer: nil) else {
                        return nil
                    }
                    switch route.kind {
                    case .prompt(let endpoint): return endpoint.name
                    case .chat: return "chat"
                    }
                }
                #expect(kind(.post, "/v1/sentiment") == "sentiment")
                #expect(kind(.post, "/v1/sentiment?x=1#y") == "sentiment")
                #expect(kind(.post, "/v1/chat/completions") == "chat")
                #expect(kind(.post, "/v1/sentiment", [.accept: "text/event-stream"]) == nil)
                #expect(kind(.post, "/v1/sentiment", [.origin: "https://app.example"]) == nil)
                #expect(kind(.get, "/v1/sentiment") == nil)
                #expect(kind(.post, "/v1/sentiments") == nil)
                #expect(kind(.post, "/mcp") == nil)
                #expect(exchange.route(HTTPRequest(method: .post, scheme: nil, authority: nil, path: "/v1/sentiment"), peer: nil)?.recording.outcome.snapshot.endpoint == "sentiment")
            }
        }
    }
}
