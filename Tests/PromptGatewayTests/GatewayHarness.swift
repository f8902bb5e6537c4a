import AsyncHTTPClient
import EndpointModel
import Foundation
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1
import PromptCompiler
import ServiceLifecycle
import Synchronization
import Testing
@testable import PromptGateway

/// Runs an application (gateway or fake provider) on a free loopback port while `body` runs,
/// then stops it gracefully.
func withRunning<App: ApplicationProtocol, T>(
    _ makeApplication: (@escaping @Sendable (Int) async -> Void) -> App,
    shutdownTimeout: Duration = .seconds(2),
    _ body: (Int) async throws -> T
) async throws -> T {
    let (ports, portContinuation) = AsyncStream<Int>.makeStream()
    let application = makeApplication { port in portContinuation.yield(port) }
    var configuration = ServiceGroupConfiguration(services: [application], logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
    configuration.maximumGracefulShutdownDuration = shutdownTimeout
    let group = ServiceGroup(configuration: configuration)
    return try await withThrowingTaskGroup(of: Void.self) { tasks in
        tasks.addTask { try await group.run() }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else { throw HarnessError("the server did not start") }
        do {
            let result = try await body(port)
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
            return result
        } catch {
            await group.triggerGracefulShutdown()
            try? await tasks.waitForAll()
            throw error
        }
    }
}

struct HarnessError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Log lines kept in memory, to check what the gateway logs and what it never does.
final class LogCapture: Sendable {
    private let lines = Mutex<[String]>([])

    var text: String { lines.withLock { $0.joined(separator: "\n") } }

    /// Whether one line holds every one of `parts`.
    func hasLine(with parts: String...) -> Bool {
        lines.withLock { $0.contains { line in parts.allSatisfy(line.contains) } }
    }

    func logger() -> Logger {
        var logger = Logger(label: "promptc-test") { _ in Handler(capture: self) }
        logger.logLevel = .trace
        return logger
    }

    func append(_ line: String) { lines.withLock { $0.append(line) } }

    struct Handler: LogHandler {
        let capture: LogCapture
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let merged = metadata.merging(event.metadata ?? [:]) { $1 }
            capture.append("\(event.level) \(event.message) \(merged.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "))")
        }
    }
}

/// An answer from the gateway.
struct GatewayAnswer {
    var status: Int
    var headers: HTTPHeaders
    var body: JSONValue
    var text: String

    var error: JSONValue? { body["error"] }
    var attempts: [JSONValue] { error?["attempts"]?.arrayValue ?? [] }
    var outcomes: [String] { attempts.compactMap { $0["outcome"]?.stringValue } }
    func header(_ name: String) -> String? { headers.first(name: name) }
}

/// A client of a running gateway.
struct GatewayClient {
    let port: Int

    /// Redirects are answers to look at (the portal's 303s), not to follow. Lives as long as the
    /// test process.
    static let client = HTTPClient(
        eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: HTTPClient.Configuration(redirectConfiguration: .disallow))

    func post(_ path: String, json: String, headers: [(String, String)] = [("content-type", "application/json")], timeout: TimeAmount = .seconds(30)) async throws -> GatewayAnswer {
        try await send(path, method: .POST, body: Array(json.utf8), headers: headers, timeout: timeout)
    }

    func get(_ path: String) async throws -> GatewayAnswer {
        try await send(path, method: .GET, body: nil, headers: [], timeout: .seconds(30))
    }

    func send(_ path: String, method: HTTPMethod, body: [UInt8]?, headers: [(String, String)], timeout: TimeAmount) async throws -> GatewayAnswer {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)")
        request.method = method
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
        let response = try await Self.client.execute(request, timeout: timeout)
        let bytes = try await response.body.collect(upTo: 1 << 24)
        let text = String(buffer: bytes)
        let json = (try? JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))) ?? .null
        return GatewayAnswer(status: Int(response.status.code), headers: response.headers, body: json, text: text)
    }
}

/// A sentiment-like spec whose chain and fallback a test chooses.
func sentimentSpec(name: String = "sentiment", models: [String], fallback: String = "", extra: String = "") -> String {
    """
    name: \(name)
    description: Classify the sentiment of a text.
    route: POST /v1/\(name)
    input:
      text: { type: string, minLength: 1, maxLength: 200 }
      language: { type: string, enum: [en, de], default: en }
    output:
      label: { type: string, enum: [positive, negative, neutral] }
      score: { type: number, minimum: -1, maximum: 1 }
    models:
    \(models.map { "  - \($0)" }.joined(separator: "\n"))
    \(fallback)
    prompt:
      system: Classify the sentiment. Answer in JSON.
      user: "Language: {{language}}\\nText: {{text}}"
    \(extra)
    """
}

/// A promptc.yaml whose providers point at the fake provider on `fakePort`.
func harnessConfig(fakePort: Int, circuitBreaker: String = "{ failures: 3, open_for: 1s }", extra: String = "") -> String {
    """
    providers:
      openai: { base_url: "http://127.0.0.1:\(fakePort)/v1" }
      anthropic: { base_url: "http://127.0.0.1:\(fakePort)/v1" }
      gemini: { base_url: "http://127.0.0.1:\(fakePort)/v1beta" }
      backup: { api: openai, base_url: "http://127.0.0.1:\(fakePort)/backup/v1", api_key_env: BACKUP_KEY }
      dead: { api: openai, base_url: "http://127.0.0.1:1/v1", api_key_env: "" }
    circuit_breaker: \(circuitBreaker)
    \(extra)
    """
}

