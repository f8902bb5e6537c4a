import EndpointModel

/// One event of a streaming prompt endpoint's answer (gateway-contract.md, Streaming).
struct StreamEvent: Sendable, Equatable {
    var name: String
    /// The event's JSON, already encoded.
    var data: String

    /// `event: NAME` and one `data:` line (compact JSON has no newline), then the blank line.
    var wireText: String { "event: \(name)\ndata: \(data)\n\n" }

    static let ping = ": ping\n\n"
}

/// Decides which events a streamed chain's progress becomes, apart from the I/O that sends them:
/// a `partial` snapshot of the current model's answer as it grows (the first at once, then at
/// most every `partialInterval`), a `fallback` event when a model fails once the client has seen
/// something and the next begins, and the one `result` or `error` that ends every stream. Time
/// comes in as instants, so tests drive it with their own clock.
struct StreamEventPlanner: Sendable {
    static let partialInterval = Duration.milliseconds(50)

    /// The current attempt's answer text.
    private var text = ""
    private var lastPartial: JSONValue?
    private var lastPartialAt: ContinuousClock.Instant?
    private var pendingFallback: (model: String, outcome: String)?
    /// Whether any event went out: from then on the status is sent and failures are events.
    private(set) var started = false

    mutating func receive(_ progress: ChainProgress, now: ContinuousClock.Instant) -> [StreamEvent] {
        switch progress {
        case .began(let model):
            text = ""
            lastPartial = nil
            lastPartialAt = nil
            guard let failed = pendingFallback else { return [] }
            pendingFallback = nil
            let data: JSONValue = ["from": .string(failed.model), "to": .string(model), "outcome": .string(failed.outcome)]
            return [StreamEvent(name: "fallback", data: CanonicalJSON.render(data, pretty: false))]
        case .delta(let piece):
            text += piece
            if let last = lastPartialAt, now - last < Self.partialInterval { return [] }
            guard let snapshot = PartialJSON.snapshot(text), snapshot != lastPartial else { return [] }
            lastPartial = snapshot
            lastPartialAt = now
            started = true
            return [StreamEvent(name: "partial", data: CanonicalJSON.render(snapshot, pretty: false))]
        case .failed(let model, let outcome):
            text = ""
            if started { pendingFallback = (model, outcome) }
            return []
        case .stream:
            return []
        }
    }

    /// The event that ends a stream whose chain answered.
    mutating func result(output: String, model: String, attempts: Int, usage: TokenUsage) -> StreamEvent {
        started = true
        let usageJSON = CanonicalJSON.render(["input_tokens": .integer(usage.input), "output_tokens": .integer(usage.output)], pretty: false)
        let data = "{\"attempts\":\(attempts),\"model\":\(CanonicalJSON.render(.string(model), pretty: false)),\"output\":\(output),\"usage\":\(usageJSON)}"
        return StreamEvent(name: "result", data: data)
    }

    /// The event that ends a stream whose chain gave no valid answer: the error object of a
    /// non-streaming answer.
    func error(_ error: GatewayError, requestID: String) -> StreamEvent {
        let body = error.body(requestID: requestID)
        return StreamEvent(name: "error", data: CanonicalJSON.render(body["error"] ?? body, pretty: false))
    }
}
