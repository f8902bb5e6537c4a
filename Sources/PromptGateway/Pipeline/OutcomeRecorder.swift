import EndpointModel
import Foundation
import Logging

/// The outermost layer of every front: one log line per request, the endpoint's metrics, and
/// one usage record per request to an endpoint, whatever stage ended it (gateway-contract.md,
/// Limits, timeouts and failure accounting: every request leaves a trace).
struct OutcomeRecorder: Sendable {
    /// Client-sent text (a path) is cut to this in log lines.
    static let maximumLoggedPathLength = 256

    let logger: Logger
    let metrics: [String: EndpointMetrics]
    let usage: UsageRecorder?
    let pricing: [String: ModelPrice]

    /// A request as the front saw it.
    struct Request {
        var requestID: String
        var method: String
        var path: String
        var startedAt: Date
        var started: ContinuousClock.Instant
    }

    func record(_ request: Request, status: Int, outcome: RequestOutcome.Fields, errorType: String?) {
        let nanoseconds = (ContinuousClock.now - request.started).nanoseconds
        let latencyMs = Int(nanoseconds / 1_000_000)
        var metadata: Logger.Metadata = [
            "request_id": .string(request.requestID), "method": .string(request.method),
            "path": .string(String(request.path.prefix(Self.maximumLoggedPathLength))),
            "status": .stringConvertible(status), "latency_ms": .stringConvertible(latencyMs),
        ]
        if outcome.front != "rest" { metadata["front"] = .string(outcome.front) }
        if let endpoint = outcome.endpoint {
            metadata["endpoint"] = .string(endpoint)
            metadata["attempts"] = .stringConvertible(outcome.calls)
        }
        if let model = outcome.model { metadata["model"] = .string(model) }
        if let consumer = outcome.consumer { metadata["consumer"] = .string(consumer) }
        if let cache = outcome.cache { metadata["cache"] = .string(cache) }
        if let errorType { metadata["error"] = .string(errorType) }
        logger.info("request", metadata: metadata)

        guard let endpoint = outcome.endpoint else { return }
        metrics[endpoint]?.request(status: status, via: outcome.front, nanoseconds: nanoseconds)
        guard let usage else { return }
        let cost = outcome.model.flatMap { pricing[$0] }?.cost(input: outcome.tokens.input, output: outcome.tokens.output) ?? 0
        usage.record(UsageRecord(
            timeMs: Int64(request.startedAt.timeIntervalSince1970 * 1000), requestID: request.requestID, endpoint: endpoint,
            consumer: outcome.consumer, model: outcome.model, attempts: outcome.calls, status: status,
            inputTokens: outcome.tokens.input, outputTokens: outcome.tokens.output, costUSD: cost, latencyMs: latencyMs,
            cache: outcome.cache, fellBack: outcome.fellBack, via: outcome.front))
    }
}