/// Compiles `specs` against a configuration whose providers point at `fakePort`, and runs a
/// gateway on them while `body` runs.
/// The provider keys a harness gateway reads, unless a test gives its own.
let harnessKeys = ["OPENAI_API_KEY": "sk-test-openai", "ANTHROPIC_API_KEY": "sk-ant-test", "GEMINI_API_KEY": "gm-test"]

func withGateway<T>(
    specs: [String], fakePort: Int, configExtra: String = "", environment: [String: String] = harnessKeys,
    mock: Bool = false, logs: LogCapture = LogCapture(), logPrompts: Bool = false, shutdownTimeout: Duration = .seconds(2),
    usageStore: (any UsageStore)? = nil, usageJournal: UsageJournal? = nil, streamPingInterval: Duration = .seconds(15),
    circuitBreaker: String = "{ failures: 3, open_for: 1s }",
    alertDelivery: AlertDispatcher.Delivery = .init(attempts: 5, firstRetry: .milliseconds(20), longestRetry: .milliseconds(200), timeout: .seconds(2)),
    _ body: (GatewayClient, Gateway) async throws -> T
) async throws -> T {
    let compilation = try compileForHarness(specs: specs, fakePort: fakePort, configExtra: configExtra, circuitBreaker: circuitBreaker)
    let table = compilation.table
    let options = GatewayOptions(
        routeTable: table, settings: compilation.settings, port: 0, mock: mock, logPrompts: logPrompts,
        environment: environment, shutdownTimeout: shutdownTimeout, usageStore: usageStore, usageJournal: usageJournal,
        openAPI: { Array(CanonicalJSON.render(OpenAPIRenderer.document(for: table)).utf8) })
    var withPing = options
    withPing.streamPingInterval = streamPingInterval
    withPing.alertDelivery = alertDelivery
    let gateway = try Gateway(withPing, logger: logs.logger())
    await gateway.prepare()
    do {
        let result = try await withRunning({ gateway.makeApplication(onServerRunning: $0) }, shutdownTimeout: shutdownTimeout) { port in
            try await body(GatewayClient(port: port), gateway)
        }
        await gateway.shutdown()
        return result
    } catch {
        await gateway.shutdown()
        throw error
    }
}

/// Two gateways of the same specs and configuration on one fake provider, as two replicas behind
/// a load balancer would be (with `shared.database` in `configExtra`, on one database).
func withTwoReplicas<T>(
    specs: [String], fakePort: Int, configExtra: String, environment: [String: String] = harnessKeys,
    circuitBreaker: String = "{ failures: 3, open_for: 1s }",
    _ body: (GatewayClient, GatewayClient, Gateway) async throws -> T
) async throws -> T {
    try await withGateway(specs: specs, fakePort: fakePort, configExtra: configExtra, environment: environment, circuitBreaker: circuitBreaker) { first, _ in
        try await withGateway(specs: specs, fakePort: fakePort, configExtra: configExtra, environment: environment, circuitBreaker: circuitBreaker) {
            second, secondGateway in
            try await body(first, second, secondGateway)
        }
    }
}

/// Compiles `specs` against a configuration whose providers point at `fakePort`: the routes
/// a harness gateway serves, or reloads.
func compileForHarness(
    specs: [String], fakePort: Int, configExtra: String = "", circuitBreaker: String = "{ failures: 3, open_for: 1s }"
) throws -> (table: RouteTable, settings: GatewaySettings) {
    let config = harnessConfig(fakePort: fakePort, circuitBreaker: circuitBreaker, extra: configExtra)
    // A spec's file is named after it, as the compiler requires.
    let files = specs.map { spec in
        let name = spec.split(separator: "\n").first { $0.hasPrefix("name: ") }.map { $0.dropFirst(6) } ?? "unnamed"
        return (path: "Prompts/\(name).yaml", contents: Data(spec.utf8))
    }
    let compilation = PromptCompiler.compile(files: files, config: (path: "promptc.yaml", contents: Data(config.utf8)))
    let errors = compilation.diagnostics.filter { $0.severity == .error }
    guard let table = compilation.routeTable, errors.isEmpty else {
        throw HarnessError("specs do not compile: \(errors.map(\.message))")
    }
    return (table, compilation.settings)
}

/// Runs a fake provider while `body` runs.
func withFake<T>(_ fake: FakeProvider, _ body: (Int) async throws -> T) async throws -> T {
    try await withRunning({ fake.makeApplication(onPort: $0) }, body)
}

/// The output schema of `sentimentSpec`, as the compiler builds it.
func sentimentOutputSchema() -> FieldSchema? {
    let spec = sentimentSpec(models: ["mock/any"])
    let compilation = PromptCompiler.compile(files: [(path: "Prompts/sentiment.yaml", contents: Data(spec.utf8))], config: nil)
    return compilation.routeTable?.endpoints.first?.output
}
