import EndpointModel
import Logging

/// What a reload changed, for its log line.
public struct ReloadSummary: Sendable, Equatable {
    public var added: [String]
    public var removed: [String]
    /// Endpoints whose spec changed (by `spec_sha256`).
    public var changed: [String]
    public var unchanged: Int
    public var routesSHA256: String
    /// Settings that shape the server itself, which only a restart applies.
    public var needsRestart: [String]
}

extension Gateway {
    /// Serves `table` and `settings` from now on (gateway-contract.md, Reloading without a
    /// restart). Requests in flight finish on the core they started with; circuit breakers,
    /// the response cache and consumers' limits carry over where their settings are unchanged.
    /// A table that does not load throws, and the old routes keep serving.
    @discardableResult
    public func reload(
        _ table: RouteTable, settings: GatewaySettings, openAPI: (@Sendable () throws -> [UInt8])?
    ) throws(RouteLoadError) -> ReloadSummary {
        let previous = cores.current
        let next = try GatewayCore.load(table, settings: settings, openAPI: openAPI, foundation: foundation, previous: previous)
        cores.replace(with: next)
        let before = Dictionary(previous.endpoints.map { ($0.name, $0.definition.specSHA256) }) { first, _ in first }
        let after = Dictionary(next.endpoints.map { ($0.name, $0.definition.specSHA256) }) { first, _ in first }
        let changed = after.filter { name, digest in before[name].map { $0 != digest } ?? false }.keys.sorted()
        let started = options.settings
        var needsRestart: [String] = []
        if settings.limits != started.limits { needsRestart.append("limits") }
        if settings.upstream != started.upstream { needsRestart.append("upstream") }
        if settings.corsOrigins != started.corsOrigins { needsRestart.append("cors") }
        if settings.portal != started.portal { needsRestart.append("portal") }
        if settings.maxBodyBytes != started.maxBodyBytes { needsRestart.append("max_body_bytes") }
        if settings.host != started.host || settings.port != started.port { needsRestart.append("host/port") }
        if settings.usageDatabase != started.usageDatabase { needsRestart.append("usage") }
        if settings.sharedDatabase != started.sharedDatabase { needsRestart.append("shared") }
        if settings.alerts != started.alerts { needsRestart.append("alerts") }
        let summary = ReloadSummary(
            added: after.keys.filter { before[$0] == nil }.sorted(), removed: before.keys.filter { after[$0] == nil }.sorted(),
            changed: changed, unchanged: after.count - changed.count - after.keys.count { before[$0] == nil },
            routesSHA256: next.routesSHA256, needsRestart: needsRestart)
        var metadata: Logger.Metadata = [
            "endpoints": .stringConvertible(next.endpoints.count), "routes_sha256": .string(summary.routesSHA256),
            "unchanged": .stringConvertible(summary.unchanged),
        ]
        if !summary.added.isEmpty { metadata["added"] = .string(summary.added.joined(separator: ",")) }
        if !summary.removed.isEmpty { metadata["removed"] = .string(summary.removed.joined(separator: ",")) }
        if !summary.changed.isEmpty { metadata["changed"] = .string(summary.changed.joined(separator: ",")) }
        logger.info("reloaded the routes", metadata: metadata)
        if !needsRestart.isEmpty {
            logger.warning("some settings changed that only a restart applies; the old values stay in force", metadata: [
                "settings": .string(needsRestart.joined(separator: ",")),
            ])
        }
        return summary
    }
}
