import EndpointModel
import Foundation
import NIOSSL
import PostgresNIO

/// A `postgres://` URL as postgres-nio's configurations (one connection, or a pool), TLS as its
/// `sslmode` says.
enum PostgresURL {
    /// What the URL says, checked.
    struct Parts {
        var host: String
        var port: Int
        var user: String
        var password: String?
        var database: String?
        /// nil: no TLS.
        var tls: TLSConfiguration?
    }

    static func parts(_ url: String) throws -> Parts {
        guard let parts = URLComponents(string: url), let host = parts.host, let user = parts.user, !user.isEmpty else {
            throw UsageStoreError("'\(DatabaseURL.redacted(url))' is not a postgres://user:password@host:port/database URL")
        }
        let database = String(parts.path.drop { $0 == "/" })
        var tls: TLSConfiguration?
        switch try DatabaseURL.sslMode(parts) {
        case .disable:
            tls = nil
        case .require:
            var configuration = TLSConfiguration.makeClientConfiguration()
            configuration.certificateVerification = .none
            tls = configuration
        case .verifyCA:
            var configuration = TLSConfiguration.makeClientConfiguration()
            configuration.certificateVerification = .noHostnameVerification
            tls = configuration
        case .verifyFull:
            tls = .makeClientConfiguration()
        }
        return Parts(
            host: host, port: parts.port ?? 5432, user: user, password: parts.password, database: database.isEmpty ? nil : database, tls: tls)
    }

    /// For one connection.
    static func configuration(_ url: String) throws -> PostgresConnection.Configuration {
        let parts = try parts(url)
        return PostgresConnection.Configuration(
            host: parts.host, port: parts.port, username: parts.user, password: parts.password, database: parts.database,
            tls: try parts.tls.map { .require(try NIOSSLContext(configuration: $0)) } ?? .disable)
    }

    /// For a pool (`PostgresClient`). TLS is required when the URL asks for it, never merely
    /// preferred: a server that refuses TLS is refused.
    static func clientConfiguration(_ url: String) throws -> PostgresClient.Configuration {
        let parts = try parts(url)
        return PostgresClient.Configuration(
            host: parts.host, port: parts.port, username: parts.user, password: parts.password, database: parts.database,
            tls: parts.tls.map { .require($0) } ?? .disable)
    }
}
