/// The gateway's own paths (gateway-contract.md, Limits, timeouts and failure accounting): a
/// spec's route may not take one, or it would shadow a health check, the metrics, or a front.
public enum ReservedPaths {
    static let exact: Set<String> = ["/healthz", "/readyz", "/metrics", "/openapi.json", "/v1/chat/completions", "/v1/models", "/mcp", "/admin"]
    /// Every path that starts with one of these.
    static let prefixes = ["/admin/", "/portal", "/docs"]

    /// Why the gateway owns `path`; nil for a path a spec may use.
    public static func owner(of path: String) -> String? {
        if exact.contains(path) { return "the gateway serves \(path)" }
        if let prefix = prefixes.first(where: { path.hasPrefix($0) }) { return "the gateway serves \(prefix)…" }
        return nil
    }
}
