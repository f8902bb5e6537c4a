import HTTPTypes
import NIOCore
import NIOHTTPTypes

/// Answers plain prompt requests and chat completions on the connection's event loop (see
/// `DirectExchange` for which, and why), and hands every other request on, unchanged, to
/// Hummingbird's router behind it.
///
/// Answers go out in the order requests came, as HTTP/1.1 requires: a pipelined request that
/// arrives while an answer is in progress waits here (and reading pauses) until that answer's
/// end is written, whether this handler or the router wrote it. The handlers in front of it see
/// every request and answer either way: the client timeout, the connection's watch, and
/// Hummingbird's idle timeout and graceful stop.
final class DirectFrontHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private enum State {
        case idle
        /// The router has the request.
        case passing(requestEnded: Bool, responseEnded: Bool)
        case direct(DirectRequest)
    }

    private let exchange: DirectExchange
    /// The connection's watch: whether the client left, or was cut off by the client timeout.
    private let watch: ConnectionWatch?
    private var state = State.idle
    /// Parts of pipelined requests that came while an answer was in progress, in order.
    private var waiting = CircularBuffer<HTTPRequestPart>()
    private var readPaused = false
    private var forwardedSinceReadComplete = false

    init(exchange: DirectExchange, watch: ConnectionWatch?) {
        self.exchange = exchange
        self.watch = watch
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        guard waiting.isEmpty, receive(part, context: context) else {
            waiting.append(part)
            return
        }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        context.write(data, promise: promise)
        // The router's answer: its end lets the next request in.
        guard case .end = unwrapOutboundIn(data), case .passing(let requestEnded, _) = state else { return }
        if requestEnded {
            state = .idle
            resumeWaiting(context: context)
        } else {
            state = .passing(requestEnded: false, responseEnded: true)
        }
    }

    func read(context: ChannelHandlerContext) {
        // Requests already waiting are enough to hold; the socket can wait too.
        if waiting.isEmpty { context.read() } else { readPaused = true }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is ClientTimeoutHandler.TimedOut {
            abandon(timedOut: true)
        } else if case ChannelEvent.inputClosed? = event as? ChannelEvent {
            abandon(timedOut: false)
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        abandon(timedOut: false)
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        abandon(timedOut: false)
    }

    /// Handles `part`; false when it is the head of a request that must wait for the answer in
    /// progress.
    private func receive(_ part: HTTPRequestPart, context: ChannelHandlerContext) -> Bool {
        switch state {
        case .idle:
            if case .head(let head) = part {
                start(head, context: context)
            } else {
                forward(part, context: context)
            }
        case .passing(_, let responseEnded):
            if case .head = part { return false }
            forward(part, context: context)
            if case .end = part { state = responseEnded ? .idle : .passing(requestEnded: true, responseEnded: false) }
        case .direct(let request):
            switch part {
            case .head:
                return false
            case .body(let bytes):
                request.append(bytes)
            case .end:
                request.end()
                if request.responseEnded {
                    state = .idle
                } else if case .chat = request.kind {
                    startChat(request, context: context)
                }
            }
        }
        return true
    }

    private func start(_ head: HTTPRequest, context: ChannelHandlerContext) {
        guard let (kind, recording) = exchange.route(head, peer: context.channel.remoteAddress) else {
            state = .passing(requestEnded: false, responseEnded: false)
            forward(.head(head), context: context)
            return
        }
        let request = DirectRequest(kind: kind, recording: recording, head: head, limit: exchange.maxBodyBytes, eventLoop: context.eventLoop)
        state = .direct(request)
        guard case .prompt(let endpoint) = kind, let body = request.bodyFuture else { return }
        let (exchange, watch) = (exchange, watch)
        run(request, context: context) {
            await exchange.answerPrompt(recording, endpoint: endpoint, head: head, body: body, watch: watch)
        }
    }

    /// A chat request whose body is in: answered here, or, when it asks for a stream, handed on
    /// whole to the router.
    private func startChat(_ request: DirectRequest, context: ChannelHandlerContext) {
        let json = exchange.json(request.head, body: request.wholeBody)
        if case .success(let value) = json, DirectExchange.asksStream(value) {
            state = .passing(requestEnded: true, responseEnded: false)
            forward(.head(request.head), context: context)
            if case .success(let body) = request.wholeBody, body.readableBytes > 0 { forward(.body(body), context: context) }
            forward(.end(nil), context: context)
            finishForwarding(context: context)
            return
        }
        let (exchange, watch, recording, head) = (exchange, watch, request.recording, request.head)
        run(request, context: context) {
            await exchange.answerChat(recording, head: head, body: json, watch: watch)
        }
    }

    /// Runs `answer` as the request's task, then sends what it gives on the event loop, and only
    /// then writes the request's log line. The task starts on this event loop
    /// (promptc serve makes the loops Swift's executor), and so do the provider calls it makes:
    /// a request crosses no thread. The client leaving cancels the task (`abandon`, on the same
    /// events that close the connection's watch).
    private func run(_ request: DirectRequest, context: ChannelHandlerContext, _ answer: @escaping @Sendable () async -> LoggedAnswer) {
        let eventLoop = context.eventLoop
        let bound = NIOLoopBound((handler: self, context: context, request: request), eventLoop: eventLoop)
        let task = Task {
            let logged = await answer()
            let send: @Sendable () -> Void = {
                bound.value.handler.respond(logged.answer, to: bound.value.request, context: bound.value.context)
                logged.logLine?.write()
            }
            if eventLoop.inEventLoop { send() } else { eventLoop.execute(send) }
        }
        request.task = task
        if watch?.isClosed ?? false { task.cancel() }
    }

    private func respond(_ answer: PlainAnswer, to request: DirectRequest, context: ChannelHandlerContext) {
        guard case .direct(let current) = state, current === request, context.channel.isActive else { return }
        var headers = answer.headers
        headers[.contentLength] = String(answer.body.readableBytes)
        headers[.date] = HTTPDate.shared.now
        context.write(wrapOutboundOut(.head(HTTPResponse(status: answer.status, headerFields: headers))), promise: nil)
        if answer.body.readableBytes > 0 { context.write(wrapOutboundOut(.body(answer.body)), promise: nil) }
        request.responseEnded = true
        if request.closesConnection {
            let ended = context.eventLoop.makePromise(of: Void.self)
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: ended)
            ended.futureResult.assumeIsolated().whenComplete { _ in context.close(promise: nil) }
            return
        }
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        if request.requestEnded {
            state = .idle
            resumeWaiting(context: context)
        }
    }

    /// The connection is free again: the requests that waited go on, and so does reading.
    private func resumeWaiting(context: ChannelHandlerContext) {
        while let part = waiting.first {
            guard receive(part, context: context) else { break }
            waiting.removeFirst()
        }
        finishForwarding(context: context)
        if waiting.isEmpty, readPaused {
            readPaused = false
            context.read()
        }
    }

    private func forward(_ part: HTTPRequestPart, context: ChannelHandlerContext) {
        forwardedSinceReadComplete = true
        context.fireChannelRead(wrapInboundOut(part))
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        forwardedSinceReadComplete = false
        context.fireChannelReadComplete()
    }

    /// Parts handed on outside a read from the socket (a request that waited, a chat stream)
    /// need their own read-complete: the async channel behind delivers what it was given then.
    private func finishForwarding(context: ChannelHandlerContext) {
        guard forwardedSinceReadComplete else { return }
        forwardedSinceReadComplete = false
        context.fireChannelReadComplete()
    }

    /// The client left, or was cut off: the request in progress is not answered.
    private func abandon(timedOut: Bool) {
        guard case .direct(let request) = state else { return }
        request.abandon(timedOut: timedOut || (watch?.timedOut ?? false))
    }
}
