import EndpointModel
import NIOHTTP1
import Testing
@testable import PromptGateway

/// One end-to-end call per wire format, checking what reaches the provider and what comes back.
@Suite("Provider wire formats", .serialized)
struct WireFormatTests {
    let request = #"{"text": "I loved it"}"#

    @Test func openAIStrictJSONSchemaAndKey() async throws {
        let fake = FakeProvider()
        try await withFake(fake) { port in
            try await withGateway(specs: [sentimentSpec(models: ["openai/gpt-4o-mini"])], fakePort: port) { client, _ in
                let answer = try await client.post("/v1/sentiment", json: request)
                #expect(answer.status == 200)
                #expect(answer.body == ["label": "positive", "score": 0.5])
                #expect(answer.header("x-promptc-model") == "openai/gpt-4o-mini")
                #expect(answer.header("x-promptc-attempts") == "1")
                let sent = try #require(fake.received.first)
                #expect(sent.path == "/v1/chat/completions")
                #expect(sent.headers["authorization"] == "Bearer sk-test-openai")
                #expect(sent.body["model"] == "gpt-4o-mini")
                #expect(sent.body["response_format"]?["type"] == "json_schema")
                #expect(sent.body["response_format"]?["json_schema"]?["strict"] == true)
                #expect(sent.body["messages"]?.arrayValue?.last?["content"] == "Language: en\nText: I loved it")
            }
        }
    }

    @Test func openAIFallsBackToJSONObjectWhenTheSchemaIsNotStrict() async throws {
        let fake = FakeProvider(default: .answer(["summary": "short"]))
        let spec = """
            name: brief
            description: Summarise.
            input:
              text: string
            output:
              summary: { type: string, maxLength: 50 }
            models: [openai/gpt-4o-mini]
            prompt:
              user: "{{text}}"
            """
        try await withFake(fake) { port in
            try await withGateway(specs: [spec], fakePort: port) { client, _ in
                let answer = try await client.post("/v1/brief", json: request)
                #expect(answer.status == 200)
                let sent = try #require(fake.received.first)
                #expect(sent.body["response_format"] == ["type": "json_object"])
                let system = sent.body["messages"]?.arrayValue?.first?["content"]?.stringValue ?? ""
                #expect(system.contains("JSON Schema"))
                #expect(system.contains("\"maxLength\":50"))
            }
        }
    }

    @Test func anthropicForcedToolCall() async throws {
        let fake = FakeProvider()
        try await withFake(fake) { port in
            try await withGateway(specs: [sentimentSpec(models: ["anthropic/claude-3-5-haiku-latest"])], fakePort: port) { client, _ in
                let answer = try await client.post("/v1/sentiment", json: request)
                #expect(answer.status == 200)
                #expect(answer.body == ["label": "positive", "score": 0.5])
                let sent = try #require(fake.received.first)
                #expect(sent.path == "/v1/messages")
                #expect(sent.headers["x-api-key"] == "sk-ant-test")
                #expect(sent.headers["anthropic-version"] == "2023-06-01")
                #expect(sent.body["tool_choice"] == ["type": "tool", "name": "respond"])
                #expect(sent.body["tools"]?.arrayValue?.first?["input_schema"]?["required"] == ["label", "score"])
                #expect(sent.body["max_tokens"] == 1024)
                #expect(sent.body["system"] == "Classify the sentiment. Answer in JSON.")
            }
        }
    }

    @Test func geminiResponseSchema() async throws {
        let fake = FakeProvider()
        try await withFake(fake) { port in
            try await withGateway(specs: [sentimentSpec(models: ["gemini/gemini-2.0-flash"])], fakePort: port) { client, _ in
                let answer = try await client.post("/v1/sentiment", json: request)
                #expect(answer.status == 200)
                let sent = try #require(fake.received.first)
                #expect(sent.path == "/v1beta/models/gemini-2.0-flash:generateContent")
                #expect(sent.headers["x-goog-api-key"] == "gm-test")
                #expect(sent.body["generationConfig"]?["responseMimeType"] == "application/json")
                #expect(sent.body["generationConfig"]?["responseSchema"]?["type"] == "OBJECT")
                #expect(sent.body["generationConfig"]?["responseSchema"]?["properties"]?["label"]?["enum"] == ["positive", "negative", "neutral"])
            }
        }
    }

    /// A provider that cannot enforce `maximum` still has its answer checked against it.
    @Test(arguments: ["openai/gpt-4o-mini", "anthropic/claude-3-5-haiku-latest", "gemini/gemini-2.0-flash"])
    func answersAreCheckedAgainstTheFullSchema(model: String) async throws {
        let fake = FakeProvider(default: .answer(["label": "positive", "score": 7]))
        try await withFake(fake) { port in
            try await withGateway(specs: [sentimentSpec(models: [model])], fakePort: port) { client, _ in
                let answer = try await client.post("/v1/sentiment", json: request)
                #expect(answer.status == 502)
                #expect(answer.outcomes == ["invalid_output"])
            }
        }
    }

