import Foundation

/// Where a provider request goes and the fixed part of what is sent there, parsed and encoded
/// once when a route's request template is made: the origin its connection pool is keyed by,
/// and the request line with every header but `content-length`, as bytes.
struct UpstreamTarget: Sendable {
    /// Scheme, host and port: one keep-alive pool each.
    struct Origin: Hashable, Sendable, CustomStringConvertible {
        var tls: Bool
        var host: String
        var port: Int

        var description: String { "\(tls ? "https" : "http")://\(host.contains(":") ? "[\(host)]" : host):\(port)" }
    }

    let origin: Origin
    /// `POST /path HTTP/1.1\r\nhost: …\r\n…content-length: `, ready for the body's length.
    let headPrefix: [UInt8]

    /// Nil when `url` is not an absolute http(s) URL with a host, or a header would break the
    /// request's framing (a name that is not a token, a value with a line break).
    init?(url: String, headers: [(String, String)]) {
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(),
            scheme == "http" || scheme == "https", var host = components.host, !host.isEmpty,
            components.user == nil, components.password == nil
        else { return nil }
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        let tls = scheme == "https"
        let defaultPort = tls ? 443 : 80
        let port = components.port ?? defaultPort
        guard (1...65535).contains(port) else { return nil }
        var target = components.percentEncodedPath.isEmpty ? "/" : components.percentEncodedPath
        if let query = components.percentEncodedQuery { target += "?" + query }
        guard Self.isFieldValue(target), !target.contains(" ") else { return nil }

        var head = "POST \(target) HTTP/1.1\r\n"
        let hostField = host.contains(":") ? "[\(host)]" : host
        head += "host: \(hostField)\(port == defaultPort ? "" : ":\(port)")\r\n"
        for (name, value) in headers {
            let lowered = name.lowercased()
            guard Self.isToken(lowered), Self.isFieldValue(value) else { return nil }
            // The client owns the framing and the connection's life.
            if ["host", "content-length", "transfer-encoding", "connection"].contains(lowered) { continue }
            head += "\(lowered): \(value)\r\n"
        }
        head += "content-length: "
        origin = Origin(tls: tls, host: host, port: port)
        headPrefix = Array(head.utf8)
    }

    private static func isToken(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"): true
            default: "!#$%&'*+-.^_`|~".utf8.contains(byte)
            }
        }
    }

    private static func isFieldValue(_ value: String) -> Bool {
        value.utf8.allSatisfy { $0 >= 0x20 && $0 != 0x7F || $0 == 0x09 }
    }
}
