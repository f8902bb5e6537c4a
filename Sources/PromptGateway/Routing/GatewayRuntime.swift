import EndpointModel
import Logging
import NIOCore

/// What every endpoint shares at run time: the upstream client, the circuit breakers, the
/// metrics, the logger and the connection watches.
final class GatewayRuntime: Sendable {
    let upstream: UpstreamClient
    let breakers: CircuitBreakerRegistry
    let metrics: GatewayMetrics
    let watches: ConnectionWatchRegistry
    let cache: ResponseCache
    let upstreams: UpstreamStats
    let logger: Logger
    let logPrompts: Bool
    let pricing: [String: ModelPrice]
    /// With `OTEL_EXPORTER_OTLP_ENDPOINT`: where spans go.
    let tracing: GatewayTracing?
    /// `hedge_budget`, shared by every chain that hedges.
    let hedgeBudget: HedgeBudget

    init(
        upstream: UpstreamClient, breakers: CircuitBreakerRegistry, metrics: GatewayMetrics, cache: ResponseCache, logger: Logger, logPrompts: Bool,
        pricing: [String: ModelPrice], watches: ConnectionWatchRegistry = ConnectionWatchRegistry(), upstreams: UpstreamStats = UpstreamStats(),
        tracing: GatewayTracing? = nil, hedgeBudget: HedgeBudget = HedgeBudget(fraction: 0.05)
    ) {
        self.hedgeBudget = hedgeBudget
        self.tracing = tracing
        self.watches = watches
        self.upstreams = upstreams
        self.cache = cache
        self.pricing = pricing
        self.upstream = upstream
        self.breakers = breakers
        self.metrics = metrics
        self.logger = logger
        self.logPrompts = logPrompts
    }

    /// Runs `endpoint`'s chain for one rendered prompt.
    /// `eventLoop` is the loop of the client's connection; provider calls run on it.
    func runChain(
        _ endpoint: ServedEndpoint, metrics: EndpointMetrics?, system: String?, user: String, requestID: String, eventLoop: (any EventLoop)?,
        affinity: ChainAffinity, progress: ChainProgressSink? = nil, trace: RequestTrace? = nil,
        onAttempt: @escaping @Sendable (AttemptRecord) -> Void
    ) async throws -> ChainAnswer {
        let call = ModelCall(
            model: "", system: system, user: user, parameters: ModelParameters(), endpointName: endpoint.name,
            output: endpoint.definition.output, exampleOutputs: endpoint.exampleOutputs, exampleAnswers: endpoint.exampleAnswers)
        let policy = endpoint.chain.policy
        let end = ContinuousClock.now + .milliseconds(policy.deadlineMs)
        return try await run(
            endpoint.chain, label: endpoint.name, metrics: metrics, requestID: requestID, affinity: affinity, streamed: progress != nil,
            trace: trace, onAttempt: onAttempt
        ) { [self] (step, timeout) throws(AttemptFailure) in
            let streaming = progress.map { StreamedAttempt(policy: policy, timeout: timeout, end: end, progress: HedgeStreamSlot.wrap($0)) }
            return try await attempt(
                step, call, timeout: timeout, endpoint: endpoint, requestID: requestID, eventLoop: eventLoop, streaming: streaming, trace: trace)
        }
    }

    /// Runs `chain` with `attempt` for each call, and keeps the metrics and logs of every attempt
    /// and of the answer: for prompt endpoints and model groups alike. `label` names the
    /// endpoint (or `chat:GROUP`) in logs.
    func run<Output: Sendable>(
        _ chain: FallbackChain, label: String, metrics: EndpointMetrics?, requestID: String, affinity: ChainAffinity, streamed: Bool,
        trace: RequestTrace?,
        onAttempt: @escaping @Sendable (AttemptRecord) -> Void,
        attempt: @escaping @Sendable (ChainStep, Duration) async throws(AttemptFailure) -> (Output, TokenUsage)
    ) async throws -> ChainResult<Output> {
        let answer = try await chain.run(attempt, affinity: affinity, streamed: streamed, onAttempt: { [self] record in
            onAttempt(record)
            observe(record, label: label, requestID: requestID, metrics: metrics)
            if !record.isCall { trace?.skipped(record) }
        })
        count(answer.answered, in: metrics)
        if let loser = answer.hedgeLoser { count(loser, in: metrics) }
        if answer.attempts.contains(where: { $0.model != answer.model }) { metrics?.fallback() }
        if let hedge = answer.hedge { metrics?.hedge(hedge) }
        return answer
    }

    /// Counts a call's tokens, and their cost, under its model.
    private func count(_ call: CallUsage, in metrics: EndpointMetrics?) {
        metrics?.model(call.model)?.tokens(call.tokens, price: pricing[call.model])
    }

    /// One model call: the answer parsed and checked against the output schema, or a
    /// classified failure.
    private func attempt(
        _ step: ChainStep, _ call: ModelCall, timeout: Duration, endpoint: ServedEndpoint, requestID: String, eventLoop: (any EventLoop)?,
        streaming: StreamedAttempt?, trace: RequestTrace?
    ) async throws(AttemptFailure) -> (JSONValue, TokenUsage) {
        var call = call
        call.model = step.modelName
        call.parameters = step.parameters
        return try await tracked(step, label: endpoint.name, requestID: requestID, streaming: streaming, trace: trace, tokens: \.1) {
            [self] () throws(AttemptFailure) in
            try await endpoint.faults?.failIfInjected(endpoint: endpoint.name, step: step, timeout: timeout)
            let modelAnswer =
                if let streaming {
                    try await stream(step, call, streaming)
                } else {
                    try await self.call(step, call, timeout: timeout, on: eventLoop)
                }
            let output = try AnswerParser.output(from: modelAnswer.text, validator: endpoint.outputValidator)
            if logPrompts {
                logger.info("answer", metadata: ["request_id": .string(requestID), "model": .string(step.model), "text": .string(modelAnswer.text)])
            }
            return (output, modelAnswer.usage)
        }
    }

