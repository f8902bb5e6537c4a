import CoreMetrics
import Prometheus

/// swift-metrics' factory over promptc's Prometheus registry, giving each metric its `# HELP`
/// line. swift-prometheus' own factory registers every metric with an empty help text, and the
/// registry refuses two help texts for one name, so the text must come with the first handle.
struct DescribedMetricsFactory: MetricsFactory {
    let registry: PrometheusCollectorRegistry

    /// What each metric counts, for Prometheus' `# HELP`.
    static let help: [String: String] = [
        "promptc_requests_total": "Requests to an endpoint, by status and by the front they came by (rest, sse, chat, mcp).",
        "promptc_request_duration_seconds": "Time from a request's arrival to its answer, per endpoint.",
        "promptc_fallbacks_total": "Answers that came from a model other than the chain's first.",
        "promptc_hedges_total": "Hedged requests, by whether the hedge (won) or the first call (lost) answered first.",
        "promptc_cache_total": "Response cache outcomes per endpoint: hit, miss or stale.",
        "promptc_model_attempts_total": "Calls to a model, and skipped models, by outcome (ok or the failure class).",
        "promptc_tokens_total": "Tokens the providers counted, per model, input and output.",
        "promptc_cost_usd_total": "Cost in US dollars per model, from pricing in promptc.yaml; only for models with a price.",
        "promptc_circuit_open": "1 while a model's circuit is open, else 0.",
        "promptc_usage_records_dropped_total": "Usage records dropped because the queue was full.",
        "promptc_shared_state_up": "1 while shared.database answers, 0 while limits are counted locally; absent without shared.database.",
    ]

    /// swift-prometheus' default buckets for durations.
    static let durationBuckets: [Duration] = [
        .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250),
        .milliseconds(500), .seconds(1), .milliseconds(2500), .seconds(5), .seconds(10),
    ]
    static let valueBuckets: [Double] = [5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000]

    private func descriptor(_ label: String) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: label, unitName: "", helpText: Self.help[label] ?? "")
    }

    func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler {
        registry.makeCounter(descriptor: descriptor(label), labels: dimensions)
    }

    func makeFloatingPointCounter(label: String, dimensions: [(String, String)]) -> any FloatingPointCounterHandler {
        registry.makeCounter(descriptor: descriptor(label), labels: dimensions)
    }

    func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler {
        guard aggregate else { return registry.makeGauge(descriptor: descriptor(label), labels: dimensions) }
        return registry.makeValueHistogram(descriptor: descriptor(label), labels: dimensions, buckets: Self.valueBuckets)
    }

    func makeMeter(label: String, dimensions: [(String, String)]) -> any MeterHandler {
        registry.makeGauge(descriptor: descriptor(label), labels: dimensions)
    }

    func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler {
        registry.makeDurationHistogram(descriptor: descriptor(label), labels: dimensions, buckets: Self.durationBuckets)
    }

    func destroyCounter(_ handler: any CounterHandler) {
        if let counter = handler as? Prometheus.Counter { registry.unregisterCounter(counter) }
    }

    func destroyFloatingPointCounter(_ handler: any FloatingPointCounterHandler) {
        if let counter = handler as? Prometheus.Counter { registry.unregisterCounter(counter) }
    }

    func destroyRecorder(_ handler: any RecorderHandler) {
        if let gauge = handler as? Prometheus.Gauge { registry.unregisterGauge(gauge) }
        if let histogram = handler as? ValueHistogram { registry.unregisterValueHistogram(histogram) }
    }

    func destroyMeter(_ handler: any MeterHandler) {
        if let gauge = handler as? Prometheus.Gauge { registry.unregisterGauge(gauge) }
    }

    func destroyTimer(_ handler: any TimerHandler) {
        if let histogram = handler as? DurationHistogram { registry.unregisterDurationHistogram(histogram) }
    }
}
