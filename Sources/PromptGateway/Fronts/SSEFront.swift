import EndpointModel
import HTTPTypes
import Hummingbird
import NIOCore
import Synchronization

/// The streaming front of prompt endpoints (gateway-contract.md, Streaming): the same pipeline
/// as `RESTFront`, its progress turned into Server-Sent Events by `StreamEventPlanner`.
///
/// The pipeline runs in a task of its own that feeds one queue; the head of the answer waits for
/// the first event, so everything that fails before it answers exactly as a plain request does
/// (the error status and JSON body). After it, the body writer sends what the queue brings, a
/// `: ping` comment every 15 s while nothing else does, and ends with one `result` or `error`.
/// A client that goes away cancels the pipeline and its upstream call; the request is recorded
/// when the stream ends.
struct SSEFront: Sendable {
    let pipeline: PromptPipeline
    let watches: ConnectionWatchRegistry
    /// The contract's 15 s, unless a test shortens it.
    let pingInterval: Duration

    /// Whether the request asks for a stream: `Accept: text/event-stream`.
    static func wantsStream(_ headers: HTTPFields) -> Bool {
        headers[values: .accept].contains { $0.lowercased().contains("text/event-stream") }
    }

    private enum Item: Sendable {
        case progress(ChainProgress)
        case answer(PipelineAnswer)
        case failure(GatewayError)
        case ping
    }

    func respond(_ request: PipelineRequest, outcome: RequestOutcome, channel: any Channel) async throws -> Response {
        let (items, continuation) = AsyncStream<Item>.makeStream()
        var request = request
        request.progress = { continuation.yield(.progress($0)) }
        let pipeline = self.pipeline
        let running = Task { [request] in
            do {
                continuation.yield(.answer(try await pipeline.run(request, outcome: outcome)))
            } catch {
                continuation.yield(.failure(GatewayError.from(error)))
            }
            continuation.finish()
        }
        let watch = watches.watch(for: channel)
        let watchID = watch?.onClose { running.cancel() }
        if watch != nil, watchID == nil { running.cancel() }
        let queue = ItemQueue(items.makeAsyncIterator())
        var planner = StreamEventPlanner()
        var first: [StreamEvent] = []
        var finished: (status: Int, errorType: String?)?
        // Until the first event, the request is answered like any other.
        waiting: while let item = await withTaskCancellationHandler(operation: { await queue.next() }, onCancel: { running.cancel() }) {
            switch item {
            case .progress(let progress):
                first += planner.receive(progress, now: .now)
                if !first.isEmpty { break waiting }
            case .answer(let answer):
                first.append(Self.result(answer, planner: &planner))
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
        let requestID = request.requestID
        var headers: HTTPFields = [.contentType: "text/event-stream", .cacheControl: "no-cache"]
        headers[HTTPField.Name("x-accel-buffering")!] = "no"
        let initial = first, initialPlanner = planner, initialFinish = finished, pingInterval = self.pingInterval
        let body = ResponseBody { writer in
            var planner = initialPlanner
            var finished = initialFinish
            let pinger = Task {
                while !Task.isCancelled {
                    try await Task.sleep(for: pingInterval)
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
            try await writer.write(Self.buffer(initial))
            while finished == nil, let item = await queue.next() {
                var events: [StreamEvent] = []
                switch item {
                case .progress(let progress):
                    events = planner.receive(progress, now: .now)
                case .answer(let answer):
                    events = [Self.result(answer, planner: &planner)]
                    finished = (200, nil)
                case .failure(let error):
                    events = [planner.error(error, requestID: requestID)]
                    finished = (Int(error.status.code), error.type)
                case .ping:
                    try await writer.write(ByteBuffer(string: StreamEvent.ping))
                }
                if !events.isEmpty { try await writer.write(Self.buffer(events)) }
            }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: headers, body: body)
    }

    private static func result(_ answer: PipelineAnswer, planner: inout StreamEventPlanner) -> StreamEvent {
        planner.result(output: String(buffer: answer.body), model: answer.model, attempts: answer.calls, usage: answer.usage)
    }

    private static func buffer(_ events: [StreamEvent]) -> ByteBuffer {
        ByteBuffer(string: events.map(\.wireText).joined())
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
