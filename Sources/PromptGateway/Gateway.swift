import EndpointModel
import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
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
    /// Where usage records go (`UsageStores.open`); nil records nothing (tests that do not look).
    public var usageStore: (any UsageStore)?
    /// Where each usage record goes before its answer is sent; nil keeps them in memory only.
    public var usageJournal: UsageJournal?
    /// How to get `/openapi.json`, on its first request; nil serves none.
    public var openAPI: (@Sendable () throws -> [UInt8])?
    /// How often a quiet stream gets a `: ping` comment (the contract's 15 s; tests shorten it).
    public var streamPingInterval: Duration = .seconds(15)
    /// With `mock`: every model of a chain answers from the mock (`promptc drill --mock`), not
    /// only the first.
    public var mockEveryModel = false
    /// `promptc drill`'s injected failures; nil when serving.
    public var faultInjector: FaultInjector?
    /// How alerts are delivered: tries and waits (tests shorten them).
    var alertDelivery = AlertDispatcher.Delivery()

    public init(
        routeTable: RouteTable, settings: GatewaySettings = GatewaySettings(), host: String = "127.0.0.1", port: Int = 8080,
        mock: Bool = false, logPrompts: Bool = false, environment: [String: String] = ProcessInfo.processInfo.environment,
        shutdownTimeout: Duration = .seconds(30), usageStore: (any UsageStore)? = nil, usageJournal: UsageJournal? = nil,
        openAPI: (@Sendable () throws -> [UInt8])? = nil
    ) {
        self.usageJournal = usageJournal
        self.openAPI = openAPI
        self.usageStore = usageStore
        self.routeTable = routeTable
        self.settings = settings
        self.host = host
        self.port = port
        self.mock = mock
        self.logPrompts = logPrompts
        self.environment = environment
        self.shutdownTimeout = shutdownTimeout
    }
}

/// `promptc serve`: the compiled endpoints behind Hummingbird, each through its fallback chain.
public final class Gateway: Sendable {
    let options: GatewayOptions
    let foundation: GatewayFoundation
    /// The routes being served; `reload` swaps them.
    let cores: CoreHolder
    let logger: Logger
    let mcpToolbox: MCPToolbox
    let mcpSessions: MCPSessions
    /// nil when the portal is off (`portal: false`).
    let portalTemplates: PortalTemplates?
    let portalSessions = PortalSessions()
    /// With a usage store and a journal: writes what earlier processes left in the journal.
    let journalReplayer: JournalReplayer?

    /// promptc's version, as `--version` and MCP's `initialize` say it.
    public static let version = "0.1.0"

    var core: GatewayCore { cores.current }
    var runtime: GatewayRuntime { core.runtime }
    var endpoints: [ServedEndpoint] { core.endpoints }
    var consumers: ConsumerDirectory { core.consumers }
    var usage: UsageRecorder? { foundation.usage }

