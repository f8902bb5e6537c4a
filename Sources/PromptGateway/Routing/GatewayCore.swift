import Crypto
import EndpointModel
import Foundation

/// The one core every front calls (architecture.md, One core, many fronts): the served
/// endpoints, their metrics, the pipelines, the recorder of outcomes, and what the HTTP layer
/// derives from the routes. It is immutable: a reload builds a new core and swaps it in
/// (`CoreHolder`), so a request runs start to end on the core it started with.
final class GatewayCore: Sendable {
    /// In the route table's order.
    let endpoints: [ServedEndpoint]
    let endpointsByPath: [String: ServedEndpoint]
    let endpointsByName: [String: ServedEndpoint]
    /// By endpoint name, and by record name (`chat:GROUP`) for the OpenAI-compatible API.
    let metrics: [String: EndpointMetrics]
    let consumers: ConsumerDirectory
    let prompts: PromptPipeline
    let chat: ChatPipeline
    let recorder: OutcomeRecorder
    let runtime: GatewayRuntime
    let chatTargets: ChatTargets
    /// Every model these routes may call: endpoints' chains, pools and model groups.
    let calledModels: Set<String>
    let settings: GatewaySettings
    let openAPIDocument: OpenAPIDocument
    /// What opens `/admin/*` and the portal's usage page, from this core's settings.
    let adminKey: AdminKey
    /// Methods by path, for every route (`RouteGuardMiddleware`).
    let routeMethods: [String: [String]]
    /// Endpoint names by path: a request to an endpoint's path is recorded as that endpoint's.
    let recordNames: [String: String]
    /// Paths of endpoints with a response cache, whose every answer says `x-promptc-cache`.
    let cachedPaths: Set<String>
    /// Lifecycles by path: every answer of a deprecated or sunsetting endpoint says so.
    let lifecycles: [String: EndpointLifecycle]
    /// `trusted_proxies`, parsed.
    let trustedProxies: [AddressRange]
    /// SHA-256 (hex) of the route table, as `/readyz` reports it.
    let routesSHA256: String
    let loadedAt: Date

    /// Builds a core for `table` and `settings`. With `previous` (a reload), the circuit
    /// breakers, the response cache and consumers' limits carry over where their settings did
    /// not change: the cache is keyed by each spec's hash, so a changed endpoint misses it.
    static func load(
        _ table: RouteTable, settings: GatewaySettings, openAPI: (@Sendable () throws -> [UInt8])?, foundation: GatewayFoundation,
        previous: GatewayCore?
    ) throws(RouteLoadError) -> GatewayCore {
        let breakers = previous.flatMap { $0.settings.circuitBreaker == settings.circuitBreaker ? $0.runtime.breakers : nil }
            ?? CircuitBreakerRegistry(
                settings: settings.circuitBreaker, onTransition: Self.circuitTransitions(settings.circuitBreaker, foundation: foundation))
        let cache = previous.flatMap { $0.settings.cacheMaxBytes == settings.cacheMaxBytes ? $0.runtime.cache : nil }
            ?? ResponseCache(maximumBytes: settings.cacheMaxBytes)
        let hedgeBudget = previous.flatMap { $0.settings.hedgeBudget == settings.hedgeBudget ? $0.runtime.hedgeBudget : nil }
            ?? HedgeBudget(fraction: settings.hedgeBudget)
        let runtime = GatewayRuntime(
            upstream: foundation.upstream, breakers: breakers, metrics: foundation.metrics, cache: cache, logger: foundation.logger,
            logPrompts: foundation.logPrompts, pricing: settings.pricing, watches: foundation.watches, upstreams: foundation.upstreams,
            tracing: foundation.tracing, hedgeBudget: hedgeBudget)
        let endpoints = try RouteLoader.endpoints(
            table, settings: settings, mock: foundation.mock, environment: foundation.environment, breakers: breakers, backoff: Backoff(),
            faults: foundation.faultInjector, hedgeBudget: hedgeBudget)
        let chatTargets = ChatTargets(
            settings: settings, endpointModels: table.endpoints.flatMap { $0.models.map(\.model) }, mock: foundation.mock != .off,
            environment: foundation.environment, breakers: breakers, backoff: Backoff(), hedgeBudget: hedgeBudget)
        let known = Set(endpoints.map(\.name)).union(settings.modelGroups.keys)
        for consumer in settings.consumers {
            if let unknown = consumer.endpoints?.first(where: { !known.contains($0) }) {
                throw RouteLoadError(description: "consumer '\(consumer.name)' lists '\(unknown)', which is not an endpoint of these routes")
            }
        }
        return GatewayCore(
            endpoints: endpoints, chatTargets: chatTargets, runtime: runtime,
            consumers: ConsumerDirectory(settings.consumers, carryingOver: previous?.consumers),
            sharedLimits: foundation.shared.map { SharedLimits(database: $0) }, alerts: foundation.alerts, usage: foundation.usage,
            settings: settings,
            openAPI: OpenAPIDocument(make: openAPI), portal: foundation.portal, routesSHA256: Self.digest(table))
    }

