import EndpointModel

/// An endpoint ready to serve: everything a request needs is built here, once, when routes
/// load: validators with their patterns compiled, templates parsed, the chain resolved.
struct ServedEndpoint: Sendable {
    let definition: EndpointDefinition
    let inputValidator: SchemaValidator
    let outputValidator: SchemaValidator
    let systemTemplate: PromptTemplate?
    let userTemplate: PromptTemplate
    let chain: FallbackChain
    let exampleOutputs: [JSONValue]

    var name: String { definition.name }
}

/// Why routes could not be loaded: the gateway does not start (exit 3).
public struct RouteLoadError: Error, CustomStringConvertible, Sendable {
    public var description: String
}

/// Builds `ServedEndpoint`s from a route table, the gateway settings and the environment.
enum RouteLoader {
    static func endpoints(
        _ table: RouteTable, settings: GatewaySettings, mock: Bool, environment: [String: String],
        breakers: CircuitBreakerRegistry, backoff: Backoff
    ) throws(RouteLoadError) -> [ServedEndpoint] {
        guard table.format == RouteTable.currentFormat else {
            throw RouteLoadError(description: "routes file has format '\(table.format)'; this promptc reads '\(RouteTable.currentFormat)' (run promptc compile)")
        }
        return try table.endpoints.map { (definition) throws(RouteLoadError) in
            let system: PromptTemplate?
            let user: PromptTemplate
            do throws(PromptTemplate.SyntaxError) {
                system = try definition.prompt.system.map { (text) throws(PromptTemplate.SyntaxError) in try PromptTemplate(text) }
                user = try PromptTemplate(definition.prompt.user)
            } catch {
                throw RouteLoadError(description: "endpoint '\(definition.name)': its template does not parse: \(error.message)")
            }
            let steps = try chainSteps(definition, settings: settings, mock: mock, environment: environment)
            var policy = definition.fallback
            if mock { policy.retries = 0 }
            return ServedEndpoint(
                definition: definition,
                inputValidator: SchemaValidator(definition.input),
                outputValidator: SchemaValidator(definition.output),
                systemTemplate: system,
                userTemplate: user,
                chain: FallbackChain(steps: steps, policy: policy, breakers: breakers, backoff: backoff),
                exampleOutputs: definition.examples.map(\.output))
        }
    }

    private static func chainSteps(
        _ definition: EndpointDefinition, settings: GatewaySettings, mock: Bool, environment: [String: String]
    ) throws(RouteLoadError) -> [ChainStep] {
        guard let mockProvider = ProviderDefinition.builtIn.first(where: { $0.api == .mock }) else {
            throw RouteLoadError(description: "the built-in mock provider is missing")
        }
        if mock {
            // --mock: one step, the mock standing in for the chain's first model.
            let first = definition.models.first?.model ?? definition.name
            return [ChainStep(
                model: "mock/\(first)", modelName: first, provider: mockProvider, apiKey: nil,
                timeoutMs: nil, retries: 0, parameters: definition.parameters, wire: nil)]
        }
        return try definition.models.map { (step) throws(RouteLoadError) in
            if step.isPool {
                throw RouteLoadError(description: "endpoint '\(definition.name)' uses \(step.model); pools are not served yet")
            }
            guard let provider = settings.providers[step.provider] else {
                throw RouteLoadError(description: "endpoint '\(definition.name)' uses unknown provider '\(step.provider)' (is promptc.yaml the one it was compiled with?)")
            }
            let key = provider.apiKeyEnv.flatMap { environment[$0] }.flatMap { $0.isEmpty ? nil : $0 }
            let parameters = definition.parameters.merged(with: step.parameters)
            var wire: LazyWire?
            if let adapter = ProviderAdapters.adapter(for: provider.api), let baseURL = provider.baseURL {
                let shape = ModelCall(
                    model: step.name, system: nil, user: "", parameters: parameters, endpointName: definition.name,
                    output: definition.output, exampleOutputs: [])
                wire = LazyWire(adapter: adapter) { adapter.template(for: shape, baseURL: baseURL, apiKey: key) }
            }
            return ChainStep(
                model: step.model, modelName: step.name, provider: provider, apiKey: key,
                timeoutMs: step.timeoutMs, retries: step.retries, parameters: parameters, wire: wire)
        }
    }
}
