/// The wire protocols promptc speaks to model providers.
public enum ProviderAPI: String, Sendable, Codable, CaseIterable {
    case openai, anthropic, gemini, mock
}

/// A provider as the gateway sees it: where to send requests, in which protocol, and the
/// name of the environment variable that holds its key (never the key).
public struct ProviderDefinition: Sendable, Hashable, Codable {
    public var name: String
    public var api: ProviderAPI
    public var baseURL: String?
    public var apiKeyEnv: String?

    public init(name: String, api: ProviderAPI, baseURL: String?, apiKeyEnv: String?) {
        self.name = name
        self.api = api
        self.baseURL = baseURL
        self.apiKeyEnv = apiKeyEnv
    }

    /// The providers built in (gateway-contract.md, Providers).
    public static let builtIn: [ProviderDefinition] = [
        ProviderDefinition(name: "openai", api: .openai, baseURL: "https://api.openai.com/v1", apiKeyEnv: "OPENAI_API_KEY"),
        ProviderDefinition(name: "anthropic", api: .anthropic, baseURL: "https://api.anthropic.com/v1", apiKeyEnv: "ANTHROPIC_API_KEY"),
        ProviderDefinition(
            name: "gemini", api: .gemini, baseURL: "https://generativelanguage.googleapis.com/v1beta",
            apiKeyEnv: "GEMINI_API_KEY"),
        ProviderDefinition(name: "ollama", api: .openai, baseURL: "http://127.0.0.1:11434/v1", apiKeyEnv: nil),
        ProviderDefinition(name: "mock", api: .mock, baseURL: nil, apiKeyEnv: nil),
    ]

    /// The prefix a model reference uses to name a pool instead of a provider: `pool/fast`.
    public static let poolPrefix = "pool"
}
