import Foundation
import EndpointModel
import HTTPTypes
import Hummingbird
import NIOCore

/// The streaming front of prompt endpoints (gateway-contract.md, Streaming): the same pipeline
/// as `RESTFront`, its progress turned into `partial`, `fallback`, `result` and `error` events
/// by `StreamEventPlanner`, sent by `EventStreamResponder`.
struct SSEFront: Sendable {
    let responder: EventStreamResponder

    /// Whether the request asks for a stream: `Accept: text/event-stream`.
    /// Asked on every request: most carry no `Accept`, and are answered without allocating.
    static func wantsStream(_ headers: HTTPFields) -> Bool {
        guard headers.value(.accept) != nil else { return false }
        return headers[values: .accept].contains { $0.range(of: "text/event-stream", options: .caseInsensitive) != nil }
    }

    func respond(_ request: PipelineRequest, pipeline: PromptPipeline, outcome: RequestOutcome, channel: any Channel) async throws -> Response {
        outcome.update { $0.front = "sse" }
        return try await responder.respond(
            planner: PromptEventPlanner(), outcome: outcome, channel: channel, requestID: request.requestID
        ) { progress in
            var request = request
            request.progress = progress
            return try await pipeline.run(request, outcome: outcome)
        }
    }
}

/// `StreamEventPlanner`'s events as they go on the wire.
struct PromptEventPlanner: EventPlanner {
    private var planner = StreamEventPlanner()

    var started: Bool { planner.started }

    mutating func receive(_ progress: ChainProgress, now: ContinuousClock.Instant) -> [String] {
        planner.receive(progress, now: now).map(\.wireText)
    }

    mutating func finish(_ answer: PipelineAnswer) -> [String] {
        [planner.result(output: String(buffer: answer.body), model: answer.model, attempts: answer.calls, usage: answer.usage).wireText]
    }

    func fail(_ error: GatewayError, requestID: String) -> [String] {
        [planner.error(error, requestID: requestID).wireText]
    }
}
