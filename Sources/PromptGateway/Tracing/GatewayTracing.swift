import HTTPTypes
import Logging
import OTel
import ServiceLifecycle
import Synchronization
import Tracing

/// Traces (gateway-contract.md, Running many replicas, budgets and alerts): a span per request and
/// a child span per attempt, exported with OTLP over HTTP when `OTEL_EXPORTER_OTLP_ENDPOINT` (or
/// `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) is set; the other `OTEL_*` variables work as swift-otel
/// reads them. The tracer is the gateway's own, not the process's global one, so that tests can
/// run gateways with different exporters side by side. Without the variable there is no tracer,
/// and the request path does not touch any of this.
final class GatewayTracing: Sendable {
    let tracer: any Tracer
    /// The exporter and its batch processor: they run from `start` to `stop`.
    private let service: any Service
    private let logger: Logger
    private let running = Mutex<(group: ServiceGroup, task: Task<Void, Never>)?>(nil)

    init(tracer: any Tracer, service: any Service, logger: Logger) {
        self.tracer = tracer
        self.service = service
        self.logger = logger
    }

    /// Why traces cannot be exported as the environment asks.
    struct SetupError: Error, CustomStringConvertible {
        var description: String
    }

    /// The gateway's tracing as `environment` asks for it; nil when no OTLP endpoint is set, or
    /// `OTEL_SDK_DISABLED` is `true`.
    static func fromEnvironment(_ environment: [String: String], logger: Logger) throws(SetupError) -> GatewayTracing? {
        guard environment["OTEL_SDK_DISABLED"]?.lowercased() != "true" else { return nil }
        let endpoint: String
        if let traces = environment["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"], !traces.isEmpty {
            endpoint = traces
        } else if let shared = environment["OTEL_EXPORTER_OTLP_ENDPOINT"], !shared.isEmpty {
            // The OTLP specification: the shared endpoint is a base, each signal at its own path.
            endpoint = shared.hasSuffix("/") ? shared + "v1/traces" : shared + "/v1/traces"
        } else {
            return nil
        }
        var configuration = OTel.Configuration.default
        configuration.serviceName = environment["OTEL_SERVICE_NAME"] ?? "promptc"
        configuration.logs.enabled = false
        configuration.metrics.enabled = false
        configuration.diagnosticLogger = .custom(logger)
        configuration.diagnosticLogLevel = .warning
        configuration.traces.otlpExporter.endpoint = endpoint
        let protocolName = environment["OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"] ?? environment["OTEL_EXPORTER_OTLP_PROTOCOL"] ?? "http/protobuf"
        switch protocolName {
        case "http/protobuf": configuration.traces.otlpExporter.protocol = .httpProtobuf
        case "http/json": configuration.traces.otlpExporter.protocol = .httpJSON
        default:
            throw SetupError(description: "OTEL_EXPORTER_OTLP_PROTOCOL '\(protocolName)' is not supported: promptc exports traces over OTLP/HTTP (http/protobuf or http/json)")
        }
        if let delay = environment["OTEL_BSP_SCHEDULE_DELAY"].flatMap(Int.init), delay >= 0 {
            configuration.traces.batchSpanProcessor.scheduleDelay = .milliseconds(delay)
        }
        do {
            let (tracer, service) = try OTel.makeTracingBackend(configuration: configuration)
            keptForLife.withLock { $0.append((tracer, service)) }
            return GatewayTracing(tracer: tracer, service: service, logger: logger)
        } catch {
            throw SetupError(description: "traces cannot be exported: \(error)")
        }
    }

    /// Starts exporting. Spans started before are queued, up to the batch processor's bound.
    func start() {
        running.withLock { running in
            guard running == nil else { return }
            let group = ServiceGroup(configuration: ServiceGroupConfiguration(services: [service], logger: logger))
            let logger = logger
            let task = Task {
                do {
                    try await group.run()
                } catch {
                    logger.error("the trace exporter stopped", metadata: ["error": .string("\(error)")])
                }
            }
            running = (group, task)
        }
    }

    /// Exports what is queued (within the exporter's own timeout) and stops.
    func stop() async {
        guard let (group, task) = running.withLock({ running in
            defer { running = nil }
            return running
        }) else { return }
        await group.triggerGracefulShutdown()
        await task.value
    }

    /// A span for a request that has just arrived, continuing the client's `traceparent`;
    /// `route` is the endpoint's path, when the request is for one.
    func startRequest(method: String, path: String, route: String?, headers: HTTPFields) -> RequestTrace {
        var context = InstrumentationContext.topLevel
        tracer.extract(headers, into: &context, using: HTTPFieldsExtractor())
        let name = route.map { "\(method) \($0)" } ?? method
        return RequestTrace(tracer: tracer, span: tracer.startSpan(name, context: context, ofKind: .server), method: method, path: path)
    }

    /// A span for a request that came in by no HTTP request of its own (an MCP tool call).
    func startRequest(named name: String) -> RequestTrace {
        RequestTrace(tracer: tracer, span: tracer.startSpan(name, context: .topLevel, ofKind: .server), method: nil, path: nil)
    }
}

/// Every tracer made, and its exporter, held until the process ends. swift-otel's OTLP/HTTP
/// exporter shuts its HTTP client down synchronously when it is freed, which traps on an event
/// loop; `serve` runs its tasks on the event loops, so whichever task dropped the last reference
/// would bring the process down. `stop` shuts the exporter down properly; this only keeps its
/// memory (one per gateway made) from being freed where it cannot be.
private let keptForLife = Mutex<[(any Tracer, any Service)]>([])

/// Reads a trace context from a request's headers.
struct HTTPFieldsExtractor: Extractor {
    func extract(key: String, from carrier: HTTPFields) -> String? {
        HTTPField.Name(key).flatMap { carrier[$0] }
    }
}
