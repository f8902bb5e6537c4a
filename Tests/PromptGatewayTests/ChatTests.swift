import AsyncHTTPClient
import EndpointModel
import Foundation
import NIOCore
import Testing
@testable import PromptGateway

/// The OpenAI-compatible API (gateway-contract.md) against fake providers on loopback: the
/// translation to and from each wire format, tools included, model groups that fall back,
/// streaming, errors in OpenAI's shape, consumers and usage records.
@Suite("OpenAI-compatible API", .serialized)
struct ChatTests {
    static let keys = ["OPENAI_API_KEY": "sk-test-openai", "ANTHROPIC_API_KEY": "sk-ant-test", "GEMINI_API_KEY": "gm-test", "BACKUP_KEY": "sk-test-backup"]
    static let groups = """
        model_groups:
          chat:
            models: [openai/gpt-4o-mini, anthropic/claude-3-5-haiku-latest, gemini/gemini-2.0-flash]
            fallback: { timeout: 2s }
          claude: { models: [anthropic/claude-3-5-haiku-latest] }
          gemini: { models: [gemini/gemini-2.0-flash] }
          openai: { models: [openai/gpt-4o-mini] }
        pricing:
          anthropic/claude-3-5-haiku-latest: { input: 1, output: 2 }
        """
    static let spec = sentimentSpec(models: ["openai/gpt-4o-mini"])

