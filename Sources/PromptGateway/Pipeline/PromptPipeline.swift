import EndpointModel
import NIOCore

/// A request for the core, as a front decoded it.
struct PipelineRequest: Sendable {
    var endpoint: ServedEndpoint
    var requestID: String
    /// The consumer key the request carried, if any.
    var key: String?
    /// `Cache-Control: no-cache`, or the front's equivalent.
    var noCache: Bool
    /// The connection's event loop, where provider calls are best made; nil when there is none.
    var eventLoop: (any EventLoop)?
    /// Reads and decodes the input; called only once consumer and limits have let the request in,
    /// so a refused request's body is never read.
    var readInput: @Sendable () async throws -> JSONValue
    /// Set by a streaming front: the chain streams its attempts and reports their progress here.
    var progress: ChainProgressSink?
}

/// What the core answers: the output as JSON bytes and where it came from.
struct PipelineAnswer: Sendable {
    var body: ByteBuffer
    var model: String
    var calls: Int
    /// `hit`, `miss` or `stale` for a cached endpoint.
    var cache: String?
    /// The tokens the model counted; none for an answer from the cache.
    var usage = TokenUsage()
}

/// The request pipeline every front calls (architecture.md, One core, many fronts): lifecycle
/// (410 once gone), consumer and limits, input and validation, cache, chain (whose attempts check the output). Each stage
/// is a type of its own; this only puts them in order and fills in the outcome. Errors are
/// thrown as they are (`GatewayError`, `ChainFailure`) and render themselves in the front.
struct PromptPipeline: Sendable {
    let consumers: ConsumerStage
    let input: InputStage
    let cache: CacheStage
    let chain: ChainStage
    let metrics: [String: EndpointMetrics]

    func run(_ request: PipelineRequest, outcome: RequestOutcome) async throws -> PipelineAnswer {
        let endpoint = request.endpoint
        try endpoint.lifecycle?.admit(at: EndpointLifecycle.now())
        let consumer = try await consumers.admit(key: request.key, endpoint: endpoint.name, outcome: outcome)
        let input = try input.validate(try await request.readInput(), for: endpoint)
        let metrics = metrics[endpoint.name]
        let lookup = cache.lookup(endpoint, input: input, noCache: request.noCache)
        if let lookup {
            outcome.update { $0.cache = "miss" }
            if let entry = cache.fresh(lookup) { return cached(entry, outcome: "hit", recordedIn: outcome, metrics: metrics) }
        }
        let answer: ChainAnswer
        do {
            answer = try await chain.run(
                endpoint, metrics: metrics, input: input, requestID: request.requestID,
                eventLoop: request.eventLoop, affinity: ChainAffinity(consumer: consumer?.consumer.name ?? request.requestID, client: outcome.client), progress: request.progress,
                outcome: outcome)
        } catch let failure as ChainFailure {
            // stale_if_error: an expired answer stands in for a chain that failed.
            if let lookup, let entry = cache.stale(lookup) { return cached(entry, outcome: "stale", recordedIn: outcome, metrics: metrics) }
            throw failure
        }
        await consumers.spend(consumer, answer: answer.answered, hedgeLoser: answer.hedgeLoser, pricing: chain.runtime.pricing)
        outcome.update { fields in
            fields.model = answer.model
            fields.tokens = answer.usage
            fields.hedgeLoser = answer.hedgeLoser
        }
        let body = ByteBuffer(string: CanonicalJSON.render(answer.output, pretty: false))
        if let lookup {
            cache.store(lookup, body: body, model: answer.model, endpoint: endpoint)
            metrics?.cache(outcome: "miss")
        }
        return PipelineAnswer(body: body, model: answer.model, calls: answer.calls, cache: lookup == nil ? nil : "miss", usage: answer.usage)
    }

    private func cached(_ entry: ResponseCache.Entry, outcome label: String, recordedIn outcome: RequestOutcome, metrics: EndpointMetrics?) -> PipelineAnswer {
        metrics?.cache(outcome: label)
        outcome.update { fields in
            fields.cache = label
            fields.model = entry.model
        }
        return PipelineAnswer(body: entry.body, model: entry.model, calls: 0, cache: label)
    }
}
