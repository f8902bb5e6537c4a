import EndpointModel

/// An endpoint ready to serve: everything a request needs is built here, once, when routes
/// load: validators with their patterns compiled, templates parsed, the chain resolved.
///
/// A class, because every stage of a request passes it on: as a struct of a few dozen
/// references it was copied, each reference retained and released, several times per request
/// (about 3 % of a prompt request's CPU in the profile behind the README's Performance figures).
final class ServedEndpoint: Sendable {
    let definition: EndpointDefinition
    let inputValidator: SchemaValidator
    let outputValidator: SchemaValidator
    let systemTemplate: PromptTemplate?
    let userTemplate: PromptTemplate
    let chain: FallbackChain
    let exampleOutputs: [JSONValue]
    /// Each example's output by its rendered user prompt: the mock answers an example's input
    /// with that example's output.
    let exampleAnswers: [String: JSONValue]
    /// `promptc drill`'s injected failures; nil when serving.
    let faults: FaultInjector?
    let lifecycle: EndpointLifecycle?

    var name: String { definition.name }

    init(
        definition: EndpointDefinition, inputValidator: SchemaValidator, outputValidator: SchemaValidator, systemTemplate: PromptTemplate?,
        userTemplate: PromptTemplate, chain: FallbackChain, exampleOutputs: [JSONValue], exampleAnswers: [String: JSONValue],
        faults: FaultInjector?, lifecycle: EndpointLifecycle?
    ) {
        self.definition = definition
        self.inputValidator = inputValidator
        self.outputValidator = outputValidator
        self.systemTemplate = systemTemplate
        self.userTemplate = userTemplate
        self.chain = chain
        self.exampleOutputs = exampleOutputs
        self.exampleAnswers = exampleAnswers
        self.faults = faults
        self.lifecycle = lifecycle
    }
}

/// Why routes could not be loaded: the gateway does not start (exit 3).
public struct RouteLoadError: Error, CustomStringConvertible, Sendable {
    public var description: String
}

/// Builds `ServedEndpoint`s from a route table, the gateway settings and the environment.
enum RouteLoader {
    /// Which models the mock provider stands in for.
    enum MockMode {
        case off
        /// `--mock`: the chain's first model (after any `mock/fail-…` steps).
        case firstModel
        /// `drill --mock`: every model, so that each step can be made to fail in turn.
        case everyModel
    }

    static func endpoints(
        _ table: RouteTable, settings: GatewaySettings, mock: MockMode, environment: [String: String],
        breakers: CircuitBreakerRegistry, backoff: Backoff, faults: FaultInjector? = nil, hedgeBudget: HedgeBudget? = nil
    ) throws(RouteLoadError) -> [ServedEndpoint] {
        guard table.format == RouteTable.currentFormat else {
            throw RouteLoadError(description: "routes file has format '\(table.format)'; this promptc reads '\(RouteTable.currentFormat)' (run promptc compile)")
        }
        let paths = Dictionary(table.endpoints.map { ($0.name, $0.path) }) { first, _ in first }
        return try table.endpoints.map { (definition) throws(RouteLoadError) in
            let system: PromptTemplate?
            let user: PromptTemplate
            do throws(PromptTemplate.SyntaxError) {
                system = try definition.prompt.system.map { (text) throws(PromptTemplate.SyntaxError) in try PromptTemplate(text) }
                user = try PromptTemplate(definition.prompt.user)
            } catch {
                throw RouteLoadError(description: "endpoint '\(definition.name)': its template does not parse: \(error.message)")
            }
            var steps = try chainSteps(definition, settings: settings, mock: mock, environment: environment)
            for index in steps.indices { steps[index].position = index }
            var policy = definition.fallback
            if mock == .firstModel { policy.retries = 0 }
            let chain = FallbackChain(steps: steps, policy: policy, breakers: breakers, backoff: backoff, hedgeBudget: hedgeBudget)
            return ServedEndpoint(
                definition: definition,
                inputValidator: SchemaValidator(definition.input),
                outputValidator: SchemaValidator(definition.output),
                systemTemplate: system,
                userTemplate: user,
                chain: chain,
                exampleOutputs: definition.examples.map(\.output),
                // Only the mock reads them: rendering every example costs start-up time otherwise.
                exampleAnswers: mock == .off ? [:] : exampleAnswers(definition, user: user),
                faults: faults,
                lifecycle: EndpointLifecycle(definition.lifecycle) { paths[$0] })
        }
    }

