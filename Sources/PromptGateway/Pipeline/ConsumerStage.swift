import EndpointModel
import Foundation
import HTTPTypes

/// The pipeline's first stage: who is calling, and may they (gateway-contract.md, Consumers and
/// keys). With consumers configured, an endpoint answers only a consumer's key: 401
/// `unauthorized` without a known key, 403 `forbidden` for an endpoint outside the consumer's
/// list, 429 `rate_limited` over its limits. Without consumers every endpoint is open.
struct ConsumerStage: Sendable {
    static let apiKeyHeader = HTTPField.Name("x-api-key")!
    static let limitHeader = HTTPField.Name("RateLimit-Limit")!
    static let remainingHeader = HTTPField.Name("RateLimit-Remaining")!
    static let resetHeader = HTTPField.Name("RateLimit-Reset")!

    let directory: ConsumerDirectory
    /// With `shared.database`: limits and budgets counted across replicas.
    var shared: SharedLimits?
    /// With webhooks: budget alerts at 80, 95 and 100 %.
    var alerts: AlertDispatcher?

    /// The consumer `key` belongs to, admitted to `endpoint` and counted against its limits;
    /// nil when no consumers are configured. The outcome learns the consumer and its limits
    /// before any refusal, so refused requests are recorded with them.
    func admit(key: String?, endpoint: String, outcome: RequestOutcome) async throws(GatewayError) -> ConsumerDirectory.Entry? {
        guard !directory.isEmpty else { return nil }
        guard let key else {
            throw Self.unauthorized("this endpoint needs a consumer key: send Authorization: Bearer KEY or x-api-key: KEY")
        }
        guard let entry = directory.entry(forKey: key) else { throw Self.unauthorized("the key is not a consumer's key") }
        outcome.update { $0.consumer = entry.consumer.name }
        guard entry.endpoints?.contains(endpoint) ?? true else {
            throw GatewayError(status: .forbidden, type: "forbidden", message: "consumer '\(entry.consumer.name)' may not call \(endpoint)")
        }
        guard entry.limits != nil || entry.budget != nil else { return entry }
        let admission = if let shared {
            await shared.admit(entry.consumer.name, limits: entry.limits, budget: entry.budget)
        } else {
            ConsumerAdmission.local(limits: entry.limits, budget: entry.budget)
        }
        if let seconds = admission.overBudgetSeconds {
            var error = GatewayError(
                status: .init(code: 402, reasonPhrase: "Payment Required"), type: "budget_exceeded",
                message: "consumer '\(entry.consumer.name)' has spent its budget for this \(entry.budget?.budget.per.rawValue ?? "period"); it renews in \(seconds) s")
            error.headers[.retryAfter] = String(seconds)
            throw error
        }
        guard let decision = admission.decision else { return entry }
        outcome.update { $0.rateLimit = decision }
        guard decision.allowed else {
            var error = GatewayError(
                status: .tooManyRequests, type: "rate_limited",
                message: "consumer '\(entry.consumer.name)' is over its limit; retry in \(decision.resetSeconds) s")
            error.headers[.retryAfter] = String(decision.resetSeconds)
            throw error
        }
        return entry
    }

    /// Adds what an answer's calls used to the consumer's token limit and budget, if it has
    /// them: the tokens, and their cost by `pricing`, the same cost its usage record carries.
    func spend(_ entry: ConsumerDirectory.Entry?, answer: CallUsage, hedgeLoser: CallUsage?, pricing: [String: ModelPrice]) async {
        guard let entry else { return }
        let (used, cost) = CallUsage.total(answer, hedgeLoser, pricing: pricing)
        let tokens = used.input + used.output
        if let limits = entry.limits, limits.tokensPerMinute != nil {
            if let shared {
                await shared.spend(entry.consumer.name, tokens: tokens, limits: limits)
            } else {
                limits.spend(tokens: tokens)
            }
        }
        guard let budget = entry.budget else { return }
        let micros = ConsumerBudget.micros(cost)
        guard micros > 0 else { return }
        let (before, after) = if let shared {
            await shared.spend(entry.consumer.name, micros: micros, budget: budget)
        } else {
            budget.spend(micros)
        }
        guard let alerts else { return }
        for percent in ConsumerBudget.crossed(before: before, after: after, limit: budget.limitMicros) {
            alerts.raise(Alert(
                event: .budget, severity: percent >= 100 ? .critical : .warning,
                summary: "consumer '\(entry.consumer.name)' has spent \(percent) % of its budget for this \(budget.budget.per.rawValue)",
                consumer: entry.consumer.name, detail: String(percent), figures: [
                    "percent": .integer(percent), "spent_usd": .number(Double(after) / 1_000_000), "budget_usd": .number(budget.budget.usd),
                    "per": .string(budget.budget.per.rawValue),
                ]))
        }
    }

    /// The key a request carries: `Authorization: Bearer KEY` or `x-api-key: KEY`.
    static func presentedKey(_ headers: HTTPFields) -> String? {
        presentedKey(authorization: headers.value(.authorization), apiKey: headers.value(apiKeyHeader))
    }

    /// The key in these two headers' values, for fronts whose headers are not `HTTPFields`.
    static func presentedKey(authorization: String?, apiKey: String?) -> String? {
        if let authorization {
            let parts = authorization.split(separator: " ", maxSplits: 1)
            if parts.count == 2, parts[0].lowercased() == "bearer" {
                let key = parts[1].trimmingCharacters(in: .whitespaces)
                if !key.isEmpty { return key }
            }
        }
        if let apiKey, !apiKey.isEmpty { return apiKey }
        return nil
    }

    static func headers(_ decision: ConsumerLimits.Decision) -> HTTPFields {
        [limitHeader: String(decision.limit), remainingHeader: String(decision.remaining), resetHeader: String(decision.resetSeconds)]
    }

    static func unauthorized(_ message: String) -> GatewayError {
        var error = GatewayError(status: .unauthorized, type: "unauthorized", message: message)
        error.headers[.wwwAuthenticate] = "Bearer"
        return error
    }
}
