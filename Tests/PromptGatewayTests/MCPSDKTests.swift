import EndpointModel
import Foundation
import PromptCompiler
import Testing
@testable import PromptGateway

/// Prompt endpoints as MCP tools, tried with the official MCP Python SDK (`mcp` from PyPI,
/// `Tests/Clients/mcp_sdk_client.py`) over both transports: Streamable HTTP at `/mcp` of a
/// gateway in this process, and stdio to the built `promptc mcp`. Providers are fakes on loopback.
@Suite("MCP Python SDK", .serialized)
struct MCPSDKTests {
    static let agentKey = "pc_agent-key-for-mcp-tests"
    static let otherKey = "pc_other-key-for-mcp-tests"
    static var consumers: String {
        """
        consumers:
          - name: agent
            key_sha256: \(ConsumerKey.sha256Hex(of: agentKey))
            endpoints: [sentiment]
          - name: other
            key_sha256: \(ConsumerKey.sha256Hex(of: otherKey))
        """
    }
    static let fallbackSpec = sentimentSpec(models: ["openai/gpt-4o-mini", "anthropic/claude-3-5-haiku-latest"])
    static let secondSpec = sentimentSpec(name: "summary", models: ["openai/gpt-4o"])

    /// The four example specs of this repository.
    static var exampleSpecs: [String] {
        get throws {
            try ["sentiment", "translate", "summarize", "extract_entities"].map { name in
                try String(contentsOf: PythonClients.repository.appendingPathComponent("Prompts/\(name).yaml"), encoding: .utf8)
            }
        }
    }

    static func plan(clients: Int = 1, headers: [String: String] = [:], calls: [(String, JSONValue)]) -> String {
        let plan: JSONValue = [
            "clients": .integer(clients), "headers": .object(headers.mapValues { .string($0) }),
            "calls": .array(calls.map { ["tool": .string($0.0), "arguments": $0.1] }),
        ]
        return CanonicalJSON.render(plan, pretty: false)
    }

    /// Runs the SDK client against `/mcp` of a running gateway.
    static func overHTTP(_ client: GatewayClient, plan: String) async throws -> JSONValue? {
        guard let python = PythonClients.pythonOrIssue(needing: "mcp") else { return nil }
        return try await PythonClients.runJSON(python, [PythonClients.script("mcp_sdk_client.py"), "http", "http://127.0.0.1:\(client.port)/mcp", plan])
    }

    // MARK: - Streamable HTTP

    /// The four example endpoints are listed with the schemas `openapi.json` has, and each
    /// answers its example (served `--mock`).
    @Test func listsTheExampleEndpointsWithTheirSchemasAndCallsEach() async throws {
        let specs = try Self.exampleSpecs
        try await withGateway(specs: specs, fakePort: 1, mock: true) { client, gateway in
            let examples = gateway.endpoints.compactMap { endpoint in endpoint.definition.examples.first.map { (endpoint.name, $0) } }
            #expect(examples.count == 4)
            guard let seen = try await Self.overHTTP(client, plan: Self.plan(calls: examples.map { ($0.0, $0.1.input) })) else { return }
            let tools = try #require(seen["clients"]?[0]?["tools"]?.objectValue)
            #expect(Set(tools.keys) == ["sentiment", "translate", "summarize", "extract_entities"])
            for endpoint in gateway.endpoints {
                #expect(tools[endpoint.name]?["input"] == endpoint.definition.input.jsonSchema)
                #expect(tools[endpoint.name]?["output"] == endpoint.definition.output.jsonSchema)
                #expect(tools[endpoint.name]?["description"] == .string(endpoint.definition.description))
            }
            let results = seen["clients"]?[0]?["results"]?.arrayValue ?? []
            #expect(results.count == 4)
            for (result, example) in zip(results, examples) {
                #expect(result["is_error"] == false)
                #expect(result["structured"] == example.1.output, "\(example.0)")
                #expect(result["meta"]?["promptc/model"]?.stringValue?.hasPrefix("mock/") == true)
            }
        }
    }

    /// A call whose first model fails is answered by the next; the tool result says which, and
    /// the usage record and the request metric say it came by MCP.
    @Test func aCallFallsBackAndIsRecordedAsMCP() async throws {
        let file = TemporarySQLiteFile("promptc-mcp")
        defer { file.remove() }
        let path = file.path
        let store = try SQLiteUsageStore(path: path)
        let fake = FakeProvider(default: .answer(["label": "negative", "score": -0.5]))
        fake.set(.status(503), forModel: "gpt-4o-mini")
        var requestID: String?
        try await withFake(fake) { port in
            try await withGateway(specs: [Self.fallbackSpec], fakePort: port, usageStore: store) { client, _ in
                guard let seen = try await Self.overHTTP(client, plan: Self.plan(calls: [("sentiment", ["text": "It was dull."])])) else { return }
                let result = try #require(seen["clients"]?[0]?["results"]?[0])
                #expect(result["is_error"] == false)
                #expect(result["structured"] == ["label": "negative", "score": -0.5])
                #expect(result["meta"]?["promptc/model"] == "anthropic/claude-3-5-haiku-latest")
                #expect(result["meta"]?["promptc/attempts"] == 2)
                requestID = result["meta"]?["promptc/request_id"]?.stringValue
                let metrics = try await client.get("/metrics").text
                #expect(metrics.contains(#"promptc_requests_total{endpoint="sentiment",status="200",via="mcp"} 1"#), "\(metrics)")
                #expect(metrics.contains(#"promptc_fallbacks_total{endpoint="sentiment"} 1"#))
            }
        }
        let records = try await SQLiteUsageStore(path: path).records(sinceMs: 0).filter { $0.endpoint == "sentiment" }
        let record = try #require(records.first)
        #expect(records.count == 1)
        #expect(record.via == "mcp")
        #expect(record.requestID == requestID)
        #expect(record.model == "anthropic/claude-3-5-haiku-latest")
        #expect(record.fellBack && record.attempts == 2 && record.status == 200)
    }

