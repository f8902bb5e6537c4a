import HTTPTypes
import Hummingbird
import NIOCore

/// Turns a streamed chain's progress into the events of one wire format (a prompt endpoint's
/// `partial`/`result` events, or OpenAI's chunks). Pure: time comes in as instants.
protocol EventPlanner: Sendable {
    associatedtype Answer: Sendable
    /// Whether any event went out; until then a failure is answered with its status.
    var started: Bool { get }
    mutating func receive(_ progress: ChainProgress, now: ContinuousClock.Instant) -> [String]
    /// The events that end a stream whose chain answered.
    mutating func finish(_ answer: Answer) -> [String]
    /// The events that end a stream whose chain failed.
    func fail(_ error: GatewayError, requestID: String) -> [String]
}

/// Answers a request with Server-Sent Events from a run of the pipeline (gateway-contract.md,
/// Streaming), for every front that streams.
///
/// The run goes in a task of its own that feeds one queue; the head of the answer waits for the
/// planner's first event, so everything that fails before it answers exactly as a plain request
/// does (the error status and JSON body). After it, the body writer sends what the queue brings,
/// a `: ping` comment every `pingInterval` while nothing else does, and the planner's ending. A
/// client that goes away cancels the run and its upstream call; the request is recorded when the
/// stream ends, with the status its ending says.
struct EventStreamResponder: Sendable {
    /// Tells nginx in front of the gateway not to buffer the stream.
    static let accelBuffering = HTTPField.Name("x-accel-buffering")!

    let watches: ConnectionWatchRegistry
    let pingInterval: Duration

    private enum Item<Answer: Sendable>: Sendable {
        case progress(ChainProgress)
        case answer(Answer)
        case failure(GatewayError)
        case ping
    }

    func respond<Planner: EventPlanner>(
        planner: Planner, outcome: RequestOutcome, channel: any Channel, requestID: String,
        run: @escaping @Sendable (@escaping ChainProgressSink) async throws -> Planner.Answer
    ) async throws -> Response {
        let (items, continuation) = AsyncStream<Item<Planner.Answer>>.makeStream()
        let running = Task {
            do {
                continuation.yield(.answer(try await run { continuation.yield(.progress($0)) }))
            } catch {
                continuation.yield(.failure(GatewayError.from(error)))
            }
            continuation.finish()
        }
        let watch = watches.watch(for: channel)
        // A client that leaves ends the run; once the answer is a stream, its record is taken
        // here too, in case the body writer never gets to run (a record is taken only once).
        let watchID = watch?.onClose {
            running.cancel()
            outcome.finishStream(status: 499, errorType: "client_closed")
        }
        if watch != nil, watchID == nil { running.cancel() }
        let queue = ItemQueue(items.makeAsyncIterator())
        var planner = planner
        var first: [String] = []
        var finished: (status: Int, errorType: String?)?
        // Until the first event, the request is answered like any other.
        waiting: while let item = await withTaskCancellationHandler(operation: { await queue.next() }, onCancel: { running.cancel() }) {
            switch item {
            case .progress(let progress):
                first += planner.receive(progress, now: .now)
                if !first.isEmpty { break waiting }
            case .answer(let answer):
                first += planner.finish(answer)
                finished = (200, nil)
                break waiting
            case .failure(let error):
                if let watchID { watch?.remove(watchID) }
                throw error
            case .ping:
                continue
            }
        }
        guard !first.isEmpty else {
            if let watchID { watch?.remove(watchID) }
            throw GatewayError.from(CancellationError())
        }
        outcome.update { $0.streamed = true }
        var headers: HTTPFields = [.contentType: "text/event-stream", .cacheControl: "no-cache"]
        headers[Self.accelBuffering] = "no"
        let initial = first, initialPlanner = planner, initialFinish = finished, pingInterval = self.pingInterval
        let body = ResponseBody { writer in
            var planner = initialPlanner
            var finished = initialFinish
            // Ticks a few times per interval; the writer sends a ping only after a quiet interval.
            let pinger = Task {
                while !Task.isCancelled {
                    try await Task.sleep(for: pingInterval / 4)
                    continuation.yield(.ping)
                }
            }
            defer {
                pinger.cancel()
                running.cancel()
                if let watchID { watch?.remove(watchID) }
                // A stream cut off by its client ends as 499, like a plain request would.
                outcome.finishStream(status: finished?.status ?? 499, errorType: finished == nil ? "client_closed" : finished?.errorType)
            }
            if let initialFinish { outcome.finishStream(status: initialFinish.status, errorType: initialFinish.errorType) }
            try await writer.write(ByteBuffer(string: initial.joined()))
            var lastWrite = ContinuousClock.now
            while finished == nil, let item = await queue.next() {
                var events: [String] = []
                switch item {
                case .progress(let progress):
                    events = planner.receive(progress, now: .now)
                case .answer(let answer):
                    events = planner.finish(answer)
                    finished = (200, nil)
                    outcome.finishStream(status: 200, errorType: nil)
                case .failure(let error):
                    events = planner.fail(error, requestID: requestID)
                    finished = (Int(error.status.code), error.type)
                    outcome.finishStream(status: Int(error.status.code), errorType: error.type)
                case .ping:
                    // Only while nothing else went out for a whole interval.
                    if ContinuousClock.now - lastWrite >= pingInterval { events = [": ping\n\n"] }
                }
                if !events.isEmpty {
                    try await writer.write(ByteBuffer(string: events.joined()))
                    lastWrite = .now
                }
            }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: headers, body: body)
    }
}

/// The one iterator over a stream's queue, used first while the head waits and then by the body
/// writer: never by both at once, which is what makes handing it over safe.
private final class ItemQueue<Element: Sendable>: @unchecked Sendable {
    private var iterator: AsyncStream<Element>.Iterator

    init(_ iterator: AsyncStream<Element>.Iterator) {
        self.iterator = iterator
    }

    func next() async -> Element? {
        await iterator.next()
    }
}
