import EndpointModel

/// The provider and pool names a spec may use: the built-in providers plus those that
/// `promptc.yaml` defines.
public struct ProviderCatalog: Sendable {
    public var providers: Set<String>
    public var pools: Set<String>

    public init(providers: Set<String> = Set(ProviderDefinition.builtIn.map(\.name)), pools: Set<String> = []) {
        self.providers = providers
        self.pools = pools
    }

    public static let builtIn = ProviderCatalog()
}