    /// An invalid input is a tool result with `isError` and the contract's error object, not a
    /// protocol error, and it is recorded as the 400 it is.
    @Test func anInvalidInputIsAToolError() async throws {
        try await withFake(FakeProvider()) { port in
            try await withGateway(specs: [Self.fallbackSpec], fakePort: port) { client, _ in
                let plan = Self.plan(calls: [("sentiment", ["text": "", "language": "fr"])])
                guard let seen = try await Self.overHTTP(client, plan: plan) else { return }
                let result = try #require(seen["clients"]?[0]?["results"]?[0])
                #expect(result["is_error"] == true)
                #expect(result["structured"] == .null)
                #expect(result["text"]?["error"]?["type"] == "invalid_request")
                let paths = result["text"]?["error"]?["details"]?.arrayValue?.compactMap { $0["path"]?.stringValue } ?? []
                #expect(Set(paths) == ["/text", "/language"])
                let metrics = try await client.get("/metrics").text
                #expect(metrics.contains(#"promptc_requests_total{endpoint="sentiment",status="400",via="mcp"} 1"#))
            }
        }
    }

    /// With consumers, a consumer lists and may call only its endpoints; another sees all.
    @Test func aConsumerSeesOnlyItsTools() async throws {
        try await withFake(FakeProvider()) { port in
            try await withGateway(specs: [Self.fallbackSpec, Self.secondSpec], fakePort: port, configExtra: Self.consumers) { client, _ in
                let calls: [(String, JSONValue)] = [("sentiment", ["text": "Fine."]), ("summary", ["text": "Fine."])]
                guard let agent = try await Self.overHTTP(client, plan: Self.plan(headers: ["Authorization": "Bearer \(Self.agentKey)"], calls: calls)),
                      let other = try await Self.overHTTP(client, plan: Self.plan(headers: ["x-api-key": Self.otherKey], calls: calls))
                else { return }
                #expect(agent["clients"]?[0]?["tools"]?.objectValue.map { Set($0.keys) } == ["sentiment"])
                #expect(agent["clients"]?[0]?["results"]?[0]?["is_error"] == false)
                #expect(agent["clients"]?[0]?["results"]?[1]?["is_error"] == true)
                #expect(agent["clients"]?[0]?["results"]?[1]?["text"]?["error"]?["type"] == "forbidden")
                #expect(other["clients"]?[0]?["tools"]?.objectValue.map { Set($0.keys) } == ["sentiment", "summary"])
                #expect(other["clients"]?[0]?["results"]?.arrayValue?.allSatisfy { $0["is_error"] == false } == true)
            }
        }
    }

    /// Two clients hold sessions at once: each initializes before either calls (one shared
    /// SDK `Server` would refuse the second `initialize`), and both are answered.
    @Test func twoClientsAtOnce() async throws {
        try await withFake(FakeProvider()) { port in
            try await withGateway(specs: [Self.fallbackSpec], fakePort: port) { client, gateway in
                let plan = Self.plan(clients: 2, calls: [("sentiment", ["text": "One."]), ("sentiment", ["text": "Two."])])
                guard let seen = try await Self.overHTTP(client, plan: plan) else { return }
                let clients = seen["clients"]?.arrayValue ?? []
                #expect(clients.count == 2)
                for seen in clients {
                    #expect(seen["results"]?.arrayValue?.map { $0["structured"] } == [["label": "positive", "score": 0.5], ["label": "positive", "score": 0.5]])
                }
                // Both ended their sessions with DELETE as they closed.
                #expect(await gateway.mcpSessions.count == 0)
            }
        }
    }

    // MARK: - stdio

    /// A folder with a spec, a promptc.yaml pointing at the fake, and the usage database.
    struct StdioProject {
        let folder: URL
        var usagePath: String { folder.appendingPathComponent("usage.sqlite").path }

