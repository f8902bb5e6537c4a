import Metrics
import Prometheus

/// The gateway's metrics, kept in its own Prometheus registry (not the process-wide
/// MetricsSystem, which can be bootstrapped only once and would tie every gateway in a
/// process to one registry).
final class GatewayMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    let factory: PrometheusMetricsFactory

    init() {
        factory = PrometheusMetricsFactory(registry: registry)
    }

    func request(endpoint: String, status: Int, seconds: Double) {
        Counter(label: "promptc_requests_total", dimensions: [("endpoint", endpoint), ("status", String(status))], factory: factory).increment()
        Timer(label: "promptc_request_duration_seconds", dimensions: [("endpoint", endpoint)], factory: factory)
            .recordNanoseconds(Int64(seconds * 1e9))
    }

    func attempt(model: String, outcome: String) {
        Counter(label: "promptc_model_attempts_total", dimensions: [("model", model), ("outcome", outcome)], factory: factory).increment()
    }

    func fallback(endpoint: String) {
        Counter(label: "promptc_fallbacks_total", dimensions: [("endpoint", endpoint)], factory: factory).increment()
    }

    func tokens(model: String, usage: TokenUsage) {
        if usage.input > 0 {
            Counter(label: "promptc_tokens_total", dimensions: [("model", model), ("kind", "input")], factory: factory).increment(by: usage.input)
        }
        if usage.output > 0 {
            Counter(label: "promptc_tokens_total", dimensions: [("model", model), ("kind", "output")], factory: factory).increment(by: usage.output)
        }
    }

    func circuitOpen(model: String, open: Bool) {
        Gauge(label: "promptc_circuit_open", dimensions: [("model", model)], factory: factory).record(open ? 1 : 0)
    }

    /// The Prometheus text format.
    func exposition() -> [UInt8] {
        registry.emitToBuffer()
    }
}
