import EndpointModel
import NIOCore

/// The response cache in front of the chain (gateway-contract.md, Response cache): a fresh
/// answer stands in for the chain; an expired one (within `stale_if_error`) for a chain that
/// failed. The key is the endpoint, its spec's hash and the validated input with defaults.
struct CacheStage: Sendable {
    let cache: ResponseCache

    /// What the stage knows of one request to a cached endpoint.
    struct Lookup: Sendable {
        var key: [UInt8]
        /// False when the client asked `Cache-Control: no-cache`.
        var mayRead: Bool
    }

    func lookup(_ endpoint: ServedEndpoint, input: JSONValue, noCache: Bool) -> Lookup? {
        guard let policy = endpoint.definition.cache, policy.ttlMs != nil else { return nil }
        let key = ResponseCache.key(endpoint: endpoint.name, specSHA256: endpoint.definition.specSHA256, input: input)
        return Lookup(key: key, mayRead: !noCache)
    }

    /// A fresh entry, when reading is allowed.
    func fresh(_ lookup: Lookup) -> ResponseCache.Entry? {
        guard lookup.mayRead, case .fresh(let entry) = cache.lookup(lookup.key) else { return nil }
        return entry
    }

    /// An expired entry still within `stale_if_error`, when reading is allowed.
    func stale(_ lookup: Lookup) -> ResponseCache.Entry? {
        guard lookup.mayRead, case .stale(let entry) = cache.lookup(lookup.key) else { return nil }
        return entry
    }

    func store(_ lookup: Lookup, body: ByteBuffer, model: String, endpoint: ServedEndpoint) {
        guard let policy = endpoint.definition.cache else { return }
        cache.store(lookup.key, body: body, model: model, policy: policy)
    }
}