        init(fakePort: Int, specs: [String], extra: String = "") throws {
            folder = FileManager.default.temporaryDirectory.appendingPathComponent("promptc-mcp-\(UUID().uuidString)")
            let prompts = folder.appendingPathComponent("Prompts")
            try FileManager.default.createDirectory(at: prompts, withIntermediateDirectories: true)
            for spec in specs {
                let name = spec.split(separator: "\n").first { $0.hasPrefix("name: ") }.map { $0.dropFirst(6) } ?? "unnamed"
                try Data(spec.utf8).write(to: prompts.appendingPathComponent("\(name).yaml"))
            }
            let config = harnessConfig(fakePort: fakePort, extra: extra + "\nusage: { database: \"\(usagePath)\" }")
            try Data(config.utf8).write(to: folder.appendingPathComponent("promptc.yaml"))
        }

        func command(key: String? = nil) -> String {
            var environment: JSONValue = ["OPENAI_API_KEY": "sk-test-openai", "ANTHROPIC_API_KEY": "sk-ant-test"]
            if let key, case .object(var members) = environment {
                members["PROMPTC_API_KEY"] = .string(key)
                environment = .object(members)
            }
            let command: JSONValue = [
                "command": .string(MCPSDKTests.promptcBinary),
                "args": [
                    "mcp", "--prompts", .string(folder.appendingPathComponent("Prompts").path),
                    "--config", .string(folder.appendingPathComponent("promptc.yaml").path),
                ],
                "env": environment,
            ]
            return CanonicalJSON.render(command, pretty: false)
        }
    }

    /// The built `promptc`, beside this test bundle in .build/<configuration>/.
    static var promptcBinary: String {
        var directory = Bundle.main.bundleURL
        if directory.pathExtension == "xctest" { directory.deleteLastPathComponent() }
        let candidate = directory.appendingPathComponent("promptc")
        if FileManager.default.fileExists(atPath: candidate.path) { return candidate.path }
        return PythonClients.repository.appendingPathComponent(".build/debug/promptc").path
    }

    /// Over stdio, two clients (two processes) at once: each lists the tools, one call falls
    /// back, an invalid input is a tool error, and the usage records say `mcp`.
    @Test func stdioListsCallsAndFallsBack() async throws {
        guard let python = PythonClients.pythonOrIssue(needing: "mcp") else { return }
        let fake = FakeProvider(default: .answer(["label": "negative", "score": -0.5]))
        fake.set(.status(503), forModel: "gpt-4o-mini")
        try await withFake(fake) { port in
            let project = try StdioProject(fakePort: port, specs: [Self.fallbackSpec, Self.secondSpec])
            defer { try? FileManager.default.removeItem(at: project.folder) }
            let plan = Self.plan(clients: 2, calls: [("sentiment", ["text": "It was dull."]), ("sentiment", ["text": ""])])
            guard let seen = try await PythonClients.runJSON(python, [PythonClients.script("mcp_sdk_client.py"), "stdio", project.command(), plan]) else { return }
            let clients = seen["clients"]?.arrayValue ?? []
            #expect(clients.count == 2)
            for client in clients {
                #expect(client["tools"]?.objectValue.map { Set($0.keys) } == ["sentiment", "summary"])
                #expect(client["tools"]?["sentiment"]?["input"]?["required"] == ["text"])
                #expect(client["tools"]?["sentiment"]?["input"]?["properties"]?["language"]?["enum"] == ["en", "de"])
                #expect(client["tools"]?["sentiment"]?["output"]?["properties"]?["label"]?["enum"] == ["positive", "negative", "neutral"])
                #expect(client["results"]?[0]?["structured"] == ["label": "negative", "score": -0.5])
                #expect(client["results"]?[0]?["meta"]?["promptc/model"] == "anthropic/claude-3-5-haiku-latest")
                #expect(client["results"]?[1]?["is_error"] == true)
                #expect(client["results"]?[1]?["text"]?["error"]?["type"] == "invalid_request")
            }
            let records = try await SQLiteUsageStore(path: project.usagePath).records(sinceMs: 0)
            #expect(records.count == 4)
            #expect(records.allSatisfy { $0.via == "mcp" && $0.endpoint == "sentiment" })
            #expect(records.filter { $0.status == 200 && $0.fellBack }.count == 2)
            #expect(records.filter { $0.status == 400 }.count == 2)
        }
    }

    /// Over stdio with consumers, the process acts for the consumer whose key it was given.
    @Test func stdioActsForTheConsumerOfItsKey() async throws {
        guard let python = PythonClients.pythonOrIssue(needing: "mcp") else { return }
        try await withFake(FakeProvider()) { port in
            let project = try StdioProject(fakePort: port, specs: [Self.fallbackSpec, Self.secondSpec], extra: Self.consumers)
            defer { try? FileManager.default.removeItem(at: project.folder) }
            let plan = Self.plan(calls: [("summary", ["text": "Fine."])])
            guard let seen = try await PythonClients.runJSON(python, [PythonClients.script("mcp_sdk_client.py"), "stdio", project.command(key: Self.agentKey), plan]) else { return }
            #expect(seen["clients"]?[0]?["tools"]?.objectValue.map { Set($0.keys) } == ["sentiment"])
            #expect(seen["clients"]?[0]?["results"]?[0]?["text"]?["error"]?["type"] == "forbidden")
        }
    }
}
