import EndpointModel
import Foundation
import Logging

/// One case's result in `promptc test`.
public struct SpecTestResult: Sendable {
    public var endpoint: String
    public var caseName: String
    /// With `--each-model`, the model the case ran on alone; nil when it ran on the whole chain.
    public var modelUnderTest: String?
    /// The model that answered, when one did.
    public var answeredBy: String?
    public var failures: [String]
    /// Assertions not judged: under `--mock`, those on fields the case does not expect (the
    /// mock's value for them is made up).
    public var unchecked = 0
    public var milliseconds: Int
    public var costUSD: Double

    public var passed: Bool { failures.isEmpty }
}

/// `promptc test` (gateway-contract.md, promptc test): runs each spec's examples and `tests`
/// through the request pipeline and judges every answer. The output schema is checked by the
/// pipeline itself (an answer that breaks it is `invalid_output`); the expected fields and
/// assertions by `SpecTestCase`.
public struct SpecTestRunner: Sendable {
    public var table: RouteTable
    public var cases: [String: [SpecTestCase]]
    public var settings: GatewaySettings
    public var environment: [String: String]
    /// `--mock`: no provider; each case is answered with its own expected output, so what is
    /// checked is that inputs validate, templates render, and expectations and assertions agree
    /// with the output schema and with each other.
    public var mock = false
    /// `--each-model`: every case on every model of the chain on its own.
    public var eachModel = false
    /// `--filter`: only endpoints or cases whose name contains this (ignoring case).
    public var filter: String?

    public init(table: RouteTable, cases: [String: [SpecTestCase]], settings: GatewaySettings, environment: [String: String]) {
        self.table = table
        self.cases = cases
        self.settings = settings
        self.environment = environment
    }

    /// The cases `--filter` keeps, by endpoint, in the route table's order.
    func selected() -> [(endpoint: EndpointDefinition, cases: [SpecTestCase])] {
        table.endpoints.compactMap { endpoint in
            let all = cases[endpoint.name] ?? []
            guard let filter = filter?.lowercased(), !filter.isEmpty else { return all.isEmpty ? nil : (endpoint, all) }
            let kept = endpoint.name.lowercased().contains(filter) ? all : all.filter { $0.name.lowercased().contains(filter) }
            return kept.isEmpty ? nil : (endpoint, kept)
        }
    }

    public func run(logger: Logger) async throws(RouteLoadError) -> [SpecTestResult] {
        let selection = selected()
        let tables = eachModel ? Self.modelTables(selection.map(\.endpoint)) : [(model: nil, table: RouteTable(endpoints: selection.map(\.endpoint)))]
        var results: [SpecTestResult] = []
        for (modelIndex, table) in tables {
            let table = mock ? Self.answeringEachCase(table, cases: cases) : table
            let caller = try InProcessCaller.make(table, settings: settings, mock: mock, environment: environment, logger: logger)
            for (definition, cases) in selection {
                guard let endpoint = caller.endpoint(named: definition.name), !caller.isGone(endpoint) else { continue }
                let model = modelIndex.map { definition.models[$0].model }
                for testCase in cases {
                    var judged = testCase
                    if mock {
                        let expected = Set(testCase.expected?.objectValue?.keys.map { $0 } ?? [])
                        judged.assertions = testCase.assertions.filter { expected.contains($0.path.first ?? "") }
                    }
                    let call = await caller.call(endpoint, input: testCase.input, front: "test")
                    var failures: [String]
                    if let output = call.output {
                        failures = judged.failures(of: output)
                    } else {
                        let error = call.error
                        failures = ["no answer: \(error.map { "\($0.status.code) \($0.type): \($0.message)" } ?? "unknown error")"
                            + Self.describe(call.attempts)]
                    }
                    let price = call.model.flatMap { settings.pricing[$0] }
                    results.append(SpecTestResult(
                        endpoint: definition.name, caseName: testCase.name, modelUnderTest: model, answeredBy: call.model, failures: failures,
                        unchecked: testCase.assertions.count - judged.assertions.count, milliseconds: call.milliseconds, costUSD: price?.cost(input: call.usage.input, output: call.usage.output) ?? 0))
                }
            }
            await caller.shutdown()
        }
        // By endpoint, each in chain order (with --each-model the runs went model by model).
        let order = Dictionary(selection.enumerated().map { ($1.endpoint.name, $0) }) { first, _ in first }
        return results.enumerated().sorted { (order[$0.element.endpoint] ?? 0, $0.offset) < (order[$1.element.endpoint] ?? 0, $1.offset) }.map(\.element)
    }

    /// One route table per position in the chains: the n-th has each endpoint with an n-th
    /// model, with that model alone.
    static func modelTables(_ endpoints: [EndpointDefinition]) -> [(model: Int?, table: RouteTable)] {
        let longest = endpoints.map(\.models.count).max() ?? 0
        return (0..<longest).map { index in
            (index, RouteTable(endpoints: endpoints.compactMap { endpoint in
                guard endpoint.models.indices.contains(index) else { return nil }
                var alone = endpoint
                alone.models = [endpoint.models[index]]
                return alone
            }))
        }
    }

    /// For `--mock`: each test joins the examples, its expected fields completed from the output
    /// schema, so that the mock answers each case with what it expects.
    static func answeringEachCase(_ table: RouteTable, cases: [String: [SpecTestCase]]) -> RouteTable {
        var table = table
        for index in table.endpoints.indices {
            let endpoint = table.endpoints[index]
            for testCase in cases[endpoint.name] ?? [] where !endpoint.examples.contains(where: { $0.input == testCase.input }) {
                var answer = MockProvider.synthesize(endpoint.output).objectValue ?? [:]
                for (name, value) in testCase.expected?.objectValue ?? [:] { answer[name] = value }
                table.endpoints[index].examples.append(.init(input: testCase.input, output: .object(answer)))
            }
        }
        return table
    }

    static func describe(_ attempts: [AttemptRecord]) -> String {
        attempts.isEmpty ? "" : " (" + attempts.map { "\($0.model): \($0.outcome)" }.joined(separator: ", ") + ")"
    }
}
