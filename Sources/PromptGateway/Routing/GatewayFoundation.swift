import Logging

/// What a gateway keeps for its whole life, across reloads: the upstream client and its
/// statistics, the metrics registry, the connection watches its channels report to, the usage
/// recorder, the shared database, and how it was started.
struct GatewayFoundation: Sendable {
    let upstream: UpstreamClient
    let metrics: GatewayMetrics
    let watches: ConnectionWatchRegistry
    let upstreams: UpstreamStats
    /// With `OTEL_EXPORTER_OTLP_ENDPOINT`: where spans go.
    let tracing: GatewayTracing?
    let usage: UsageRecorder?
    /// `shared.database`, when set.
    let shared: SharedDatabase?
    /// With `shared.database`: circuit openings told to and heard from the other replicas.
    let circuits: CircuitBroadcast?
    /// With webhooks in `alerts:`: where alerts go.
    let alerts: AlertDispatcher?
    let logger: Logger
    let logPrompts: Bool
    let mock: RouteLoader.MockMode
    let environment: [String: String]
    let faultInjector: FaultInjector?
    /// Whether the portal is served; its routes are part of each core's route methods.
    let portal: Bool
}
