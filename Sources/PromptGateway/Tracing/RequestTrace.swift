import EndpointModel
import Tracing

/// One request's span: started when the request arrives (a child of the client's `traceparent`
/// when it sent one), with a child span per attempt, and ended when the request is recorded,
/// with what its outcome says. Attributes follow OpenTelemetry's HTTP and GenAI conventions where
/// they have a name for the thing, and are `promptc.*` otherwise.
final class RequestTrace: Sendable {
    private let tracer: any Tracer
    private let span: any Span

    init(tracer: any Tracer, span: any Span, method: String?, path: String?) {
        self.tracer = tracer
        self.span = span
        span.updateAttributes { attributes in
            if let method { attributes["http.request.method"] = method }
            // Client-sent text, cut as in log lines.
            if let path { attributes["url.path"] = String(path.prefix(OutcomeRecorder.maximumLoggedPathLength)) }
        }
    }

    /// A child span for one call to `step`'s model (a pool member's, for a pool).
    func attempt(_ step: ChainStep) -> AttemptTrace {
        let child = tracer.startSpan("chat \(step.model)", context: span.context, ofKind: .client)
        child.updateAttributes { attributes in
            attributes["gen_ai.operation.name"] = "chat"
            attributes["gen_ai.provider.name"] = step.provider.name
            attributes["gen_ai.request.model"] = step.modelName
            attributes["promptc.model"] = step.model
        }
        var lines: [UInt8] = []
        tracer.inject(child.context, into: &lines, using: TraceHeaderLines())
        return AttemptTrace(span: child, headerLines: lines)
    }

    /// A model the chain skipped (its circuit open, or no key): a child span of no length, so the
    /// trace lists every attempt the answer's `attempts` lists.
    func skipped(_ record: AttemptRecord) {
        let child = tracer.startSpan("skip \(record.model)", context: span.context, ofKind: .internal)
        child.updateAttributes { attributes in
            attributes["promptc.model"] = record.model
            attributes["promptc.outcome"] = record.outcome
        }
        child.end()
    }

    /// Ends the span with the request's status and outcome.
    func end(status: Int, outcome: RequestOutcome.Fields, errorType: String?) {
        span.updateAttributes { attributes in
            attributes["http.response.status_code"] = status
            attributes["promptc.front"] = outcome.front
            if let endpoint = outcome.endpoint { attributes["promptc.endpoint"] = endpoint }
            if let consumer = outcome.consumer { attributes["promptc.consumer"] = consumer }
            if let model = outcome.model { attributes["promptc.model"] = model }
            if outcome.endpoint != nil { attributes["promptc.attempts"] = outcome.calls }
            if outcome.model != nil {
                attributes["gen_ai.usage.input_tokens"] = outcome.tokens.input
                attributes["gen_ai.usage.output_tokens"] = outcome.tokens.output
            }
            if let cache = outcome.cache { attributes["promptc.cache"] = cache }
            if let errorType { attributes["error.type"] = errorType }
        }
        // OpenTelemetry's HTTP conventions: a server span is an error for 5xx only.
        if status >= 500 { span.setStatus(SpanStatus(code: .error, message: errorType)) }
        span.end()
    }
}

/// One attempt's span, and the headers that carry it to the provider.
struct AttemptTrace: Sendable {
    let span: any Span
    /// `traceparent: …\r\n` (and `tracestate`), ready for the provider request's head.
    let headerLines: [UInt8]

    func succeeded(tokens: TokenUsage) {
        span.updateAttributes { attributes in
            attributes["promptc.outcome"] = "ok"
            attributes["gen_ai.usage.input_tokens"] = tokens.input
            attributes["gen_ai.usage.output_tokens"] = tokens.output
        }
        span.end()
    }

    /// `failure.message` is the gateway's own words, never a key or prompt text.
    func failed(_ failure: AttemptFailure) {
        span.updateAttributes { attributes in
            attributes["promptc.outcome"] = failure.failureClass.rawValue
            attributes["error.type"] = failure.failureClass.rawValue
        }
        span.setStatus(SpanStatus(code: .error, message: failure.message))
        span.end()
    }
}

/// Writes a trace context as header lines of an HTTP/1.1 head. The values come from the
/// propagator (the `tracestate` is the client's, parsed); one that could break the head's framing
/// is left out.
struct TraceHeaderLines: Injector {
    /// The W3C limit for `tracestate`; `traceparent` is 55 bytes.
    static let maximumValueBytes = 512

    func inject(_ value: String, forKey key: String, into carrier: inout [UInt8]) {
        guard value.utf8.count <= Self.maximumValueBytes, value.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }),
            !key.isEmpty, key.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: ":") })
        else { return }
        carrier.append(contentsOf: key.lowercased().utf8)
        carrier.append(contentsOf: ": ".utf8)
        carrier.append(contentsOf: value.utf8)
        carrier.append(contentsOf: "\r\n".utf8)
    }
}

/// The trace headers of the attempt this task is making: `UpstreamClient` puts them on the
/// provider request. A task-local, as the attempt's context is for `swift-distributed-tracing`,
/// so that the adapters between the chain and the client need not carry it.
enum UpstreamTraceHeaders {
    @TaskLocal static var current: [UInt8] = []

    /// Runs `body` with `lines` as the current attempt's headers.
    static func with<Output>(_ lines: [UInt8], _ body: () async throws(AttemptFailure) -> Output) async throws(AttemptFailure) -> Output {
        guard !lines.isEmpty else { return try await body() }
        let result: Result<Output, AttemptFailure> = await $current.withValue(lines) {
            do throws(AttemptFailure) {
                return .success(try await body())
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }
}
