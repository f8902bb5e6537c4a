import EndpointModel
import Foundation
import HTTPTypes

/// An endpoint's lifecycle as the gateway applies it (gateway-contract.md, Deprecation, sunset,
/// retirement): the headers every answer carries, and 410 `gone` after the sunset or once
/// retired. Dates are turned into instants once, when routes load.
struct EndpointLifecycle: Sendable {
    static let deprecationHeader = HTTPField.Name("Deprecation")!
    static let sunsetHeader = HTTPField.Name("Sunset")!
    static let linkHeader = HTTPField.Name("Link")!

    /// Seconds since 1970 of the start of each day.
    let deprecatedAt: Int64?
    let sunsetAt: Int64?
    let successor: (name: String, path: String)?
    let retired: Bool
    let definition: Lifecycle
    /// `Sunset`'s value, formatted once.
    private let sunsetHeaderValue: String?

    /// nil for an endpoint whose spec has no lifecycle.
    init?(_ lifecycle: Lifecycle?, successorPath: (String) -> String?) {
        guard let lifecycle else { return nil }
        definition = lifecycle
        deprecatedAt = lifecycle.deprecated.flatMap(Lifecycle.startOfDay)
        sunsetAt = lifecycle.sunset.flatMap(Lifecycle.startOfDay)
        successor = lifecycle.successor.flatMap { name in successorPath(name).map { (name, $0) } }
        retired = lifecycle.retired
        sunsetHeaderValue = sunsetAt.map(Self.httpDate)
    }

    static func now() -> Int64 { Int64(Date().timeIntervalSince1970) }

    func isGone(at now: Int64) -> Bool {
        retired || sunsetAt.map { now >= $0 } ?? false
    }

    func isDeprecated(at now: Int64) -> Bool {
        deprecatedAt.map { now >= $0 } ?? false
    }

    /// `Deprecation: @SECONDS` (RFC 9745) and the successor's `Link` from the deprecation on;
    /// `Sunset: HTTP-DATE` (RFC 8594) whenever there is one.
    func headers(at now: Int64) -> HTTPFields {
        var fields = HTTPFields()
        if let deprecatedAt, now >= deprecatedAt {
            fields[Self.deprecationHeader] = "@\(deprecatedAt)"
            if let successor { fields[Self.linkHeader] = "<\(successor.path)>; rel=\"successor-version\"" }
        }
        if let sunsetHeaderValue { fields[Self.sunsetHeader] = sunsetHeaderValue }
        return fields
    }

    /// The pipeline's first check: a gone endpoint answers 410 to everyone, before keys.
    func admit(at now: Int64) throws(GatewayError) {
        if isGone(at: now) { throw gone }
    }

    /// 410 `gone`, pointing at the successor when there is one.
    var gone: GatewayError {
        let when = retired ? "has been retired" : "was sunset on \(definition.sunset ?? "")"
        let instead = successor.map { "; call \($0.name) at POST \($0.path) instead" } ?? ""
        return GatewayError(status: .gone, type: "gone", message: "this endpoint \(when)\(instead)")
    }

    /// What MCP's `tools/list` adds to a deprecated endpoint's description.
    func notice(at now: Int64) -> String? {
        guard let deprecated = definition.deprecated else { return nil }
        var notice = isDeprecated(at: now) ? "Deprecated since \(deprecated)" : "Deprecated from \(deprecated)"
        if let successor { notice += ": use \(successor.name) instead" }
        notice += "."
        if let sunset = definition.sunset { notice += " It stops answering on \(sunset)." }
        return notice
    }

    /// RFC 9110's IMF-fixdate, e.g. `Tue, 30 Jun 2026 00:00:00 GMT`.
    static func httpDate(_ seconds: Int64) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        return formatter.string(from: Date(timeIntervalSince1970: TimeInterval(seconds)))
    }
}