    public init(_ options: GatewayOptions, logger: Logger = Logger(label: "promptc")) throws(RouteLoadError) {
        self.options = options
        self.logger = logger
        let metrics = GatewayMetrics()
        let dropped = metrics.usageRecordsDropped
        let upstream = UpstreamClient(settings: options.settings.upstream)
        let alerts = options.settings.alerts.webhooks.isEmpty ? nil : AlertDispatcher(
            settings: options.settings.alerts, environment: options.environment, upstream: upstream, logger: logger,
            delivery: options.alertDelivery)
        var shared: SharedDatabase?
        var circuits: CircuitBroadcast?
        if let url = options.settings.sharedDatabase {
            do {
                let database = try SharedDatabase(url: url, metrics: metrics, logger: logger, alerts: alerts)
                shared = database
                circuits = try CircuitBroadcast(database: database, url: url, logger: logger)
            } catch {
                throw RouteLoadError(description: "shared.database: \(error)")
            }
        }
        let tracing: GatewayTracing?
        do {
            tracing = try GatewayTracing.fromEnvironment(options.environment, logger: logger)
        } catch {
            throw RouteLoadError(description: error.description)
        }
        foundation = GatewayFoundation(
            upstream: upstream, metrics: metrics, watches: ConnectionWatchRegistry(),
            upstreams: UpstreamStats(), tracing: tracing,
            usage: options.usageStore.map {
                UsageRecorder(
                    store: $0, journal: options.usageJournal, logger: logger, onDrop: { dropped.increment(by: $0) },
                    onWriteFailure: { problem in
                        alerts?.raise(Alert(
                            event: .storeDown, severity: .critical, summary: "usage records cannot be written to the usage store; they wait in the queue",
                            figures: ["store": "usage", "problem": .string(problem)]))
                    })
            },
            shared: shared, circuits: circuits, alerts: alerts,
            logger: logger, logPrompts: options.logPrompts,
            mock: options.mock ? (options.mockEveryModel ? .everyModel : .firstModel) : .off, environment: options.environment,
            faultInjector: options.faultInjector, portal: options.settings.portal)
        journalReplayer = options.usageJournal.flatMap { journal in
            options.usageStore.map { JournalReplayer(directory: journal.directory, store: $0, logger: logger) }
        }
        cores = CoreHolder(try GatewayCore.load(
            options.routeTable, settings: options.settings, openAPI: options.openAPI, foundation: foundation, previous: nil))
        mcpToolbox = MCPToolbox(cores: cores, version: Self.version)
        mcpSessions = MCPSessions(toolbox: mcpToolbox)
        do {
            portalTemplates = options.settings.portal ? try PortalTemplates() : nil
        } catch {
            throw RouteLoadError(description: "the portal's templates do not parse: \(error)")
        }
    }

    /// The models each endpoint will call, and whether their keys are set: for the start-up log.
    public var chainSummary: [(endpoint: String, path: String, models: [(model: String, configured: Bool)])] {
        endpoints.map { endpoint in
            (endpoint.name, endpoint.definition.path, endpoint.chain.steps.map { ($0.model, $0.isConfigured) })
        }
    }

