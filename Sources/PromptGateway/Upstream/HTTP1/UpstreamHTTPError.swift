import NIOHTTP1

/// How an exchange with a provider failed, before the gateway classifies it (`UpstreamClient`).
enum UpstreamHTTPError: Error, Sendable {
    /// A pooled connection the provider had closed: nothing came back to the request written on
    /// it. The client tries once more on a fresh connection.
    case stale
    /// The connection closed, or broke, before the response was complete.
    case connectionClosed
    /// No connection could be opened (refused, unreachable, TLS failed, name not found).
    case connect(String)
    /// Opening the connection took longer than `upstream.connect_timeout`.
    case connectTimeout
    /// The exchange's deadline passed after the request went out.
    case timeout
    /// The deadline passed while the request waited for a connection of the gateway's own pool.
    case poolWaitTimeout
    /// The response's body is larger than its bound; the head is kept for classification.
    case oversized(status: UInt, headers: HTTPHeaders)
    /// The bytes that came back are not an HTTP/1.1 response.
    case invalidResponse(String)
    /// A streamed exchange answered with an error status; its body is read up to its bound.
    case errorStatus(UpstreamResponse)
    case cancelled
    case shutDown
}

/// A provider's whole answer: its status, headers and body (bounded by the exchange).
struct UpstreamResponse: Sendable {
    var status: UInt
    var headers: HTTPHeaders
    var body: [UInt8]
}