    /// A conversation with every kind of message and a tool, as a tools round trip sends it.
    static let toolConversation = #"""
        {"model": "MODEL", "messages": [
          {"role": "system", "content": "You look up weather."},
          {"role": "user", "content": [{"type": "text", "text": "Weather in "}, {"type": "text", "text": "Paris?"}]},
          {"role": "assistant", "content": null, "tool_calls": [{"id": "call_1", "type": "function", "function": {"name": "weather", "arguments": "{\"city\":\"Paris\"}"}}]},
          {"role": "tool", "tool_call_id": "call_1", "content": "{\"celsius\": 21}"},
          {"role": "user", "content": "And in Rome?"}],
         "tools": [{"type": "function", "function": {"name": "weather", "description": "Current weather", "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}],
         "tool_choice": {"type": "function", "function": {"name": "weather"}},
         "temperature": 0.2, "max_tokens": 50, "seed": 7}
        """#

    func chat(_ client: GatewayClient, _ body: String, headers: [(String, String)] = []) async throws -> GatewayAnswer {
        try await client.post("/v1/chat/completions", json: body, headers: [("content-type", "application/json")] + headers)
    }

    /// The request is translated to each provider's own format, and the tool call comes back in
    /// OpenAI's shape, named after the group.
    @Test(arguments: ["openai", "claude", "gemini"])
    func toolsRoundTrip(group: String) async throws {
        let fake = FakeProvider(default: .toolCall(name: "weather", arguments: ["city": "Rome"]))
        let logs = LogCapture()
        try await withFake(fake) { port in
            try await withGateway(specs: [Self.spec], fakePort: port, configExtra: Self.groups, environment: Self.keys, logs: logs) { client, _ in
                let answer = try await chat(client, Self.toolConversation.replacingOccurrences(of: "MODEL", with: group))
                #expect(answer.status == 200, "\(answer.text)")
                #expect(answer.body["object"] == "chat.completion")
                #expect(answer.body["model"] == .string(group))
                let choice = try #require(answer.body["choices"]?.arrayValue?.first)
                #expect(choice["finish_reason"] == "tool_calls")
                let call = try #require(choice["message"]?["tool_calls"]?.arrayValue?.first)
                #expect(call["type"] == "function")
                #expect(call["function"]?["name"] == "weather")
                let arguments = try JSONParser.parse(try #require(call["function"]?["arguments"]?.stringValue))
                #expect(arguments == ["city": "Rome"])
                #expect(call["id"]?.stringValue?.isEmpty == false)
                let sent = try #require(fake.received.first).body
                switch group {
                case "openai":
                    #expect(sent["messages"]?.arrayValue?.count == 5)
                    #expect(sent["messages"]?[2]?["tool_calls"]?[0]?["function"]?["name"] == "weather")
                    #expect(sent["messages"]?[3]?["tool_call_id"] == "call_1")
                    #expect(sent["tool_choice"] == ["type": "function", "function": ["name": "weather"]])
                    #expect(sent["seed"] == 7)
                case "claude":
                    #expect(sent["system"] == "You look up weather.")
                    let turns = try #require(sent["messages"]?.arrayValue)
                    #expect(turns.map { $0["role"]?.stringValue } == ["user", "assistant", "user"])
                    #expect(turns[0]["content"]?[0]?["text"] == "Weather in Paris?")
                    #expect(turns[1]["content"]?[0] == ["type": "tool_use", "id": "call_1", "name": "weather", "input": ["city": "Paris"]])
                    #expect(turns[2]["content"]?[0] == ["type": "tool_result", "tool_use_id": "call_1", "content": "{\"celsius\": 21}"])
                    #expect(turns[2]["content"]?[1]?["text"] == "And in Rome?")
                    #expect(sent["tools"]?[0]?["input_schema"]?["required"] == ["city"])
                    #expect(sent["tool_choice"] == ["type": "tool", "name": "weather"])
                    #expect(sent["max_tokens"] == 50)
                    #expect(sent["seed"] == nil)
                    #expect(logs.hasLine(with: "fields not sent to this provider", "fields=seed"))
                default:
                    #expect(sent["systemInstruction"]?["parts"]?[0]?["text"] == "You look up weather.")
                    let contents = try #require(sent["contents"]?.arrayValue)
                    #expect(contents.map { $0["role"]?.stringValue } == ["user", "model", "user"])
                    #expect(contents[1]["parts"]?[0]?["functionCall"] == ["name": "weather", "args": ["city": "Paris"]])
                    #expect(contents[2]["parts"]?[0]?["functionResponse"] == ["name": "weather", "response": ["celsius": 21]])
                    #expect(sent["tools"]?[0]?["functionDeclarations"]?[0]?["name"] == "weather")
                    #expect(sent["toolConfig"]?["functionCallingConfig"] == ["mode": "ANY", "allowedFunctionNames": ["weather"]])
                    #expect(sent["generationConfig"]?["maxOutputTokens"] == 50)
                }
            }
        }
    }

    /// A group whose first model fails falls back; the answer names the group, the headers the
    /// model; the usage record is `chat:GROUP` with the tokens and cost of the model that answered.
    @Test func groupFallsBackAndIsRecorded() async throws {
        let file = TemporarySQLiteFile("promptc-chat")
        defer { file.remove() }
        let path = file.path
        let store = try SQLiteUsageStore(path: path)
        let fake = FakeProvider(default: .text("Bonjour"))
        fake.set(.status(503), forModel: "gpt-4o-mini")
        try await withFake(fake) { port in
            try await withGateway(specs: [Self.spec], fakePort: port, configExtra: Self.groups, environment: Self.keys, usageStore: store) { client, _ in
                let answer = try await chat(
                    client, #"{"model": "chat", "messages": [{"role": "user", "content": "Say hello in French"}]}"#, headers: [("x-request-id", "chat-1")])
                #expect(answer.status == 200)
                #expect(answer.header("x-promptc-model") == "anthropic/claude-3-5-haiku-latest")
                #expect(answer.header("x-promptc-attempts") == "2")
                #expect(answer.body["model"] == "chat")
                #expect(answer.body["choices"]?[0]?["message"]?["content"] == "Bonjour")
                #expect(answer.body["usage"] == ["prompt_tokens": 13, "completion_tokens": 5, "total_tokens": 18])
            }
        }
        let record = try #require(try await SQLiteUsageStore(path: path).records(sinceMs: 0).first { $0.requestID == "chat-1" })
        #expect(record.endpoint == "chat:chat")
        #expect(record.model == "anthropic/claude-3-5-haiku-latest")
        #expect(record.inputTokens == 13 && record.outputTokens == 5)
        #expect(abs(record.costUSD - (13 * 1 + 5 * 2) / 1_000_000) < 1e-12)
        #expect(record.fellBack)
    }

    /// An exhausted chain is OpenAI's error shape with the attempts, and says not to retry.
    @Test func exhaustedChainSaysNotToRetry() async throws {
        let fake = FakeProvider(default: .status(500))
        try await withFake(fake) { port in
            try await withGateway(specs: [Self.spec], fakePort: port, configExtra: Self.groups, environment: Self.keys) { client, _ in
                let answer = try await chat(client, #"{"model": "chat", "messages": [{"role": "user", "content": "hi"}]}"#)
                #expect(answer.status == 502)
                #expect(answer.header("x-should-retry") == "false")
                #expect(answer.error?["type"] == "api_error")
                #expect(answer.error?["code"] == "upstream_failed")
                #expect(answer.error?["message"]?.stringValue?.isEmpty == false)
                #expect(answer.outcomes == ["server_error", "server_error", "server_error"])
                let invalid = try await chat(client, #"{"model": "chat", "messages": []}"#)
                #expect(invalid.status == 400)
                #expect(invalid.header("x-should-retry") == nil)
                #expect(invalid.error?["param"] == "/messages")
            }
        }
    }

    /// `response_format: json_schema` answers are checked: one that breaks the schema is
    /// `invalid_output`, and the next model answers.
    @Test func jsonSchemaAnswersAreChecked() async throws {
        let fake = FakeProvider(default: .answer(["city": "Rome", "celsius": 24]))
        fake.set(.answer(["city": "Rome"]), forModel: "gpt-4o-mini")
        let body = #"""
            {"model": "chat", "messages": [{"role": "user", "content": "Weather in Rome as JSON"}],
             "response_format": {"type": "json_schema", "json_schema": {"name": "weather", "schema":
               {"type": "object", "properties": {"city": {"type": "string"}, "celsius": {"type": "integer"}}, "required": ["city", "celsius"], "additionalProperties": false}}}}
            """#
        try await withFake(fake) { port in
            try await withGateway(specs: [Self.spec], fakePort: port, configExtra: Self.groups, environment: Self.keys) { client, _ in
                let answer = try await chat(client, body)
                #expect(answer.status == 200, "\(answer.text)")
                #expect(answer.header("x-promptc-model") == "anthropic/claude-3-5-haiku-latest")
                let sent = try #require(fake.received.first).body
                #expect(sent["response_format"]?["type"] == "json_schema")
                let second = try #require(fake.received.dropFirst().first).body
                #expect(second["system"]?.stringValue?.contains("JSON Schema") == true)
            }
        }
    }

    /// Streaming: OpenAI's chunks, the usage chunk, `[DONE]`; a failure before the first chunk
    /// falls back; one after it is a final error event and no `[DONE]`.
    @Test(arguments: ["openai/gpt-4o-mini", "anthropic/claude-3-5-haiku-latest", "gemini/gemini-2.0-flash"])
    func streamsChunksFromEachProvider(model: String) async throws {
        let fake = FakeProvider(default: .text("Hello there, friend"))
        try await withFake(fake) { port in
            try await withGateway(specs: [Self.spec], fakePort: port, configExtra: Self.groups, environment: Self.keys) { client, _ in
                let body = #"{"model": "\#(model)", "stream": true, "stream_options": {"include_usage": true}, "messages": [{"role": "user", "content": "hi"}]}"#
                let answer = try await chat(client, body)
                #expect(answer.status == 200)
                let events = answer.text.components(separatedBy: "\n\n").filter { !$0.isEmpty }
                #expect(events.last == "data: [DONE]")
                let chunks = events.dropLast().compactMap { try? JSONParser.parse(String($0.dropFirst(6))) }
                #expect(chunks.allSatisfy { $0["object"] == "chat.completion.chunk" && $0["model"] == .string(model) })
                #expect(chunks.first?["choices"]?[0]?["delta"]?["role"] == "assistant")
                let text = chunks.compactMap { $0["choices"]?[0]?["delta"]?["content"]?.stringValue }.joined()
                #expect(text == "Hello there, friend")
                #expect(chunks.contains { $0["choices"]?[0]?["finish_reason"] == "stop" })
                #expect(chunks.last?["choices"] == [])
                #expect(chunks.last?["usage"]?["total_tokens"]?.intValue ?? 0 > 0)
            }
        }
    }

    @Test func streamFallsBackBeforeTheFirstChunkAndFailsLoudlyAfterIt() async throws {
        let fake = FakeProvider(default: .text("Hello there, friend"))
        fake.set(.status(500), forModel: "gpt-4o-mini")
        fake.set(.cutStream(events: 3, ["x": 1]), forModel: "claude-3-5-haiku-latest")
        try await withFake(fake) { port in
            try await withGateway(specs: [Self.spec], fakePort: port, configExtra: Self.groups, environment: Self.keys) { client, _ in
                let body = #"{"model": "chat", "stream": true, "messages": [{"role": "user", "content": "hi"}]}"#
                let answer = try await chat(client, body)
                #expect(answer.status == 200)
                let events = answer.text.components(separatedBy: "\n\n").filter { !$0.isEmpty }
                #expect(!events.contains("data: [DONE]"), "a failed stream must not end as if complete")
                let last = try JSONParser.parse(String(try #require(events.last).dropFirst(6)))
                #expect(last["error"]?["code"] == "upstream_failed")
                #expect(last["error"]?["attempts"]?.arrayValue?.compactMap { $0["outcome"]?.stringValue } == ["server_error", "connection"])
                // Gemini, third in the group, was never asked to continue a half-sent answer.
                #expect(!fake.received.contains { $0.path.contains("gemini") })
            }
        }
    }

    /// Consumers: `/v1/models` lists what a consumer may send; a group off its list is 403; no
    /// key is 401; a limited consumer is 429 with its headers.
    @Test func consumersSeeAndCallOnlyTheirGroups() async throws {
        let narrowKey = "pc_narrow_key", limitedKey = "pc_limited_key"
        let config = Self.groups + """

            consumers:
              - name: narrow
                key_sha256: \(ConsumerKey.sha256Hex(of: narrowKey))
                endpoints: [claude]
              - name: limited
                key_sha256: \(ConsumerKey.sha256Hex(of: limitedKey))
                rate_limit: 1/min
            """
        try await withFake(FakeProvider(default: .text("ok"))) { port in
            try await withGateway(specs: [Self.spec], fakePort: port, configExtra: config, environment: Self.keys) { client, _ in
                let listed = try await client.send("/v1/models", method: .GET, body: nil, headers: [("authorization", "Bearer \(narrowKey)")], timeout: .seconds(5))
                #expect(listed.body["data"]?.arrayValue?.compactMap { $0["id"]?.stringValue } == ["claude"])
                let anonymous = try await client.get("/v1/models")
                #expect(anonymous.status == 401)
                let message = #"{"model": "MODEL", "messages": [{"role": "user", "content": "hi"}]}"#
                let allowed = try await chat(client, message.replacingOccurrences(of: "MODEL", with: "claude"), headers: [("authorization", "Bearer \(narrowKey)")])
                #expect(allowed.status == 200)
                let forbidden = try await chat(client, message.replacingOccurrences(of: "MODEL", with: "chat"), headers: [("authorization", "Bearer \(narrowKey)")])
                #expect(forbidden.status == 403)
                #expect(forbidden.error?["type"] == "permission_error")
                let noKey = try await chat(client, message.replacingOccurrences(of: "MODEL", with: "chat"))
                #expect(noKey.status == 401)
                let first = try await chat(client, message.replacingOccurrences(of: "MODEL", with: "chat"), headers: [("x-api-key", limitedKey)])
                #expect(first.status == 200)
                let second = try await chat(client, message.replacingOccurrences(of: "MODEL", with: "chat"), headers: [("x-api-key", limitedKey)])
                #expect(second.status == 429)
                #expect(second.header("retry-after") != nil)
                #expect(second.header("ratelimit-remaining") == "0")
            }
        }
    }

    /// Each direct `provider/model` a caller names gets a circuit breaker and statistics of its
    /// own, so the names the configuration does not list are bounded; listed ones always pass.
    @Test func directModelNamesAreBounded() {
        var settings = GatewaySettings()
        settings.modelGroups["chat"] = ModelGroup(
            name: "chat", models: [.init(model: "openai/gpt-4o-mini", provider: "openai", name: "gpt-4o-mini", timeoutMs: nil, retries: nil, parameters: ModelParameters())])
        let targets = ChatTargets(
            settings: settings, endpointModels: [], mock: false, environment: [:], breakers: CircuitBreakerRegistry(settings: CircuitBreakerSettings()),
            backoff: Backoff(), maximumDirectModels: 2)
        func found(_ name: String) -> Bool { if case .found = targets.target(name) { true } else { false } }
        #expect(found("openai/a") && found("openai/b"))
        #expect(!found("openai/c"))
        if case .tooManyModels(let maximum) = targets.target("openai/c") { #expect(maximum == 2) } else { Issue.record("expected tooManyModels") }
        #expect(found("openai/a"), "a name already taken stays usable")
        #expect(found("openai/gpt-4o-mini"), "a model the configuration names is not counted")
        #expect(found("chat"))
        if case .unknown = targets.target("nowhere/x") {} else { Issue.record("an unknown provider is unknown") }
    }
}
