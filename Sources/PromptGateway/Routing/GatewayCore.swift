import EndpointModel

/// The one core every front calls (architecture.md, One core, many fronts): the served
/// endpoints, their metrics, the pipelines, and the recorder of outcomes. Built once when a
/// gateway starts, so that a front without HTTP (`promptc mcp` over stdio) gets the very
/// pipeline `promptc serve` runs.
struct GatewayCore: Sendable {
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

    init(
        endpoints: [ServedEndpoint], chatTargets: ChatTargets, runtime: GatewayRuntime, consumers: ConsumerDirectory,
        usage: UsageRecorder?, settings: GatewaySettings
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
        prompts = PromptPipeline(
            consumers: ConsumerStage(directory: consumers), input: InputStage(maxErrorDetails: settings.limits.maxErrorDetails),
            cache: CacheStage(cache: runtime.cache), chain: ChainStage(runtime: runtime), metrics: metrics)
        chat = ChatPipeline(
            consumers: ConsumerStage(directory: consumers), targets: chatTargets, caller: ChatCaller(runtime: runtime), runtime: runtime,
            metrics: metrics)
        recorder = OutcomeRecorder(logger: runtime.logger, metrics: metrics, usage: usage, pricing: settings.pricing)
    }
}

extension FallbackChain {
    /// Every model the chain may call, pool members included.
    var models: [String] {
        steps.flatMap { $0.pool?.members.map(\.model) ?? [$0.model] }
    }
}