    private static func exampleAnswers(_ definition: EndpointDefinition, user: PromptTemplate) -> [String: JSONValue] {
        var answers: [String: JSONValue] = [:]
        for example in definition.examples {
            let prompt = user.render(definition.input.fillingDefaults(example.input))
            if answers[prompt] == nil { answers[prompt] = example.output }
        }
        return answers
    }

    private static func chainSteps(
        _ definition: EndpointDefinition, settings: GatewaySettings, mock: MockMode, environment: [String: String]
    ) throws(RouteLoadError) -> [ChainStep] {
        guard let mockProvider = ProviderDefinition.builtIn.first(where: { $0.api == .mock }) else {
            throw RouteLoadError(description: "the built-in mock provider is missing")
        }
        if mock == .everyModel {
            return definition.models.map { step in
                let failing = step.provider == "mock" && step.name.hasPrefix(MockProvider.failurePrefix)
                return ChainStep(
                    model: failing ? step.model : "mock/\(step.model)", modelName: failing ? step.name : step.model, provider: mockProvider,
                    apiKey: nil, timeoutMs: step.timeoutMs, retries: step.retries, parameters: definition.parameters, wire: nil)
            }
        }
        if mock == .firstModel {
            // --mock: the mock stands in for the chain's first model. `mock/fail-…` steps before
            // it keep failing, so a chain's fallback can be shown with --mock too.
            var steps: [ChainStep] = []
            for step in definition.models {
                let failing = step.provider == "mock" && step.name.hasPrefix(MockProvider.failurePrefix)
                steps.append(ChainStep(
                    model: failing ? step.model : "mock/\(step.model)", modelName: failing ? step.name : step.model, provider: mockProvider,
                    apiKey: nil, timeoutMs: nil, retries: 0, parameters: definition.parameters, wire: nil))
                if !failing { return steps }
            }
            if steps.isEmpty {
                steps.append(ChainStep(
                    model: "mock/\(definition.name)", modelName: definition.name, provider: mockProvider, apiKey: nil,
                    timeoutMs: nil, retries: 0, parameters: definition.parameters, wire: nil))
            }
            return steps
        }
        return try definition.models.enumerated().map { (position, step) throws(RouteLoadError) in
            let parameters = definition.parameters.merged(with: step.parameters)
            guard step.isPool else {
                return try modelStep(
                    step.model, definition: definition, parameters: parameters, timeoutMs: step.timeoutMs, retries: step.retries,
                    settings: settings, environment: environment)
            }
            guard let pool = settings.pools[step.name], !pool.members.isEmpty else {
                throw RouteLoadError(description: "endpoint '\(definition.name)' uses \(step.model), which promptc.yaml does not define (is it the one the routes were compiled with?)")
            }
            let members = try pool.members.map { (member) throws(RouteLoadError) in
                var memberStep = try modelStep(
                    member.model, definition: definition, parameters: parameters, timeoutMs: step.timeoutMs, retries: step.retries,
                    settings: settings, environment: environment)
                memberStep.position = position
                return memberStep
            }
            var poolStep = ChainStep(
                model: step.model, modelName: step.name, provider: mockProvider, apiKey: nil,
                timeoutMs: step.timeoutMs, retries: step.retries, parameters: parameters, wire: nil)
            poolStep.pool = Pool(name: step.name, strategy: pool.strategy, members: members, weights: pool.members.map(\.weight), hashBy: pool.hashBy)
            return poolStep
        }
    }

    /// The step for one `provider/model`, with its key and request template.
    private static func modelStep(
        _ model: String, definition: EndpointDefinition, parameters: ModelParameters, timeoutMs: Int?, retries: Int?,
        settings: GatewaySettings, environment: [String: String]
    ) throws(RouteLoadError) -> ChainStep {
        let parts = model.split(separator: "/", maxSplits: 1).map(String.init)
        guard parts.count == 2, let provider = settings.providers[parts[0]] else {
            throw RouteLoadError(description: "endpoint '\(definition.name)' uses unknown provider '\(parts.first ?? model)' (is promptc.yaml the one it was compiled with?)")
        }
        let name = parts[1]
        let key = provider.key(in: environment)
        var wire: LazyWire?
        if let adapter = ProviderAdapters.adapter(for: provider.api), let baseURL = provider.baseURL {
            let shape = ModelCall(
                model: name, system: nil, user: "", parameters: parameters, endpointName: definition.name,
                output: definition.output, exampleOutputs: [])
            wire = LazyWire(adapter: adapter) { adapter.template(for: shape, baseURL: baseURL, apiKey: key) }
        }
        return ChainStep(
            model: model, modelName: name, provider: provider, apiKey: key,
            timeoutMs: timeoutMs, retries: retries, parameters: parameters, wire: wire)
    }
}
