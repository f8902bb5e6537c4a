import EndpointModel

/// One step of an endpoint's chain, resolved when routes load: the provider it calls, how,
/// and with which key. The key is read once from the variable the configuration names.
struct ChainStep: Sendable {
    /// `provider/model`, as it appears in headers, attempts and metrics.
    var model: String
    /// The model's name at its provider.
    var modelName: String
    var provider: ProviderDefinition
    var apiKey: String?
    var timeoutMs: Int?
    var retries: Int?
    var parameters: ModelParameters
    /// The wire format and the request template, made here once; nil for the mock provider, and
    /// for a provider with no `base_url`, whose calls fail as `connection`.
    var wire: (adapter: any ProviderAdapter, template: RequestTemplate)?

    /// False when the provider needs a key and its variable is unset: the step is skipped.
    var isConfigured: Bool { provider.apiKeyEnv == nil || apiKey != nil }
}
