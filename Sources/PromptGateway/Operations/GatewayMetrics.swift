import EndpointModel
import Metrics
import Prometheus
import Synchronization

/// The gateway's metrics, kept in its own Prometheus registry (not the process-wide
/// MetricsSystem, which can be bootstrapped only once and would tie every gateway in a
/// process to one registry).
///
/// Handles are made once per endpoint and per model, not per request: making a Counter looks
/// it up in the registry under a lock by its name and labels, which showed up under load.
final class GatewayMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    let factory: DescribedMetricsFactory
    private let models = Mutex<[String: ModelMetrics]>([:])

    /// `promptc_usage_records_dropped_total`: usage records dropped because the queue was full.
    let usageRecordsDropped: Metrics.Counter

    init() {
        factory = DescribedMetricsFactory(registry: registry)
        usageRecordsDropped = Counter(label: "promptc_usage_records_dropped_total", factory: factory)
    }

    /// The handles of `endpoint`, whose chain calls `models`.
    func endpoint(_ endpoint: String, models names: [String]) -> EndpointMetrics {
        EndpointMetrics(endpoint: endpoint, models: Dictionary(names.map { ($0, model($0)) }) { first, _ in first }, factory: factory)
    }

    /// One set of handles per model, shared by every endpoint that calls it.
    func model(_ model: String) -> ModelMetrics {
        models.withLock { models in
            if let existing = models[model] { return existing }
            let made = ModelMetrics(model: model, factory: factory)
            models[model] = made
            return made
        }
    }

    /// The Prometheus text format.
    func exposition() -> [UInt8] {
        registry.emitToBuffer()
    }
}

/// `promptc_requests_total`, `promptc_request_duration_seconds` and `promptc_fallbacks_total`
/// of one endpoint, and the handles of the models its chain calls.
///
/// They are made on the endpoint's first request, not when routes load: registering them for
/// 1,000 endpoints took 45 ms of start-up.
final class EndpointMetrics: Sendable {
    private struct Handles {
        let duration: Metrics.Timer
        let fallbacks: Metrics.Counter
        /// Statuses are few (200, the 4xx and 5xx of the contract, 499) and so are fronts; each
        /// pair gets its counter on first use.
        var requests: [RequestKey: Metrics.Counter] = [:]
        /// `hit`, `miss` and `stale`.
        var cache: [String: Metrics.Counter] = [:]
        /// `won` and `lost`.
        var hedges: [String: Metrics.Counter] = [:]
    }

    private let endpoint: String
    private let factory: DescribedMetricsFactory
    private let handles = Mutex<Handles?>(nil)
    private let models: [String: ModelMetrics]

    init(endpoint: String, models: [String: ModelMetrics], factory: DescribedMetricsFactory) {
        self.endpoint = endpoint
        self.factory = factory
        self.models = models
    }

    private func withHandles<T>(_ body: (inout Handles) -> T) -> T {
        handles.withLock { handles in
            var made = handles ?? Handles(
                duration: Timer(label: "promptc_request_duration_seconds", dimensions: [("endpoint", endpoint)], factory: factory),
                fallbacks: Counter(label: "promptc_fallbacks_total", dimensions: [("endpoint", endpoint)], factory: factory))
            defer { handles = made }
            return body(&made)
        }
    }

    private struct RequestKey: Hashable {
        var status: Int
        var via: String
    }

    /// One request that ended with `status`, having come by the front `via` (`rest`, `sse`, `chat`, `mcp`).
    func request(status: Int, via: String, nanoseconds: Int64) {
        let (counter, duration) = withHandles { handles in
            let counter = handles.requests.counter(RequestKey(status: status, via: via)) {
                Counter(
                    label: "promptc_requests_total", dimensions: [("endpoint", endpoint), ("status", String(status)), ("via", via)],
                    factory: factory)
            }
            return (counter, handles.duration)
        }
        counter.increment()
        duration.recordNanoseconds(nanoseconds)
    }

    func cache(outcome: String) {
        withHandles { handles in
            handles.cache.counter(outcome) {
                Counter(label: "promptc_cache_total", dimensions: [("endpoint", endpoint), ("outcome", outcome)], factory: factory)
            }
        }.increment()
    }

    func hedge(_ outcome: HedgeOutcome) {
        withHandles { handles in
            handles.hedges.counter(outcome.rawValue) {
                Counter(label: "promptc_hedges_total", dimensions: [("endpoint", endpoint), ("outcome", outcome.rawValue)], factory: factory)
            }
        }.increment()
    }

    func fallback() {
        withHandles { $0.fallbacks }.increment()
    }

    func model(_ model: String) -> ModelMetrics? {
        models[model]
    }
}

/// `promptc_model_attempts_total`, `promptc_tokens_total` and `promptc_circuit_open` of one model.
final class ModelMetrics: Sendable {
    private let model: String
    private let factory: DescribedMetricsFactory
    private let attempts = Mutex<[String: Metrics.Counter]>([:])
    private let inputTokens: Metrics.Counter
    private let outputTokens: Metrics.Counter
    private let circuitOpen: Metrics.Gauge
    /// Made on the first priced answer: a model without a price in `pricing:` has no cost series
    /// (a 0 there would read as free).
    private let cost = Mutex<FloatingPointCounter?>(nil)

    init(model: String, factory: DescribedMetricsFactory) {
        self.model = model
        self.factory = factory
        inputTokens = Counter(label: "promptc_tokens_total", dimensions: [("model", model), ("kind", "input")], factory: factory)
        outputTokens = Counter(label: "promptc_tokens_total", dimensions: [("model", model), ("kind", "output")], factory: factory)
        circuitOpen = Gauge(label: "promptc_circuit_open", dimensions: [("model", model)], factory: factory)
    }

    func attempt(outcome: String) {
        attempts.withLock { attempts in
            attempts.counter(outcome) {
                Counter(label: "promptc_model_attempts_total", dimensions: [("model", model), ("outcome", outcome)], factory: factory)
            }
        }.increment()
    }

    /// The tokens an answer used, and their cost when the model has a price in `pricing:`.
    func tokens(_ usage: TokenUsage, price: ModelPrice?) {
        if usage.input > 0 { inputTokens.increment(by: usage.input) }
        if usage.output > 0 { outputTokens.increment(by: usage.output) }
        guard let price else { return }
        let counter = cost.withLock { cost in
            if let cost { return cost }
            let made = FloatingPointCounter(label: "promptc_cost_usd_total", dimensions: [("model", model)], factory: factory)
            cost = made
            return made
        }
        counter.increment(by: price.cost(input: usage.input, output: usage.output))
    }

    func circuit(open: Bool) {
        circuitOpen.record(open ? 1 : 0)
    }
}

extension Dictionary where Value == Metrics.Counter {
    /// The counter for `key`, made by `make` on first use.
    mutating func counter(_ key: Key, make: () -> Metrics.Counter) -> Metrics.Counter {
        if let existing = self[key] { return existing }
        let made = make()
        self[key] = made
        return made
    }
}