    /// What a circuit opening or closing here sets off: the other replicas are told of an
    /// opening, and webhooks get `circuit_open` and `circuit_closed`.
    static func circuitTransitions(
        _ breaker: CircuitBreakerSettings, foundation: GatewayFoundation
    ) -> (@Sendable (String, CircuitBreaker.Transition) -> Void)? {
        let (circuits, alerts) = (foundation.circuits, foundation.alerts)
        guard circuits != nil || alerts != nil else { return nil }
        return { model, transition in
            switch transition {
            case .opened:
                circuits?.announceOpened(model)
                alerts?.raise(Alert(
                    event: .circuitOpen, severity: .critical, summary: "\(model)'s circuit opened: its calls fail, so it is skipped for now",
                    model: model, figures: ["failures": .integer(breaker.failureThreshold), "open_for_ms": .integer(breaker.openMs)]))
            case .closed:
                alerts?.raise(Alert(
                    event: .circuitClosed, severity: .info, summary: "\(model)'s circuit closed: its trial call succeeded", model: model))
            }
        }
    }

    init(
        endpoints: [ServedEndpoint], chatTargets: ChatTargets, runtime: GatewayRuntime, consumers: ConsumerDirectory,
        sharedLimits: SharedLimits?, alerts: AlertDispatcher?, usage: UsageRecorder?, settings: GatewaySettings, openAPI: OpenAPIDocument, portal: Bool, routesSHA256: String
    ) {
        var metrics: [String: EndpointMetrics] = [:]
        for endpoint in endpoints {
            metrics[endpoint.name] = runtime.metrics.endpoint(endpoint.name, models: endpoint.chain.models)
        }
        for name in chatTargets.names {
            let record = ChatTargets.Target.recordName(name)
            metrics[record] = runtime.metrics.endpoint(record, models: chatTargets.namedChain(name)?.models ?? [])
        }
        self.endpoints = endpoints
        endpointsByPath = Dictionary(endpoints.map { ($0.definition.path, $0) }) { first, _ in first }
        endpointsByName = Dictionary(endpoints.map { ($0.name, $0) }) { first, _ in first }
        self.metrics = metrics
        self.consumers = consumers
        self.runtime = runtime
        self.chatTargets = chatTargets
        calledModels = Set(endpoints.flatMap { $0.chain.models }).union(chatTargets.knownModels)
        self.settings = settings
        trustedProxies = settings.trustedProxies.compactMap(AddressRange.init)
        openAPIDocument = openAPI
        adminKey = AdminKey(settings)
        self.routesSHA256 = routesSHA256
        loadedAt = Date()
        prompts = PromptPipeline(
            consumers: ConsumerStage(directory: consumers, shared: sharedLimits, alerts: alerts), input: InputStage(maxErrorDetails: settings.limits.maxErrorDetails),
            cache: CacheStage(cache: runtime.cache), chain: ChainStage(runtime: runtime), metrics: metrics)
        chat = ChatPipeline(
            consumers: ConsumerStage(directory: consumers, shared: sharedLimits, alerts: alerts), targets: chatTargets, caller: ChatCaller(runtime: runtime), runtime: runtime,
            metrics: metrics)
        recorder = OutcomeRecorder(
            logger: runtime.logger, metrics: metrics, usage: usage, pricing: settings.pricing, alerts: alerts.map(RequestAlerts.init))

        var methods: [String: [String]] = [:]
        for endpoint in endpoints { methods[endpoint.definition.path, default: []].append("POST") }
        methods[ChatFront.completionsPath] = ["POST"]
        methods[ChatFront.modelsPath] = ["GET"]
        methods[MCPFront.path] = MCPFront.methods
        methods.merge(OperationalRoutes.methods) { $0 + $1 }
        methods.merge(AdminRoutes.methods) { $0 + $1 }
        if portal { methods.merge(PortalRoutes.methods(endpoints: endpoints)) { $0 + $1 } }
        routeMethods = methods
        recordNames = endpointsByPath.mapValues(\.name).merging([ChatFront.completionsPath: "chat"]) { $1 }
        cachedPaths = Set(endpoints.filter { $0.definition.cache?.ttlMs != nil }.map(\.definition.path))
        lifecycles = endpointsByPath.compactMapValues(\.lifecycle)
    }

    /// SHA-256 of the table's JSON with sorted keys: the same routes give the same digest,
    /// whether they came from routes.json or from specs compiled in memory.
    static func digest(_ table: RouteTable) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let bytes = (try? encoder.encode(table)) ?? Data()
        return SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
    }
}

extension FallbackChain {
    /// Every model the chain may call, pool members included.
    var models: [String] {
        steps.flatMap { $0.pool?.members.map(\.model) ?? [$0.model] }
    }
}
