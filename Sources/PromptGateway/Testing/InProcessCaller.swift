import EndpointModel
import Foundation
import Logging

/// Calls a gateway's endpoints in-process, through the very pipeline every front calls, for
/// `promptc test` and `promptc drill`: no HTTP, no consumer key (the caller is the operator),
/// no usage record, no cache.
struct InProcessCaller: Sendable {
    let gateway: Gateway

    /// One call's result: the answer or the error the gateway would have sent.
    struct Result: Sendable {
        var output: JSONValue?
        var error: GatewayError?
        var model: String?
        var attempts: [AttemptRecord]
        var usage: TokenUsage
        var milliseconds: Int
    }

    /// A gateway for `table` whose consumers and limits are off: tests and drills call every
    /// endpoint as the operator.
    static func make(_ table: RouteTable, settings: GatewaySettings, mock: Bool, mockEveryModel: Bool = false,
                     environment: [String: String], faults: FaultInjector? = nil, logger: Logger) throws(RouteLoadError) -> InProcessCaller {
        var settings = settings
        settings.consumers = []
        var options = GatewayOptions(routeTable: table, settings: settings, mock: mock, environment: environment, shutdownTimeout: .seconds(5))
        options.mockEveryModel = mockEveryModel
        options.faultInjector = faults
        return InProcessCaller(gateway: try Gateway(options, logger: logger))
    }

    func endpoint(named name: String) -> ServedEndpoint? {
        gateway.core.endpointsByName[name]
    }

    /// Whether the endpoint answers 410 today (retired, or past its sunset).
    func isGone(_ endpoint: ServedEndpoint) -> Bool {
        endpoint.lifecycle?.isGone(at: EndpointLifecycle.now()) ?? false
    }

    func call(_ endpoint: ServedEndpoint, input: JSONValue, front: String) async -> Result {
        let outcome = RequestOutcome(front: front, endpoint: endpoint.name)
        let request = PipelineRequest(
            endpoint: endpoint, requestID: RandomToken.make(), key: nil, noCache: true, eventLoop: nil,
            readInput: { input }, progress: nil)
        let clock = ContinuousClock()
        let start = clock.now
        do {
            let answer = try await gateway.core.prompts.run(request, outcome: outcome)
            let output = try JSONParser.parse(Array(answer.body.readableBytesView))
            return Result(output: output, model: answer.model, attempts: outcome.snapshot.attempts, usage: answer.usage,
                          milliseconds: (clock.now - start).milliseconds)
        } catch {
            return Result(error: GatewayError.from(error), model: nil, attempts: outcome.snapshot.attempts, usage: TokenUsage(),
                          milliseconds: (clock.now - start).milliseconds)
        }
    }

    func shutdown() async {
        await gateway.shutdown()
    }
}
