import EndpointModel

/// The core of the OpenAI-compatible API (gateway-contract.md): the same consumer stage, fallback
/// chain and outcome as prompt endpoints. It has no input schema, templates or cache: a chat
/// request is checked by `ChatRequestDecoder` in the front, and answers are checked in each
/// attempt (`response_format: json_schema`).
struct ChatPipeline: Sendable {
    let consumers: ConsumerStage
    let targets: ChatTargets
    let caller: ChatCaller
    let runtime: GatewayRuntime
    /// Metrics by record name (`chat:GROUP`), for model groups and pools.
    let metrics: [String: EndpointMetrics]

    struct Answer: Sendable {
        var answer: ChatAnswer
        /// The `provider/model` that answered.
        var model: String
        var calls: Int
    }

    func run(_ chat: ChatRequest, key: String?, requestID: String, progress: ChainProgressSink?, outcome: RequestOutcome) async throws -> Answer {
        let consumer = try await consumers.admit(key: key, endpoint: chat.model, outcome: outcome)
        let target: ChatTargets.Target
        switch targets.target(chat.model) {
        case .found(let found):
            target = found
        case .unknown:
            var error = GatewayError(
                status: .notFound, type: "model_not_found",
                message: "'\(chat.model)' is not a model group, pool/NAME or provider/model of a configured provider (GET /v1/models lists them)")
            error.details = [Violation(path: "/model", message: "unknown model")]
            throw error
        case .tooManyModels(let maximum):
            var error = GatewayError(
                status: .badRequest, type: "invalid_request",
                message: "promptc already serves \(maximum) provider/model names that promptc.yaml does not list; name '\(chat.model)' in a model group")
            error.details = [Violation(path: "/model", message: "too many distinct models")]
            throw error
        }
        outcome.update { $0.endpoint = target.recordName }
        let policy = target.chain.policy
        let end = ContinuousClock.now + .milliseconds(policy.deadlineMs)
        let caller = self.caller
        let result = try await runtime.run(
            target.chain, label: target.recordName, metrics: metrics[target.recordName], requestID: requestID,
            affinity: ChainAffinity(consumer: consumer?.consumer.name ?? requestID, client: outcome.client), streamed: progress != nil, trace: outcome.trace,
            onAttempt: { record in outcome.update { $0.attempts.append(record) } }
        ) { (step, timeout) throws(AttemptFailure) in
            let streaming = progress.map { StreamedAttempt(policy: policy, timeout: timeout, end: end, progress: HedgeStreamSlot.wrap($0)) }
            let answer = try await caller.call(
                step, chat, timeout: timeout, streaming: streaming, label: target.recordName, requestID: requestID, trace: outcome.trace)
            return (answer, answer.usage)
        }
        await consumers.spend(consumer, answer: result.answered, hedgeLoser: result.hedgeLoser, pricing: runtime.pricing)
        outcome.update { fields in
            fields.model = result.model
            fields.tokens = result.usage
            fields.hedgeLoser = result.hedgeLoser
        }
        return Answer(answer: result.output, model: result.model, calls: result.calls)
    }
}
