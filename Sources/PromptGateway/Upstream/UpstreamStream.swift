import EndpointModel
import NIOCore

/// What bounds one streamed attempt (gateway-contract.md, Streaming).
struct StreamLimits: Sendable {
    /// The wait for the model's first token: `fallback.first_token_timeout`, else the timeout.
    var firstToken: Duration
    /// The longest wait between tokens after the first: the attempt's timeout.
    var gap: Duration
    /// The request's deadline; no stream outlives it.
    var end: ContinuousClock.Instant
}

extension UpstreamClient {
    /// Sends a streaming request and hands each batch of decoded deltas to `onDeltas` as they
    /// arrive. Returns once the provider marked the answer complete; throws a classified
    /// `AttemptFailure` for an error status, an error event inside the stream, a stream that
    /// stops before its end (`connection`), one that stalls or is slow to begin (`timeout`), or
    /// one larger than `maximumAnswerBytes` (`invalid_output`).
    func stream(
        _ request: ProviderRequest, limits: StreamLimits, decoder: some ProviderStreamDecoder,
        onDeltas: @escaping @Sendable ([StreamDelta]) -> Void
    ) async throws(AttemptFailure) {
        let target = try Self.target(of: request)
        let watch = StreamWatch(firstToken: limits.firstToken, gap: limits.gap, end: limits.end)
        let http = self.http
        let body = request.body
        let traceHeaders = UpstreamTraceHeaders.current
        let deadline = NIODeadline.now() + .nanoseconds(max((limits.end - ContinuousClock.now).nanoseconds, 0))
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await watch.run() }
                group.addTask {
                    let (_, stream) = try await http.stream(target, body: body, traceHeaders: traceHeaders, deadline: deadline, bounds: Self.bounds)
                    try await Self.read(stream, decoder: decoder, watch: watch, onDeltas: onDeltas)
                }
                defer { group.cancelAll() }
                try await group.next()
            }
        } catch let expired as StreamWatch.Expired {
            throw expired.beforeFirstToken
                ? AttemptFailure(.timeout, "no first token within \(limits.firstToken.milliseconds) ms")
                : AttemptFailure(.timeout, "the stream stalled for more than \(limits.gap.milliseconds) ms")
        } catch is ServerSentEventParser.Oversized {
            throw AttemptFailure(.invalidOutput, "a stream event is larger than \(ServerSentEventParser.defaultMaximumEventBytes) bytes")
        } catch UpstreamHTTPError.oversized(let status, let headers) where (200..<300).contains(status) {
            _ = headers
            throw AttemptFailure(.invalidOutput, "the streamed answer is larger than \(Self.maximumAnswerBytes) bytes")
        } catch {
            throw Self.classify(error, timeout: limits.gap, streaming: true)
        }
    }

    /// Reads a 2xx stream's events into deltas until its end; the end must be the provider's
    /// mark that the answer is complete.
    private static func read(
        _ stream: AsyncThrowingStream<ByteBuffer, any Error>, decoder: some ProviderStreamDecoder, watch: StreamWatch,
        onDeltas: @Sendable ([StreamDelta]) -> Void
    ) async throws {
        var parser = ServerSentEventParser()
        var decoder = decoder
        func handle(_ events: [ServerSentEvent]) throws(AttemptFailure) {
            for event in events {
                let deltas = try decoder.decode(event)
                guard !deltas.isEmpty else { continue }
                if deltas.contains(where: \.isToken) { watch.progressed() }
                onDeltas(deltas)
            }
        }
        for try await chunk in stream {
            try handle(try parser.feed(chunk.readableBytesView))
        }
        if let last = parser.finish() { try handle([last]) }
        guard decoder.isComplete else {
            throw AttemptFailure(.connection, "the stream ended before the provider marked the answer complete")
        }
    }
}

extension StreamDelta {
    /// Whether the delta carries something the model wrote (not just usage or a stop reason).
    var isToken: Bool {
        switch self {
        case .content, .toolCall: true
        case .finish, .usage: false
        }
    }
}
