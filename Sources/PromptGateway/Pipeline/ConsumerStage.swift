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
    /// With `shared.database`: limits counted across replicas.
    var shared: SharedLimits?

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
        guard let limits = entry.limits else { return entry }
        let decision = if let shared { await shared.admit(entry.consumer.name, limits: limits) } else { limits.admit() }
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

    /// Adds the model tokens an answer used to the consumer's token limit, if it has one.
    func spend(_ entry: ConsumerDirectory.Entry?, tokens: Int) async {
        guard let entry, let limits = entry.limits, limits.tokensPerMinute != nil else { return }
        if let shared {
            await shared.spend(entry.consumer.name, tokens: tokens, limits: limits)
        } else {
            limits.spend(tokens: tokens)
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
