import EndpointModel
import NIOCore

/// The prompt rendered from the validated input, and the endpoint's fallback chain run for it
/// (gateway-contract.md, The fallback chain). The output is checked inside each attempt, so an
/// answer that breaks the schema moves on like any other failure. Every attempt lands in the
/// outcome as it ends, so a chain that fails is recorded with its calls.
struct ChainStage: Sendable {
    let runtime: GatewayRuntime

    func run(
        _ endpoint: ServedEndpoint, metrics: EndpointMetrics?, input: JSONValue, requestID: String, eventLoop: (any EventLoop)?,
        affinity: ChainAffinity, progress: ChainProgressSink?, outcome: RequestOutcome
    ) async throws -> ChainAnswer {
        let system = endpoint.systemTemplate?.render(input)
        let user = endpoint.userTemplate.render(input)
        if runtime.logPrompts {
            runtime.logger.info("prompt", metadata: [
                "request_id": .string(requestID), "system": .string(system ?? ""), "user": .string(user),
            ])
        }
        return try await runtime.runChain(
            endpoint, metrics: metrics, system: system, user: user, requestID: requestID, eventLoop: eventLoop, affinity: affinity,
            progress: progress, trace: outcome.trace
        ) { record in
            outcome.update { $0.attempts.append(record) }
        }
    }
}