    @Test func codeFenceIsTolerated() async throws {
        let fake = FakeProvider(default: .text("```json\n{\"label\": \"neutral\", \"score\": 0}\n```"))
        try await withFake(fake) { port in
            try await withGateway(specs: [sentimentSpec(models: ["openai/gpt-4o-mini"])], fakePort: port) { client, _ in
                let answer = try await client.post("/v1/sentiment", json: request)
                #expect(answer.status == 200)
                #expect(answer.body == ["label": "neutral", "score": 0])
            }
        }
    }

    /// Bare JSON takes the fast path; fences and other whitespace the careful one.
    @Test(arguments: [
        "{\"label\": \"neutral\", \"score\": 0}",
        "\n  {\"label\": \"neutral\", \"score\": 0}\n",
        "```json\n{\"label\": \"neutral\", \"score\": 0}\n```",
        "  ```\n{\"label\": \"neutral\", \"score\": 0}```  ",
        "\u{A0}{\"label\": \"neutral\", \"score\": 0}\u{2003}",
    ])
    func answerTextsThatHoldTheOutput(text: String) throws {
        let validator = SchemaValidator(try #require(sentimentOutputSchema()))
        #expect(try AnswerParser.output(from: text, validator: validator) == ["label": "neutral", "score": 0])
    }

    @Test(arguments: ["I think it is positive", "```json\nnot json\n```", "[1, 2]", ""])
    func answerTextsThatDoNot(text: String) throws {
        let validator = SchemaValidator(try #require(sentimentOutputSchema()))
        #expect(throws: AttemptFailure.self) { try AnswerParser.output(from: text, validator: validator) }
    }

    @Test(arguments: ["openai/gpt-4o-mini", "anthropic/claude-3-5-haiku-latest", "gemini/gemini-2.0-flash"])
    func refusalsAreClassified(model: String) async throws {
        let fake = FakeProvider(default: .refusal)
        try await withFake(fake) { port in
            try await withGateway(specs: [sentimentSpec(models: [model])], fakePort: port) { client, _ in
                let answer = try await client.post("/v1/sentiment", json: request)
                #expect(answer.status == 502)
                #expect(answer.outcomes == ["refusal"])
            }
        }
    }

    @Test func tokenUsageIsReadFromEveryProvider() throws {
        let openAI = try OpenAIAdapter().answer(from: Array(#"{"choices":[{"message":{"content":"{}"}}],"usage":{"prompt_tokens":11,"completion_tokens":7}}"#.utf8))
        #expect(openAI.usage == TokenUsage(input: 11, output: 7))
        let anthropic = try AnthropicAdapter().answer(from: Array(#"{"content":[{"type":"tool_use","input":{}}],"usage":{"input_tokens":13,"output_tokens":5}}"#.utf8))
        #expect(anthropic.usage == TokenUsage(input: 13, output: 5))
        let gemini = try GeminiAdapter().answer(from: Array(#"{"candidates":[{"content":{"parts":[{"text":"{}"}]}}],"usageMetadata":{"promptTokenCount":17,"candidatesTokenCount":3}}"#.utf8))
        #expect(gemini.usage == TokenUsage(input: 17, output: 3))
    }

    /// Token counts come from outside: a huge or negative one cannot make the sums overflow.
    @Test func tokenCountsFromOutsideAreBounded() throws {
        let answer = try OpenAIAdapter().answer(from: Array(#"{"choices":[{"message":{"content":"{}"}}],"usage":{"prompt_tokens":9000000000000000000,"completion_tokens":-5}}"#.utf8))
        #expect(answer.usage == TokenUsage(input: TokenUsage.maximumCount, output: 0))
    }

    @Test func retryAfterFromOutsideIsReadSafely() {
        #expect(ProviderErrorClassifier.retryAfterMs(["retry-after": "2"]) == 2000)
        #expect(ProviderErrorClassifier.retryAfterMs(["retry-after-ms": "150"]) == 150)
        #expect(ProviderErrorClassifier.retryAfterMs(["retry-after": "1e300"]) == 86_400_000)
        #expect(ProviderErrorClassifier.retryAfterMs(["retry-after": "inf"]) == nil)
        #expect(ProviderErrorClassifier.retryAfterMs(["retry-after": "-3"]) == nil)
        #expect(ProviderErrorClassifier.retryAfterMs(["retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"]) == nil)
    }

    /// Our `x-` extensions never reach a provider, at any depth; a field named `x-ray` does.
    @Test func providerSchemasDropExtensionsButKeepFieldNames() {
        var inner = FieldSchema(type: .string)
        inner.extensions = ["x-note": "ours"]
        var outer = FieldSchema.object([.init(name: "x-ray", schema: inner, isOptional: false)])
        outer.extensions = ["x-top": true]
        for schema in [ProviderSchema.json(outer), OpenAIStrictSchema.schema(outer)] {
            #expect(schema["x-top"] == nil)
            #expect(schema["properties"]?["x-ray"] == ["type": "string"])
            #expect(schema["required"] == ["x-ray"])
        }
    }
}
