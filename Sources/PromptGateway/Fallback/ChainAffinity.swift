import EndpointModel
import HTTPTypes
import NIOCore

/// What a `hash` pool keeps a request on one member by (gateway-contract.md, Tail latency:
/// `hash_by`): the consumer, the client's address, or a header.
struct ChainAffinity: Sendable, ExpressibleByStringLiteral {
    /// The consumer's name, else the request's id.
    var consumer: String
    var client: ClientIdentity = .unknown

    init(consumer: String, client: ClientIdentity = .unknown) {
        self.consumer = consumer
        self.client = client
    }

    init(stringLiteral consumer: String) {
        self.init(consumer: consumer)
    }

    /// What a pool hashes by, its header name parsed once, when routes load.
    enum HashKey: Sendable {
        case consumer
        case clientIP
        case header(HTTPField.Name)

        init(_ hashBy: PoolDefinition.HashBy) {
            switch hashBy {
            case .consumer: self = .consumer
            case .clientIP: self = .clientIP
            // The compiler lets only a token through; anything else falls back to the consumer.
            case .header(let name): self = HTTPField.Name(name).map { .header($0) } ?? .consumer
            }
        }
    }

    /// The text to hash; the consumer when the request has no such address or header.
    func key(_ hashKey: HashKey) -> String {
        switch hashKey {
        case .consumer: consumer
        case .clientIP: client.address ?? consumer
        case .header(let name): client.headers[name] ?? consumer
        }
    }
}

/// Where a request came from: its peer and headers, kept as they are and read only when a pool
/// hashes by them, so other requests pay nothing for it.
struct ClientIdentity: Sendable {
    var peer: SocketAddress?
    var headers: HTTPFields
    /// `trusted_proxies`: peers whose `X-Forwarded-For` names the client.
    var trustedProxies: [AddressRange]

    static let unknown = ClientIdentity(peer: nil, headers: [:], trustedProxies: [])
    static let forwardedFor = HTTPField.Name("x-forwarded-for")!

    /// The peer's address; for a peer in `trusted_proxies`, the first address of
    /// `X-Forwarded-For` (the client the first proxy saw) when it is one.
    var address: String? {
        guard let peer = peer?.ipAddress else { return nil }
        guard trustedProxies.contains(where: { $0.contains(peer) }), let forwarded = headers[Self.forwardedFor] else { return peer }
        let first = forwarded.split(separator: ",", maxSplits: 1).first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
        return AddressRange.bytes(first) != nil ? first : peer
    }
}