    /// The Hummingbird application. `onServerRunning` is given the bound port.
    ///
    /// Plain prompt requests and chat completions are answered before the router, on the event
    /// loop, by `DirectFrontHandler` (`GatewayHTTP1Channel` builds each connection's pipeline);
    /// the router gets every other request.
    ///
    /// Its middleware is the request's path, outermost first: `CORSMiddleware` (with `cors:`),
    /// `RequestRecorder` (id, errors as answers, the one record of every request),
    /// `RouteGuardMiddleware` (404, 405), then the fronts (REST and SSE, the OpenAI-compatible
    /// API, MCP); the router serves the operational routes, the admin routes and the portal.
    public func makeApplication(onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }) -> some ApplicationProtocol {
        // HEAD works wherever GET does (gateway-contract.md, Limits, timeouts and failure accounting).
        let router = Router(context: GatewayRequestContext.self, options: .autoGenerateHeadEndpoints)
        // Middleware applies to the routes added after it, so it all comes first. Each reads
        // the request's core (`context.core`), which a reload does not change under it.
        if !options.settings.corsOrigins.isEmpty { router.add(middleware: CORSMiddleware(origins: Set(options.settings.corsOrigins))) }
        router.add(middleware: RequestRecorder(cores: cores))
        router.add(middleware: RouteGuardMiddleware(cores: cores))
        let limits = options.settings.limits
        let watches = foundation.watches
        let responder = EventStreamResponder(watches: watches, pingInterval: options.streamPingInterval)
        router.add(middleware: RESTFront(
            cores: cores, watches: watches, maxBodyBytes: options.settings.maxBodyBytes, stream: SSEFront(responder: responder)))
        router.add(middleware: ChatFront(cores: cores, responder: responder, watches: watches, maxBodyBytes: options.settings.maxBodyBytes))
        router.add(middleware: MCPFront(sessions: mcpSessions, cores: cores, maxBodyBytes: options.settings.maxBodyBytes))
        OperationalRoutes(gateway: self).add(to: router)
        AdminRoutes(gateway: self).add(to: router)
        if let portalTemplates { PortalRoutes(gateway: self, templates: portalTemplates, sessions: portalSessions).add(to: router) }
        let clientTimeout = TimeAmount.milliseconds(Int64(limits.clientTimeoutMs))
        let direct = DirectExchange(
            cores: cores, maxBodyBytes: options.settings.maxBodyBytes, corsEnabled: !options.settings.corsOrigins.isEmpty, logger: logger)
        let server = HTTPServerBuilder { [logger] (responder: @escaping HTTPChannelHandler.Responder) in
            GatewayHTTP1Channel(
                responder: responder, clientTimeout: clientTimeout, idleTimeout: .milliseconds(limits.idleTimeoutMs), watches: watches,
                direct: direct, logger: logger)
        }
        return Application(
            router: router,
            server: server,
            configuration: ApplicationConfiguration(
                address: .hostname(options.host, port: options.port), serverName: nil,
                availableConnectionsDelegate: MaximumAvailableConnections(limits.maxConnections)),
            onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? 0) },
            logger: logger)
    }

    /// Serves until SIGTERM or SIGINT, then stops accepting, lets in-flight requests finish
    /// within `shutdownTimeout`, and closes the upstream client.
    /// `alongside` runs with the server and stops with it (`ReloadService`).
    public func run(alongside services: [any Service] = [], onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        warnIfOpenToTheNetwork()
        let application = makeApplication(onServerRunning: onServerRunning)
        var configuration = ServiceGroupConfiguration(
            services: [.init(service: application)] + services.map { .init(service: $0) }, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
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
        DatabaseURL.isLoopback(host)
    }

    /// Gets ready to serve: writes what earlier processes left in the usage journal (and goes on
    /// trying while the store does not answer), reads what consumers with a budget spent this
    /// period from the usage records (a restart does not hand out a fresh budget), and connects
    /// to `shared.database`,
    /// when there is one, waiting up to `wait` for it: limits are counted there from the first
    /// request when it answers, and locally until it does; and starts exporting spans, with
    /// `OTEL_EXPORTER_OTLP_ENDPOINT`. Call before serving.
    public func prepare(waitingUpTo wait: Duration = .seconds(5)) async {
        foundation.tracing?.start()
        await journalReplayer?.start()
        await seedBudgets()
        guard let shared = foundation.shared else { return }
        let (cores, metrics, logger) = (cores, foundation.metrics, logger)
        foundation.circuits?.start { model in
            // Only models these routes call: a notice cannot make this replica keep breakers
            // for names it never uses.
            let core = cores.current
            guard core.calledModels.contains(model), core.runtime.breakers.openFromElsewhere(model) else { return }
            metrics.model(model).circuit(open: true)
            logger.notice("circuit opened by another replica", metadata: ["model": .string(model)])
        }
        await shared.start(waitingUpTo: wait)
    }

    /// Each budget's count for its current period, from the usage store. Failing that (a store
    /// that does not answer), budgets count from zero, and the log says so.
    func seedBudgets(nowMs: Int64 = SharedLimits.nowMs()) async {
        guard consumers.entries.contains(where: { $0.budget != nil }), let store = usage?.store else { return }
        var costsByStart: [Int64: [String: Double]] = [:]
        for entry in consumers.entries {
            guard let budget = entry.budget else { continue }
            let period = budget.period(nowMs: nowMs)
            if costsByStart[period.startMs] == nil {
                do {
                    costsByStart[period.startMs] = try await store.costs(sinceMs: period.startMs)
                } catch {
                    logger.error("budgets count from zero: the usage records of this period could not be read", metadata: [
                        "error": .string(StoreProblem.describe(error)),
                    ])
                    return
                }
            }
            budget.seed(spentUSD: costsByStart[period.startMs]?[entry.consumer.name] ?? 0, period: period)
        }
    }

    /// Writes the usage records still queued and closes the upstream client and the shared
    /// database; call after the application stopped.
    public func shutdown() async {
        await mcpSessions.closeAll()
        await journalReplayer?.stop()
        await usage?.close(timeout: options.shutdownTimeout)
        await foundation.circuits?.close()
        await foundation.alerts?.close()
        await foundation.shared?.close()
        await foundation.upstream.shutdown()
        // Last: the spans of the requests that just finished are exported.
        await foundation.tracing?.stop()
    }
}
