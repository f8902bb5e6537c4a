import EndpointModel
import Foundation
import NIOSSL
import PostgresNIO

/// A `postgres://` URL as postgres-nio's connection configuration, TLS as its `sslmode` says.
enum PostgresURL {
    static func configuration(_ url: String) throws -> PostgresConnection.Configuration {
        guard let parts = URLComponents(string: url), let host = parts.host, let user = parts.user, !user.isEmpty else {
            throw UsageStoreError("usage.database '\(DatabaseURL.redacted(url))' is not a postgres://user:password@host:port/database URL")
        }
        let database = String(parts.path.drop { $0 == "/" })
        let tls: PostgresConnection.Configuration.TLS
        switch try DatabaseURL.sslMode(parts) {
        case .disable:
            tls = .disable
        case .require:
            var configuration = TLSConfiguration.makeClientConfiguration()
            configuration.certificateVerification = .none
            tls = .require(try NIOSSLContext(configuration: configuration))
        case .verifyCA:
            var configuration = TLSConfiguration.makeClientConfiguration()
            configuration.certificateVerification = .noHostnameVerification
            tls = .require(try NIOSSLContext(configuration: configuration))
        case .verifyFull:
            tls = .require(try NIOSSLContext(configuration: .makeClientConfiguration()))
        }
        return PostgresConnection.Configuration(
            host: host, port: parts.port ?? 5432, username: user, password: parts.password,
            database: database.isEmpty ? nil : database, tls: tls)
    }
}
