import EndpointModel
import Foundation
import PromptCompiler
import PromptcEndpoints
import Testing
@testable import PromptGateway

/// The request pipeline, the operational endpoints, secrets and templates, end to end.
@Suite("Request pipeline", .serialized)
struct PipelineTests {
    let spec = sentimentSpec(models: ["openai/gpt-4o-mini"])

    @Test func routingAndBodyErrors() async throws {
        let fake = FakeProvider()
        try await withFake(fake) { port in
            try await withGateway(specs: [spec], fakePort: port, configExtra: "max_body_bytes: 200") { client, _ in
                let notFound = try await client.post("/v1/nothing", json: "{}")
                #expect(notFound.status == 404)
                #expect(notFound.error?["type"] == "not_found")
                #expect(notFound.header("x-request-id") != nil)

                let wrongMethod = try await client.get("/v1/sentiment")
                #expect(wrongMethod.status == 405)
                #expect(wrongMethod.header("allow") == "POST")
                #expect(wrongMethod.error?["type"] == "method_not_allowed")

                let tooLarge = try await client.post("/v1/sentiment", json: #"{"text": "\#(String(repeating: "a", count: 300))"}"#)
                #expect(tooLarge.status == 413)
                #expect(tooLarge.error?["type"] == "payload_too_large")

                let notJSONType = try await client.post("/v1/sentiment", json: #"{"text": "hi"}"#, headers: [("content-type", "text/plain")])
                #expect(notJSONType.status == 415)
                #expect(notJSONType.error?["type"] == "unsupported_media_type")

                let malformed = try await client.post("/v1/sentiment", json: #"{"text": "hi""#)
                #expect(malformed.status == 400)
                #expect(malformed.error?["type"] == "invalid_request")

                let invalid = try await client.post("/v1/sentiment", json: #"{"text": "", "language": "xx", "extra": 1}"#)
                #expect(invalid.status == 400)
                #expect(invalid.error?["message"] == "3 fields are invalid")
                let details = invalid.error?["details"]?.arrayValue ?? []
                #expect(Set(details.compactMap { $0["path"]?.stringValue }) == ["/text", "/language", "/extra"])
                #expect(details.allSatisfy { $0["message"]?.stringValue?.isEmpty == false })

                #expect(fake.callCount == 0)
            }
        }
    }

    @Test func templatesRenderValuesAsTheyAreWithDefaults() async throws {
        let fake = FakeProvider()
        try await withFake(fake) { port in
            try await withGateway(specs: [spec], fakePort: port) { client, _ in
                let text = #"{{language}} {{#x}}<b>&amp;</b>{{/x}} \u00e9"#
                let answer = try await client.post("/v1/sentiment", json: #"{"text": "\#(text)"}"#)
                #expect(answer.status == 200)
                let user = fake.received.first?.body["messages"]?.arrayValue?.last?["content"]?.stringValue
                #expect(user == "Language: en\nText: {{language}} {{#x}}<b>&amp;</b>{{/x}} é")
            }
        }
    }

    @Test func keysReachTheProviderButNeverLogsOrAnswers() async throws {
        let secret = "sk-live-DO-NOT-LEAK-1234567890"
        let fake = FakeProvider(default: .status(401))
        let logs = LogCapture()
        try await withFake(fake) { port in
            try await withGateway(specs: [spec], fakePort: port, environment: ["OPENAI_API_KEY": secret], logs: logs, logPrompts: true) { client, _ in
                let answer = try await client.post("/v1/sentiment", json: #"{"text": "hello"}"#)
                #expect(answer.status == 502)
                #expect(answer.outcomes == ["auth"])
                #expect(fake.received.first?.headers["authorization"] == "Bearer \(secret)")
                #expect(!answer.text.contains(secret))
                let metrics = try await client.get("/metrics").text
                #expect(!metrics.contains(secret))
            }
        }
        #expect(logs.text.contains("hello"))  // --log-prompts logs the prompt
        #expect(!logs.text.contains(secret))
    }

    @Test func promptsAreNotLoggedByDefault() async throws {
        let fake = FakeProvider()
        let logs = LogCapture()
        try await withFake(fake) { port in
            try await withGateway(specs: [spec], fakePort: port, logs: logs) { client, _ in
                let answer = try await client.post("/v1/sentiment", json: #"{"text": "a very private sentence"}"#)
                #expect(answer.status == 200)
            }
        }
        #expect(logs.hasLine(with: "endpoint=sentiment", "status=200", "model=openai/gpt-4o-mini", "latency_ms="))
        #expect(!logs.text.contains("private sentence"))
        #expect(!logs.text.contains("positive"))
    }

    @Test func operationalEndpoints() async throws {
        let fake = FakeProvider()
        try await withFake(fake) { port in
            try await withGateway(specs: [spec], fakePort: port) { client, _ in
                #expect(try await client.get("/healthz").status == 200)
                let ready = try await client.get("/readyz")
                #expect(ready.status == 200)
                #expect(ready.body["endpoints"] == 1)
                let openAPI = try await client.get("/openapi.json")
                #expect(openAPI.body["openapi"]?.stringValue?.hasPrefix("3.1") == true)
                #expect(openAPI.body["paths"]?["/v1/sentiment"] != nil)
                _ = try await client.post("/v1/sentiment", json: #"{"text": "hi"}"#)
                let metrics = try await client.get("/metrics").text
                #expect(metrics.contains(#"promptc_requests_total{endpoint="sentiment",status="200",via="rest"} 1"#))
                #expect(metrics.contains(#"promptc_model_attempts_total{model="openai/gpt-4o-mini",outcome="ok"} 1"#))
                #expect(metrics.contains(#"promptc_tokens_total{model="openai/gpt-4o-mini",kind="input"} 11"#))
            }
        }
    }

    @Test func gracefulStopLetsInFlightRequestsFinish() async throws {
        let fake = FakeProvider(default: .slow(milliseconds: 700, ["label": "negative", "score": -0.5]))
        let inFlight = try await withFake(fake) { port in
            try await withGateway(specs: [spec], fakePort: port, shutdownTimeout: .seconds(5)) { client, _ in
                let task = Task { try await client.post("/v1/sentiment", json: #"{"text": "meh"}"#) }
                while fake.callCount == 0 { try await Task.sleep(for: .milliseconds(20)) }
                return task  // returning starts the graceful stop while the call is in flight
            }
        }
        let answer = try await inFlight.value
        #expect(answer.status == 200)
        #expect(answer.body == ["label": "negative", "score": -0.5])
    }

    /// The README's first command: the example specs with --mock, called through the types
    /// in Generated/Endpoints.swift.
    @Test func examplesServeWithMockThroughGeneratedTypes() async throws {
        let prompts = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../Prompts").standardized.path
        let files = try FileManager.default.contentsOfDirectory(atPath: prompts).filter { $0.hasSuffix(".yaml") }
            .map { (path: "Prompts/\($0)", contents: try Data(contentsOf: URL(fileURLWithPath: prompts + "/" + $0))) }
        let compilation = PromptCompiler.compile(files: files)
        let table = try #require(compilation.routeTable)
        let gateway = try Gateway(GatewayOptions(routeTable: table, port: 0, mock: true, environment: [:]), logger: LogCapture().logger())
        try await withRunning({ gateway.makeApplication(onServerRunning: $0) }) { port in
            let client = GatewayClient(port: port)
            let input = Sentiment.Input(text: "The update fixed everything.", language: .en)
            let body = String(decoding: try JSONEncoder().encode(input), as: UTF8.self)
            let answer = try await client.post(Sentiment.path, json: body)
            #expect(answer.status == 200)
            #expect(answer.header("x-promptc-model")?.hasPrefix("mock/") == true)
            let output = try JSONDecoder().decode(Sentiment.Output.self, from: Data(answer.text.utf8))
            #expect((-1...1).contains(output.score))

            let entities = ExtractEntities.Input(text: "Ada Lovelace met Charles Babbage in London.")
            let entityAnswer = try await client.post(ExtractEntities.path, json: String(decoding: try JSONEncoder().encode(entities), as: UTF8.self))
            #expect(entityAnswer.status == 200)
            _ = try JSONDecoder().decode(ExtractEntities.Output.self, from: Data(entityAnswer.text.utf8))
        }
        await gateway.shutdown()
    }

    @Test func mockSynthesisesOutputsThatPassTheirSchema() throws {
        let schema = FieldSchema.object([
            .init(name: "email", schema: { var s = FieldSchema(type: .string); s.format = .email; return s }(), isOptional: false),
            .init(name: "count", schema: { var s = FieldSchema(type: .integer); s.minimum = 3; s.maximum = 9; return s }(), isOptional: false),
            .init(name: "tags", schema: { var s = FieldSchema(type: .array); s.items = FieldSchema(type: .string); s.minItems = 2; return s }(), isOptional: false),
            .init(name: "code", schema: { var s = FieldSchema(type: .string); s.minLength = 12; return s }(), isOptional: false),
        ])
        let value = MockProvider.synthesize(schema)
        #expect(SchemaValidator(schema).validate(value).isEmpty)
    }

    @Test func mockFailureModelsFailWithTheirClass() async throws {
        let fake = FakeProvider()
        try await withFake(fake) { port in
            try await withGateway(specs: [sentimentSpec(models: ["mock/fail-timeout", "openai/gpt-4o-mini"])], fakePort: port) { client, _ in
                let answer = try await client.post("/v1/sentiment", json: #"{"text": "hi"}"#)
                #expect(answer.status == 200)
                #expect(answer.header("x-promptc-model") == "openai/gpt-4o-mini")
                #expect(answer.header("x-promptc-attempts") == "2")
            }
        }
    }
}
