import AsyncHTTPClient
import EndpointModel
import NIOCore
import NIOHTTP1

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
        var outgoing = HTTPClientRequest(url: request.url)
        outgoing.method = .POST
        for (name, value) in request.headers { outgoing.headers.add(name: name, value: value) }
        outgoing.body = .bytes(ByteBuffer(bytes: request.body))
        let prepared = outgoing
        let watch = StreamWatch(firstToken: limits.firstToken, gap: limits.gap, end: limits.end)
        let http = self.http
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await watch.run() }
                group.addTask {
                    try await Self.read(prepared, http: http, headDeadline: limits.end, decoder: decoder, watch: watch, onDeltas: onDeltas)
                }
                defer { group.cancelAll() }
                try await group.next()
            }
        } catch let failure as AttemptFailure {
            throw failure
        } catch let expired as StreamWatch.Expired {
            throw expired.beforeFirstToken
                ? AttemptFailure(.timeout, "no first token within \(limits.firstToken.milliseconds) ms")
                : AttemptFailure(.timeout, "the stream stalled for more than \(limits.gap.milliseconds) ms")
        } catch let error as HTTPClientError where error == .getConnectionFromPoolTimeout {
            throw Self.poolWaitTimeout(limits.firstToken)
        } catch let error as HTTPClientError {
            throw Self.classify(error, timeout: limits.gap)
        } catch is ServerSentEventParser.Oversized {
            throw AttemptFailure(.invalidOutput, "a stream event is larger than \(ServerSentEventParser.defaultMaximumEventBytes) bytes")
        } catch is CancellationError {
            throw AttemptFailure(.connection, "cancelled")
        } catch let error as IOError {
            throw AttemptFailure(.connection, "could not connect: \(error.description)")
        } catch is HTTPParserError {
            throw AttemptFailure(.connection, "the stream was cut off mid-answer")
        } catch {
            throw AttemptFailure(.connection, "the stream failed: \(type(of: error))")
        }
    }

    private static func read(
        _ outgoing: HTTPClientRequest, http: HTTPClient, headDeadline: ContinuousClock.Instant, decoder: some ProviderStreamDecoder,
        watch: StreamWatch, onDeltas: @Sendable ([StreamDelta]) -> Void
    ) async throws {
        let left = headDeadline - ContinuousClock.now
        let response = try await http.execute(outgoing, deadline: .now() + .nanoseconds(max(left.nanoseconds, 0)))
        guard (200..<300).contains(response.status.code) else {
            var body: [UInt8] = []
            for try await chunk in response.body {
                body.append(contentsOf: chunk.readableBytesView.prefix(ProviderResponseCollector.maximumErrorBytes - body.count))
                if body.count >= ProviderResponseCollector.maximumErrorBytes { break }
            }
            throw ProviderErrorClassifier.classify(status: response.status.code, headers: response.headers, body: body)
        }
        var parser = ServerSentEventParser()
        var decoder = decoder
        var total = 0
        func handle(_ events: [ServerSentEvent]) throws(AttemptFailure) {
            for event in events {
                let deltas = try decoder.decode(event)
                guard !deltas.isEmpty else { continue }
                if deltas.contains(where: \.isToken) { watch.progressed() }
                onDeltas(deltas)
            }
        }
        for try await chunk in response.body {
            total += chunk.readableBytes
            guard total <= maximumAnswerBytes else {
                throw AttemptFailure(.invalidOutput, "the streamed answer is larger than \(maximumAnswerBytes) bytes")
            }
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
