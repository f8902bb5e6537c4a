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
    /// With webhooks: the alerts an outcome can raise.
    var alerts: RequestAlerts?

    /// A request as the front saw it.
    struct Request {
        var requestID: String
        var method: String
        var path: String
        var startedAt: Date
        var started: ContinuousClock.Instant
    }

    /// Records the request whole: its usage record, metrics and log line.
    func record(_ request: Request, status: Int, outcome: RequestOutcome.Fields, errorType: String?) {
        recordLeavingLogLine(request, status: status, outcome: outcome, errorType: errorType).write()
    }

    /// Records the request's usage and metrics now, and leaves its log line to the caller, to
    /// write once the answer's bytes are out. The usage record is taken before the answer is sent
    /// (the contract's cluster section has it journalled then), and a scrape that reads the
    /// metrics after an answer must find it counted; nothing waits on the line, which costs more
    /// than both together (nginx's log phase runs after the answer too). Its latency is taken now.
    func recordLeavingLogLine(_ request: Request, status: Int, outcome: RequestOutcome.Fields, errorType: String?) -> RequestLogLine {
        let nanoseconds = (ContinuousClock.now - request.started).nanoseconds
        let line = RequestLogLine(
            logger: logger, request: request, status: status, outcome: outcome, errorType: errorType, nanoseconds: nanoseconds)
        outcome.trace?.end(status: status, outcome: outcome, errorType: errorType)
        guard let endpoint = outcome.endpoint else { return line }
        metrics[endpoint]?.request(status: status, via: outcome.front, nanoseconds: nanoseconds)
        alerts?.observe(status: status, outcome: outcome, errorType: errorType)
        guard let usage else { return line }
        let (tokens, cost) = outcome.billed(pricing)
        usage.record(UsageRecord(
            timeMs: Int64(request.startedAt.timeIntervalSince1970 * 1000), requestID: request.requestID, endpoint: endpoint,
            consumer: outcome.consumer, model: outcome.model, attempts: outcome.calls, status: status,
            inputTokens: tokens.input, outputTokens: tokens.output, costUSD: cost, latencyMs: line.latencyMs,
            cache: outcome.cache, fellBack: outcome.fellBack, via: outcome.front))
        return line
    }
}

/// A request's log line, its fields taken when the request was recorded, to write once its
/// answer is out.
struct RequestLogLine: Sendable {
    fileprivate let logger: Logger
    fileprivate let request: OutcomeRecorder.Request
    fileprivate let status: Int
    fileprivate let outcome: RequestOutcome.Fields
    fileprivate let errorType: String?
    fileprivate let nanoseconds: Int64

    fileprivate var latencyMs: Int { Int(nanoseconds / 1_000_000) }

    func write() {
        var metadata: Logger.Metadata = [
            "request_id": .string(request.requestID), "method": .string(request.method),
            "path": .string(String(request.path.prefix(OutcomeRecorder.maximumLoggedPathLength))),
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
    }
}