    /// What every model call does around its exchange, for prompt endpoints and model groups
    /// alike: the upstream statistics, the stream's `began` and `failed` progress, a failed
    /// attempt's log line with its reason, and the attempt's span (whose context goes to the
    /// provider). `label` names the endpoint (or `chat:GROUP`); `tokens` reads an answer's counts.
    func tracked<Output: Sendable>(
        _ step: ChainStep, label: String, requestID: String, streaming: StreamedAttempt?, trace: RequestTrace?,
        tokens: (Output) -> TokenUsage, _ exchange: () async throws(AttemptFailure) -> Output
    ) async throws(AttemptFailure) -> Output {
        let started = ContinuousClock.now
        upstreams.began(step.model)
        streaming?.progress(.began(model: step.model))
        let span = trace?.attempt(step)
        do throws(AttemptFailure) {
            let output = try await UpstreamTraceHeaders.with(span?.headerLines ?? [], exchange)
            upstreams.ended(step.model, outcome: "ok", ms: (ContinuousClock.now - started).milliseconds)
            span?.succeeded(tokens: tokens(output))
            return output
        } catch {
            span?.failed(error)
            let ms = (ContinuousClock.now - started).milliseconds
            streaming?.progress(.failed(model: step.model, outcome: error.failureClass.rawValue))
            upstreams.ended(step.model, outcome: error.failureClass.rawValue, ms: ms)
            var metadata: Logger.Metadata = [
                "request_id": .string(requestID), "endpoint": .string(label), "model": .string(step.model),
                "outcome": .string(error.failureClass.rawValue), "ms": .stringConvertible(ms), "reason": .string(error.message),
            ]
            // The provider's own words may quote the request; like prompts, only on request.
            if logPrompts, let said = error.providerMessage { metadata["provider_message"] = .string(said) }
            logger.notice("attempt failed", metadata: metadata)
            throw error
        }
    }

    /// An attempt's metrics, a skipped model's log line, and the model's circuit gauge.
    private func observe(_ record: AttemptRecord, label: String, requestID: String, metrics: EndpointMetrics?) {
        let modelMetrics = metrics?.model(record.model)
        modelMetrics?.attempt(outcome: record.outcome)
        if !record.isCall {
            logger.notice("model skipped", metadata: [
                "request_id": .string(requestID), "endpoint": .string(label), "model": .string(record.model),
                "outcome": .string(record.outcome),
            ])
        }
        if case .open = breakers.state(of: record.model) {
            modelMetrics?.circuit(open: true)
        } else {
            modelMetrics?.circuit(open: false)
        }
    }

    private func call(_ step: ChainStep, _ call: ModelCall, timeout: Duration, on eventLoop: (any EventLoop)?) async throws(AttemptFailure) -> ModelAnswer {
        if step.provider.api == .mock { return try MockProvider.answer(call) }
        guard let (adapter, template) = step.wire?.value else {
            throw AttemptFailure(.connection, "provider '\(step.provider.name)' has no base_url")
        }
        let request = adapter.request(template, system: call.system, user: call.user)
        let body = try await upstream.send(request, timeout: timeout, on: eventLoop)
        return try adapter.answer(from: body)
    }

    /// One model call, streamed: each piece of the answer's text goes to the front as it comes.
    /// The text is the model's content and, for a forced tool, its arguments.
    private func stream(_ step: ChainStep, _ call: ModelCall, _ streaming: StreamedAttempt) async throws(AttemptFailure) -> ModelAnswer {
        if step.provider.api == .mock { return try await MockProvider.stream(call, progress: streaming.progress) }
        guard let (adapter, template) = step.wire?.streaming else {
            throw AttemptFailure(.connection, "provider '\(step.provider.name)' has no base_url")
        }
        let request = adapter.request(template, system: call.system, user: call.user)
        let answer = StreamedAnswer()
        let progress = streaming.progress
        try await upstream.stream(request, limits: streaming.limits, decoder: adapter.streamDecoder()) { deltas in
            for text in answer.apply(deltas) { progress(.delta(text)) }
        }
        return answer.modelAnswer
    }
}

/// How one attempt of a streamed chain is bounded and where its progress goes.
struct StreamedAttempt: Sendable {
    var limits: StreamLimits
    var progress: ChainProgressSink

    /// An attempt with `timeout` left, of a chain with `policy` whose deadline is `end`: the first
    /// token within `first_token_timeout` (default the timeout), no gap longer than the timeout.
    init(policy: FallbackPolicy, timeout: Duration, end: ContinuousClock.Instant, progress: @escaping ChainProgressSink) {
        let firstToken = policy.firstTokenTimeoutMs.map { Duration.milliseconds($0) } ?? timeout
        limits = StreamLimits(firstToken: firstToken, gap: timeout, end: end)
        self.progress = progress
    }
}
