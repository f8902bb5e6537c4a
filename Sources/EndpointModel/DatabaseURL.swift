import Foundation

/// What promptc reads from a `postgres://user:password@host:port/database?sslmode=…` URL
/// without connecting: the TLS mode, and the URL for messages with its password hidden
/// (gateway-contract.md, Limits, timeouts and failure accounting).
public enum DatabaseURL {
    /// libpq's `sslmode` values promptc takes, with libpq's meanings.
    public enum SSLMode: String, Sendable, CaseIterable {
        /// No TLS.
        case disable
        /// TLS, without checking the server's certificate.
        case require
        /// TLS with a certificate signed by a trusted CA, for any host name.
        case verifyCA = "verify-ca"
        /// TLS with a trusted certificate for this host name.
        case verifyFull = "verify-full"
    }

    public struct InvalidSSLMode: Error, CustomStringConvertible {
        public var value: String
        public var description: String {
            "sslmode '\(value)' is not one of \(SSLMode.allCases.map(\.rawValue).joined(separator: ", "))"
        }
    }

    public static func isPostgres(_ database: String) -> Bool {
        database.hasPrefix("postgres://") || database.hasPrefix("postgresql://")
    }

    /// The URL's `sslmode`; without one, `disable` for a loopback host and `verify-full`
    /// elsewhere, so a password never crosses a network in the clear by default.
    public static func sslMode(_ parts: URLComponents) throws(InvalidSSLMode) -> SSLMode {
        if let value = parts.queryItems?.last(where: { $0.name == "sslmode" })?.value {
            guard let mode = SSLMode(rawValue: value) else { throw InvalidSSLMode(value: value) }
            return mode
        }
        return isLoopback(parts.host ?? "") ? .disable : .verifyFull
    }

    /// `localhost`, `::1` or 127.x: the one test of a loopback host, shared with `serve`'s
    /// open-gateway warning.
    public static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || host == "[::1]" || host.hasPrefix("127.")
    }

    /// `url` with everything between `://` and the last `@` but the user name replaced by
    /// `***`. It works on the text, not a parse, so a URL that does not parse (a password with
    /// a `/` or `#` in it, say) is hidden too.
    public static func redacted(_ url: String) -> String {
        guard let at = url.lastIndex(of: "@") else { return url }
        let start = url.range(of: "://").map(\.upperBound) ?? url.startIndex
        guard start <= at else { return "***" + url[at...] }
        let userinfo = url[start..<at]
        let user = userinfo.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        return url[..<start] + user + ":***" + url[at...]
    }
}
