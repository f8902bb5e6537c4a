import EndpointModel
import Foundation
import Logging

/// One run of `promptc drill`: an endpoint with one step of its chain failing with one class
/// (or, for the baseline, nothing failing), and what the endpoint did.
public struct DrillResult: Sendable {
    public var endpoint: String
    /// The failing step's index and model; nil for the baseline run.
    public var step: Int?
    public var model: String?
    public var failure: FailureClass?
    /// The model that answered; nil when the endpoint failed.
    public var answeredBy: String?
    /// The gateway's error when the endpoint failed (`504 deadline_exceeded: …`).
    public var error: String?
    public var milliseconds: Int
    public var deadlineMs: Int

    public var survived: Bool { answeredBy != nil }
}

/// `promptc drill` (gateway-contract.md, promptc drill): serves the endpoints in-process and,
/// for each endpoint, makes each step of its chain fail in turn with each failure class its
/// `fallback.on` lists, sends the endpoint's first example, and records whether it still
/// answered, by which model, in how long. Endpoints are drilled side by side; the runs of one
/// endpoint one after another, so that each sees only its own fault.
public struct FallbackDrill: Sendable {
    public var table: RouteTable
    public var settings: GatewaySettings
    public var environment: [String: String]
    /// Every model that is not failing answers from the mock provider.
    public var mock = false
    /// Only endpoints whose name contains this (ignoring case).
    public var filter: String?

    public init(table: RouteTable, settings: GatewaySettings, environment: [String: String]) {
        self.table = table
        self.settings = settings
        self.environment = environment
    }

    public func run(logger: Logger) async throws(RouteLoadError) -> [DrillResult] {
        let injector = FaultInjector()
        let endpoints = table.endpoints.filter { endpoint in
            guard let filter = filter?.lowercased(), !filter.isEmpty else { return true }
            return endpoint.name.lowercased().contains(filter)
        }
        let caller = try InProcessCaller.make(
            RouteTable(endpoints: endpoints), settings: settings, mock: mock, mockEveryModel: true, environment: environment,
            faults: injector, logger: logger)
        let results = await withTaskGroup(of: (Int, [DrillResult]).self) { group in
            for (index, definition) in endpoints.enumerated() {
                guard let endpoint = caller.endpoint(named: definition.name), !caller.isGone(endpoint) else { continue }
                group.addTask { (index, await Self.drill(endpoint, caller: caller, injector: injector)) }
            }
            var byIndex: [Int: [DrillResult]] = [:]
            for await (index, results) in group { byIndex[index] = results }
            return byIndex.keys.sorted().flatMap { byIndex[$0] ?? [] }
        }
        await caller.shutdown()
        return results
    }

    /// The baseline, then each (step, class) in chain order and the order of `fallback.on`.
    static func drill(_ endpoint: ServedEndpoint, caller: InProcessCaller, injector: FaultInjector) async -> [DrillResult] {
        let definition = endpoint.definition
        let input = definition.examples.first?.input ?? MockProvider.synthesize(definition.input)
        let classes = FailureClass.allCases.filter { endpoint.chain.policy.on.contains($0) }
        var runs: [(step: Int, failure: FailureClass)?] = [nil]
        for step in definition.models.indices {
            for failure in classes { runs.append((step, failure)) }
        }
        var results: [DrillResult] = []
        for run in runs {
            if let run {
                injector.inject(.init(endpoint: definition.name, step: run.step, failure: run.failure))
            } else {
                injector.clear(endpoint: definition.name)
            }
            let call = await caller.call(endpoint, input: input, front: "drill")
            results.append(DrillResult(
                endpoint: definition.name, step: run?.step, model: run.map { definition.models[$0.step].model }, failure: run?.failure,
                answeredBy: call.output == nil ? nil : call.model,
                error: call.error.map { "\($0.status.code) \($0.type): \($0.message)" },
                milliseconds: call.milliseconds, deadlineMs: endpoint.chain.policy.deadlineMs))
        }
        injector.clear(endpoint: definition.name)
        return results
    }
}
