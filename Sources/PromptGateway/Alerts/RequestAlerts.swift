import EndpointModel

/// The alerts one request's outcome can raise (gateway-contract.md, Alerts): its chain ran out
/// of models (`chain_exhausted`), or its endpoint's answers fall back too often
/// (`fallback_rate`). `OutcomeRecorder`, which every front ends in, hands each outcome here.
struct RequestAlerts: Sendable {
    /// The error types of a chain that gave no answer (`GatewayError.from(ChainFailure)`).
    static let exhaustedTypes: Set<String> = ["upstream_failed", "no_healthy_upstream", "deadline_exceeded"]

    let dispatcher: AlertDispatcher
    /// nil when no webhook wants `fallback_rate`: nothing to count then.
    let fallbackRate: FallbackRateWatch?

    init(dispatcher: AlertDispatcher) {
        self.dispatcher = dispatcher
        let settings = dispatcher.settings
        fallbackRate = dispatcher.wants(.fallbackRate)
            ? FallbackRateWatch(above: settings.fallbackRateAbove, over: .milliseconds(settings.fallbackRateOverMs)) : nil
    }

    func observe(status: Int, outcome: RequestOutcome.Fields, errorType: String?) {
        guard let endpoint = outcome.endpoint else { return }
        if let errorType, Self.exhaustedTypes.contains(errorType) {
            dispatcher.raise(Alert(
                event: .chainExhausted, severity: .critical, summary: "every model of \(endpoint)'s chain failed (\(errorType))",
                endpoint: endpoint, figures: [
                    "status": .integer(status), "error": .string(errorType), "calls": .integer(outcome.calls),
                    "models": .array(outcome.attempts.map { .string($0.model) }),
                ]))
            return
        }
        // Answers from a model; the cache's answers say nothing of the chain.
        guard status == 200, let fallbackRate, outcome.model != nil, outcome.cache != "hit", outcome.cache != "stale",
              let (rate, answers, fallbacks) = fallbackRate.observe(endpoint, fellBack: outcome.fellBack)
        else { return }
        dispatcher.raise(Alert(
            event: .fallbackRate, severity: .warning,
            summary: "\(endpoint) fell back for \(Int((rate * 100).rounded())) % of its answers over the last \(fallbackRate.over)",
            endpoint: endpoint, figures: [
                "rate": .number(rate), "answers": .integer(answers), "fallbacks": .integer(fallbacks),
                "above": .number(fallbackRate.above), "over_ms": .integer(fallbackRate.over.milliseconds),
            ]))
    }
}
