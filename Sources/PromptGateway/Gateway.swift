import EndpointModel
import Foundation
import Hummingbird
import Logging
import NIOCore
import PromptCompiler
import ServiceLifecycle

/// How to run a gateway: the routes, the settings from promptc.yaml, and the serve flags.
public struct GatewayOptions: Sendable {
    public var routeTable: RouteTable
    public var settings: GatewaySettings
    public var host: String
    /// 0 picks a free port (tests); `onServerRunning` tells which.
    public var port: Int
    public var mock: Bool
    public var logPrompts: Bool
    /// Where provider keys are read from: the process environment, or a test's own.
    public var environment: [String: String]
    /// How long a graceful stop waits for in-flight requests.
    public var shutdownTimeout: Duration
    public var upstreamConnectTimeout: Duration
    /// Where usage records go (`UsageStores.open`); nil records nothing (tests that do not look).
    public var usageStore: (any UsageStore)?

    public init(
        routeTable: RouteTable, settings: GatewaySettings = GatewaySettings(), host: String = "127.0.0.1", port: Int = 8080,
        mock: Bool = false, logPrompts: Bool = false, environment: [String: String] = ProcessInfo.processInfo.environment,
        shutdownTimeout: Duration = .seconds(30), upstreamConnectTimeout: Duration = .seconds(2), usageStore: (any UsageStore)? = nil
    ) {
        self.usageStore = usageStore
        self.routeTable = routeTable
        self.settings = settings
        self.host = host
        self.port = port
        self.mock = mock
        self.logPrompts = logPrompts
        self.environment = environment
        self.shutdownTimeout = shutdownTimeout
        self.upstreamConnectTimeout = upstreamConnectTimeout
    }
}

/// `promptc serve`: the compiled endpoints behind Hummingbird, each through its fallback chain.
public final class Gateway: Sendable {
    let options: GatewayOptions
    let runtime: GatewayRuntime
    let endpoints: [ServedEndpoint]
    let openAPIDocument: OpenAPIDocument
    let consumers: ConsumerDirectory
    let usage: UsageRecorder?
    let logger: Logger

    public init(_ options: GatewayOptions, logger: Logger = Logger(label: "promptc")) throws(RouteLoadError) {
        self.options = options
        self.logger = logger
        let breakers = CircuitBreakerRegistry(settings: options.settings.circuitBreaker)
        endpoints = try RouteLoader.endpoints(
            options.routeTable, settings: options.settings, mock: options.mock, environment: options.environment,
            breakers: breakers, backoff: Backoff())
        runtime = GatewayRuntime(
            upstream: UpstreamClient(connectTimeout: .nanoseconds(options.upstreamConnectTimeout.nanoseconds)),
            breakers: breakers, metrics: GatewayMetrics(), cache: ResponseCache(maximumBytes: options.settings.cacheMaxBytes),
            logger: logger, logPrompts: options.logPrompts,
            maxBodyBytes: options.settings.maxBodyBytes, pricing: options.settings.pricing)
        openAPIDocument = OpenAPIDocument(routeTable: options.routeTable)
        consumers = ConsumerDirectory(options.settings.consumers)
        usage = options.usageStore.map { UsageRecorder(store: $0, logger: logger) }
        let known = Set(endpoints.map(\.name))
        for consumer in options.settings.consumers {
            if let unknown = consumer.endpoints?.first(where: { !known.contains($0) }) {
                throw RouteLoadError(description: "consumer '\(consumer.name)' lists '\(unknown)', which is not an endpoint of these routes")
            }
        }
    }

    /// The models each endpoint will call, and whether their keys are set: for the start-up log.
    public var chainSummary: [(endpoint: String, path: String, models: [(model: String, configured: Bool)])] {
        endpoints.map { endpoint in
            (endpoint.name, endpoint.definition.path, endpoint.chain.steps.map { ($0.model, $0.isConfigured) })
        }
    }

    /// The Hummingbird application. `onServerRunning` is given the bound port.
    public func makeApplication(onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }) -> some ApplicationProtocol {
        let router = Router(context: GatewayRequestContext.self)
        var methods: [String: [String]] = [:]
        var handlers: [String: EndpointHandler] = [:]
        router.add(middleware: RequestIDMiddleware())
        for endpoint in endpoints {
            handlers[endpoint.definition.path] = EndpointHandler(endpoint: endpoint, runtime: runtime, usage: usage)
            methods[endpoint.definition.path, default: []].append("POST")
        }
        OperationalRoutes(gateway: self).add(to: router, methods: &methods)
        AdminRoutes(gateway: self).add(to: router, methods: &methods)
        router.middlewares.add(RouteGuardMiddleware(methods: methods))
        if !consumers.isEmpty {
            let names = Dictionary(endpoints.map { ($0.definition.path, $0.name) }) { first, _ in first }
            router.middlewares.add(ConsumerAuthMiddleware(directory: consumers, endpoints: names))
        }
        router.middlewares.add(EndpointRouter(handlers: handlers))
        let watches = runtime.watches
        return Application(
            router: router,
            server: .http1(configuration: .init(additionalChannelHandlers: [watches.makeHandler()])),
            configuration: ApplicationConfiguration(
                address: .hostname(options.host, port: options.port), serverName: nil),
            onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? 0) },
            logger: logger)
    }

    /// Serves until SIGTERM or SIGINT, then stops accepting, lets in-flight requests finish
    /// within `shutdownTimeout`, and closes the upstream client.
    public func run(onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        warnIfOpenToTheNetwork()
        let application = makeApplication(onServerRunning: onServerRunning)
        var configuration = ServiceGroupConfiguration(
            services: [application], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        configuration.maximumGracefulShutdownDuration = options.shutdownTimeout
        let group = ServiceGroup(configuration: configuration)
        do {
            try await group.run()
        } catch {
            await shutdown()
            throw error
        }
        await shutdown()
    }

    /// Without consumers every endpoint is open: fine on loopback, worth a warning elsewhere.
    func warnIfOpenToTheNetwork() {
        guard consumers.isEmpty, !Self.isLoopback(options.host) else { return }
        logger.warning("no consumers are configured: every endpoint is open to anyone who can reach \(options.host)", metadata: [
            "hint": "add consumers to promptc.yaml (promptc keys new NAME), or serve on 127.0.0.1",
        ])
    }

    static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || host == "[::1]" || host.hasPrefix("127.")
    }

    /// Writes the usage records still queued and closes the upstream client; call after the
    /// application stopped.
    public func shutdown() async {
        await usage?.close()
        await runtime.upstream.shutdown()
    }
}
