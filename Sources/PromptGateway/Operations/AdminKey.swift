import EndpointModel

/// The admin key (`admin_key_sha256` in promptc.yaml), known only by its hash: what opens
/// `/admin/*` and the portal's usage page. Parsed once, compared in constant time.
struct AdminKey: Sendable {
    private let digest: [UInt8]?

    init(_ settings: GatewaySettings) {
        digest = settings.adminKeySHA256.flatMap(ConsumerDirectory.bytes(hex:))
    }

    /// Whether promptc.yaml sets an admin key at all.
    var isConfigured: Bool { digest != nil }

    /// Whether `key` is the admin key.
    func admits(_ key: String?) -> Bool {
        guard let digest, let key else { return false }
        return ConsumerDirectory.constantTimeEqual(ConsumerDirectory.digest(of: key), digest)
    }
}
