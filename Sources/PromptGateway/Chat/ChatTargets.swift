import EndpointModel
import Synchronization

/// What a chat completion's `model` may name (gateway-contract.md, The OpenAI-compatible API): a
/// model group of promptc.yaml, a `pool/NAME`, or a `provider/model` of a configured provider
/// (a chain of one). Groups and pools are built once when the gateway starts; a direct model
/// when it is first asked for.
struct ChatTargets: Sendable {
    /// One name's chain.
    struct Target: Sendable {
        /// What callers send, and what the answer's `model` says.
        var name: String
        /// The usage record's endpoint: `chat:NAME`.
        var recordName: String { Self.recordName(name) }
        static func recordName(_ name: String) -> String { "chat:" + name }
        var chain: FallbackChain
    }

    private let named: [String: Target]
    private let settings: GatewaySettings
    private let environment: [String: String]
    private let mock: Bool
    private let breakers: CircuitBreakerRegistry
    private let backoff: Backoff
    private let hedgeBudget: HedgeBudget?
    /// Every `provider/model` a spec's chain, a group or a pool names, for `GET /v1/models`.
    let knownModels: [String]
    /// The other `provider/model` names callers sent, each of which gets a circuit breaker and
    /// upstream statistics of its own: a caller must not grow them without bound.
    private let directModels: DirectModels

    /// How many `provider/model` names the configuration does not list are taken, in all.
    static let defaultMaximumDirectModels = 1000

    init(
        settings: GatewaySettings, endpointModels: [String], mock: Bool, environment: [String: String], breakers: CircuitBreakerRegistry,
        backoff: Backoff, maximumDirectModels: Int = defaultMaximumDirectModels, hedgeBudget: HedgeBudget? = nil
    ) {
        self.hedgeBudget = hedgeBudget
        directModels = DirectModels(maximum: maximumDirectModels)
        self.settings = settings
        self.environment = environment
        self.mock = mock
        self.breakers = breakers
        self.backoff = backoff
        var named: [String: Target] = [:]
        var models = Set(endpointModels)
        for group in settings.modelGroups.values {
            let steps = group.models.compactMap { Self.step($0.model, timeoutMs: $0.timeoutMs, retries: $0.retries, settings: settings, environment: environment) }
            models.formUnion(group.models.map(\.model))
            named[group.name] = Target(name: group.name, chain: Self.chain(steps, policy: group.fallback, mock: mock, breakers: breakers, backoff: backoff, hedgeBudget: hedgeBudget))
        }
        for pool in settings.pools.keys {
            let name = ProviderDefinition.poolPrefix + "/" + pool
            if let step = Self.step(name, settings: settings, environment: environment) {
                named[name] = Target(name: name, chain: Self.chain([step], policy: FallbackPolicy(), mock: mock, breakers: breakers, backoff: backoff, hedgeBudget: hedgeBudget))
            }
            models.formUnion(settings.pools[pool]?.members.map(\.model) ?? [])
        }
        self.named = named
        knownModels = models.filter { !$0.hasPrefix(ProviderDefinition.poolPrefix + "/") && !$0.hasPrefix("mock/") }.sorted()
    }

    /// Model groups, then pools, by name.
    var names: [String] { named.keys.sorted { ($0.contains("/") ? 1 : 0, $0) < ($1.contains("/") ? 1 : 0, $1) } }

    /// The chain of a model group or pool.
    func namedChain(_ name: String) -> FallbackChain? { named[name]?.chain }

    enum Lookup: Sendable {
        case found(Target)
        case unknown
        /// A `provider/model` the configuration does not name, past the bound on such names.
        case tooManyModels(maximum: Int)
    }

    func target(_ name: String) -> Lookup {
        if let target = named[name] { return .found(target) }
        guard let step = Self.step(name, settings: settings, environment: environment), step.pool == nil else { return .unknown }
        guard knownModels.contains(name) || directModels.admit(name) else { return .tooManyModels(maximum: directModels.maximum) }
        return .found(Target(name: name, chain: Self.chain([step], policy: FallbackPolicy(), mock: mock, breakers: breakers, backoff: backoff, hedgeBudget: hedgeBudget)))
    }

    private static func chain(
        _ steps: [ChainStep], policy: FallbackPolicy, mock: Bool, breakers: CircuitBreakerRegistry, backoff: Backoff, hedgeBudget: HedgeBudget?
    ) -> FallbackChain {
        guard mock, let first = steps.first, let provider = ProviderDefinition.builtIn.first(where: { $0.api == .mock }) else {
            return FallbackChain(steps: steps, policy: policy, breakers: breakers, backoff: backoff, hedgeBudget: hedgeBudget)
        }
        // --mock: one step, the mock standing in for the chain's first model.
        var policy = policy
        policy.retries = 0
        let step = ChainStep(
            model: "mock/\(first.model)", modelName: first.modelName, provider: provider, apiKey: nil, timeoutMs: nil, retries: 0,
            parameters: ModelParameters(), wire: nil)
        return FallbackChain(steps: [step], policy: policy, breakers: breakers, backoff: backoff)
    }

    /// The step for `provider/model` or `pool/NAME`; nil when it names no configured provider or pool.
    static func step(_ model: String, timeoutMs: Int? = nil, retries: Int? = nil, settings: GatewaySettings, environment: [String: String]) -> ChainStep? {
        let parts = model.split(separator: "/", maxSplits: 1).map(String.init)
        guard parts.count == 2, !parts[1].isEmpty, model.utf8.count <= 256 else { return nil }
        if parts[0] == ProviderDefinition.poolPrefix {
            guard let pool = settings.pools[parts[1]], let mockProvider = ProviderDefinition.builtIn.first(where: { $0.api == .mock }) else { return nil }
            let members = pool.members.compactMap { step($0.model, timeoutMs: timeoutMs, retries: retries, settings: settings, environment: environment) }
            var poolStep = ChainStep(
                model: model, modelName: parts[1], provider: mockProvider, apiKey: nil, timeoutMs: timeoutMs, retries: retries,
                parameters: ModelParameters(), wire: nil)
            poolStep.pool = Pool(name: parts[1], strategy: pool.strategy, members: members, weights: pool.members.map(\.weight))
            return poolStep
        }
        guard let provider = settings.providers[parts[0]], provider.api != .mock else { return nil }
        return ChainStep(
            model: model, modelName: parts[1], provider: provider, apiKey: provider.key(in: environment), timeoutMs: timeoutMs,
            retries: retries, parameters: ModelParameters(), wire: nil)
    }
}

extension ProviderDefinition {
    /// The provider's key, from the variable the configuration names; nil when unset or empty.
    func key(in environment: [String: String]) -> String? {
        apiKeyEnv.flatMap { environment[$0] }.flatMap { $0.isEmpty ? nil : $0 }
    }
}

/// The direct `provider/model` names taken so far, at most `maximum` of them.
private final class DirectModels: Sendable {
    private let names = Mutex<Set<String>>([])
    let maximum: Int

    init(maximum: Int) {
        self.maximum = maximum
    }

    func admit(_ name: String) -> Bool {
        names.withLock { names in
            if names.contains(name) { return true }
            guard names.count < maximum else { return false }
            names.insert(name)
            return true
        }
    }
}
