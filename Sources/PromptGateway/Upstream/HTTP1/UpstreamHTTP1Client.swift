import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Synchronization

/// The gateway's HTTP/1.1 client for provider calls, written on SwiftNIO in place of
/// AsyncHTTPClient for a measured reason: profiled under `Benchmarks/run`, AsyncHTTPClient's
/// call was the largest cost of a prompt request, about 210 µs of CPU and 107 of its 173 mallocs,
/// more than the HTTP server and the whole pipeline together. It writes and flushes a request's
/// head and body separately, runs a request-bag and a connection-pool state machine per call, and
/// opens a tracing span with no tracer installed. This client does what a provider call needs
/// and nothing else (README, Performance, has the figures before and after):
///
/// - keep-alive pools per origin (`UpstreamConnectionPool`), shared by the event loops, each call
///   preferring an idle connection of its own loop, at most `upstream.max_connections_per_host`
///   open; a call waits in line for one within its deadline, and that wait is never counted as
///   the provider's failure;
/// - the request's head (encoded once per route, `UpstreamTarget`) and body framed in one
///   buffer, sent in one write;
/// - a pooled connection the provider had closed is tried once more on a fresh one;
/// - responses parsed by NIO's HTTP/1.1 decoder, bounded (`UpstreamBounds`), whole or streamed;
/// - TLS through NIOSSL with the system's trust roots, SNI and certificate checks;
/// - no redirects (a 3xx is an answer like any other), no compression, HTTP/1.1 only.
final class UpstreamHTTP1Client: Sendable {
    let group: any EventLoopGroup
    /// The group's loops, told apart once here, not by walking the group on every call.
    private let loops: Set<ObjectIdentifier>
    private let maximumConnectionsPerOrigin: Int
    private let idleTimeout: TimeAmount
    private let connectTimeout: TimeAmount
    private let tls: UpstreamTLS
    private let pools = Mutex<[UpstreamTarget.Origin: UpstreamConnectionPool]>([:])

    init(
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton, maximumConnectionsPerOrigin: Int, connectTimeout: TimeAmount,
        idleTimeout: TimeAmount = .seconds(60), tlsConfiguration: TLSConfiguration = .makeClientConfiguration()
    ) {
        self.group = group
        loops = Set(group.makeIterator().map { ObjectIdentifier($0) })
        self.maximumConnectionsPerOrigin = maximumConnectionsPerOrigin
        self.connectTimeout = connectTimeout
        self.idleTimeout = idleTimeout
        tls = UpstreamTLS(configuration: tlsConfiguration)
    }

    /// Sends a POST of `body` to `target` and reads the whole response within `deadline`.
    /// `loop` is where the caller runs: a connection of that loop is preferred.
    /// `traceHeaders` are header lines (`name: value\r\n`) added to the head: the attempt's trace context.
    func collect(
        _ target: UpstreamTarget, body: [UInt8], traceHeaders: [UInt8] = [], deadline: NIODeadline, bounds: UpstreamBounds,
        on loop: (any EventLoop)? = nil
    ) async throws -> UpstreamResponse {
        try await exchange(target, body: body, traceHeaders: traceHeaders, deadline: deadline, on: loop) { connection, request in
            let promise = connection.eventLoop.makePromise(of: UpstreamResponse.self)
            let token = ObjectIdentifier(promise.futureResult)
            return try await withTaskCancellationHandler {
                if Task.isCancelled {
                    promise.fail(CancellationError())
                    throw CancellationError()
                }
                connection.start(request, delivery: .collect(promise), bounds: bounds, deadline: deadline, token: token)
                return try await promise.futureResult.get()
            } onCancel: {
                connection.cancel(token)
            }
        }
    }

    /// Sends a POST of `body` to `target` and returns once a 2xx head is in, with the body as it
    /// comes (at most `bounds.answerBytes`); any other status throws `.errorStatus` with its body.
    /// `deadline` bounds the whole exchange, body included. Dropping the body stream before its
    /// end closes the connection.
    func stream(
        _ target: UpstreamTarget, body: [UInt8], traceHeaders: [UInt8] = [], deadline: NIODeadline, bounds: UpstreamBounds,
        on loop: (any EventLoop)? = nil
    ) async throws -> (head: HTTPResponseHead, body: AsyncThrowingStream<ByteBuffer, any Error>) {
        try await exchange(target, body: body, traceHeaders: traceHeaders, deadline: deadline, on: loop) { connection, request in
            let head = connection.eventLoop.makePromise(of: HTTPResponseHead.self)
            let token = ObjectIdentifier(head.futureResult)
            let (stream, continuation) = AsyncThrowingStream.makeStream(of: ByteBuffer.self, throwing: (any Error).self)
            // The stream can outlive this call: holding the future keeps its address, the token,
            // from naming a later exchange on the same connection.
            let named = head.futureResult
            continuation.onTermination = { termination in
                if case .cancelled = termination { connection.cancel(ObjectIdentifier(named)) }
            }
            return try await withTaskCancellationHandler {
                if Task.isCancelled {
                    head.fail(CancellationError())
                    continuation.finish(throwing: CancellationError())
                    throw CancellationError()
                }
                connection.start(
                    request, delivery: .stream(head: head, body: continuation), bounds: bounds, deadline: deadline, token: token)
                return (try await head.futureResult.get(), stream)
            } onCancel: {
                connection.cancel(token)
            }
        }
    }

    /// Closes every idle connection and fails the calls waiting for one.
    func shutdown() {
        let all = pools.withLock { pools in
            defer { pools = [:] }
            return Array(pools.values)
        }
        for pool in all { pool.shutdown() }
    }

    /// The pool of `origin`, for tests.
    func pool(for origin: UpstreamTarget.Origin) -> UpstreamConnectionPool {
        pools.withLock { pools in
            if let pool = pools[origin] { return pool }
            let connector = UpstreamConnector(origin: origin, connectTimeout: connectTimeout, tls: tls)
            let pool = UpstreamConnectionPool(
                maximumConnections: maximumConnectionsPerOrigin, idleTimeout: idleTimeout, sweepOn: group.next(),
                connect: connector.connect)
            pools[origin] = pool
            return pool
        }
    }

    /// One exchange on a pooled connection; a stale one is tried once more on a fresh connection.
    private func exchange<Result>(
        _ target: UpstreamTarget, body: [UInt8], traceHeaders: [UInt8], deadline: NIODeadline, on loop: (any EventLoop)?,
        _ run: (UpstreamConnection, ByteBuffer) async throws -> Result
    ) async throws -> Result {
        // The caller's loop: the one it named, else the one it runs on. A caller on no loop of
        // the group (a test, a command) takes any idle connection.
        let own = (loop ?? MultiThreadedEventLoopGroup.currentEventLoop).flatMap { loops.contains(ObjectIdentifier($0)) ? $0 : nil }
        let loop = own ?? group.any()
        let pool = pool(for: target.origin)
        var fresh = false
        while true {
            let connection = try await pool.acquire(on: loop, deadline: deadline, fresh: fresh, keepToLoop: own != nil)
            guard NIODeadline.now() < deadline else {
                pool.release(connection)
                throw UpstreamHTTPError.poolWaitTimeout
            }
            let request = Self.frame(target, body: body, traceHeaders: traceHeaders, allocator: connection.channel.allocator)
            do {
                return try await run(connection, request)
            } catch UpstreamHTTPError.stale where !fresh {
                fresh = true
            } catch let cancelled as CancellationError {
                // Cancelled before the exchange began: the connection is unused, and goes back.
                pool.release(connection)
                throw cancelled
            }
        }
    }

    /// The request's head and body in one buffer.
    static func frame(_ target: UpstreamTarget, body: [UInt8], traceHeaders: [UInt8] = [], allocator: ByteBufferAllocator) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: target.headPrefix.count + 24 + traceHeaders.count + body.count)
        buffer.writeBytes(target.headPrefix)
        buffer.writeString(String(body.count))
        buffer.writeStaticString("\r\n")
        buffer.writeBytes(traceHeaders)
        buffer.writeStaticString("\r\n")
        buffer.writeBytes(body)
        return buffer
    }
}

/// Opens connections to one origin: TCP (with TLS for https), the response decoder and the
/// exchange handler, bounded by the connect timeout and the caller's deadline.
struct UpstreamConnector: Sendable {
    let origin: UpstreamTarget.Origin
    let connectTimeout: TimeAmount
    let tls: UpstreamTLS

    func connect(on loop: any EventLoop, deadline: NIODeadline) -> EventLoopFuture<UpstreamConnection> {
        let untilDeadline = deadline - .now()
        let cappedByDeadline = untilDeadline < connectTimeout
        let sslContext: NIOSSLContext?
        do {
            sslContext = origin.tls ? try tls.context() : nil
        } catch {
            return loop.makeFailedFuture(UpstreamHTTPError.connect("TLS is not usable: \(error)"))
        }
        let origin = origin
        let handshakeDeadline = min(deadline, .now() + connectTimeout)
        let bootstrap = ClientBootstrap(group: loop)
            .connectTimeout(max(.zero, min(connectTimeout, untilDeadline)))
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let pipeline = channel.pipeline.syncOperations
                    if let sslContext {
                        try pipeline.addHandler(NIOSSLClientHandler(context: sslContext, serverHostname: origin.serverName))
                        try pipeline.addHandler(TLSHandshakeWatch(done: channel.eventLoop.makePromise(), deadline: handshakeDeadline))
                    }
                    try pipeline.addHandler(UpstreamRequestWriter())
                    try pipeline.addHandler(ByteToMessageHandler(HTTPResponseDecoder(leftOverBytesStrategy: .dropBytes)))
                    try pipeline.addHandler(UpstreamConnectionHandler())
                }
            }
        return bootstrap.connect(host: origin.host, port: origin.port)
            .flatMap { channel in
                // A TLS connection joins the pool once its handshake is done.
                guard let watch = try? channel.pipeline.syncOperations.handler(type: TLSHandshakeWatch.self) else {
                    return channel.eventLoop.makeSucceededFuture(channel)
                }
                return watch.done.futureResult.map { channel }.flatMapError { error in
                    channel.close(promise: nil)
                    return channel.eventLoop.makeFailedFuture(error)
                }
            }
            .flatMapThrowing { channel in
                let handler = try channel.pipeline.syncOperations.handler(type: UpstreamConnectionHandler.self)
                return UpstreamConnection(channel: channel, origin: origin, handler: handler)
            }
            .flatMapErrorThrowing { error in
                throw Self.classify(error, cappedByDeadline: cappedByDeadline)
            }
    }

    static func classify(_ error: any Error, cappedByDeadline: Bool) -> UpstreamHTTPError {
        switch error {
        case let error as UpstreamHTTPError: return error
        case ChannelError.connectTimeout: return cappedByDeadline ? .timeout : .connectTimeout
        case let error as NIOConnectionError:
            if error.connectionErrors.isEmpty, error.dnsAError == nil, error.dnsAAAAError == nil {
                return cappedByDeadline ? .timeout : .connectTimeout
            }
            if let first = error.connectionErrors.first { return .connect("\(first.error)") }
            return .connect("the host name did not resolve")
        default: return .connect("\(error)")
        }
    }
}

/// The TLS context for provider connections, made on first use: loading the system's trust
/// roots costs milliseconds that a gateway with only plain-HTTP providers should not pay at start.
final class UpstreamTLS: Sendable {
    private let configuration: TLSConfiguration
    private let made = Mutex<NIOSSLContext?>(nil)

    init(configuration: TLSConfiguration) {
        self.configuration = configuration
    }

    func context() throws -> NIOSSLContext {
        try made.withLock { made in
            if let made { return made }
            let context = try NIOSSLContext(configuration: configuration)
            made = context
            return context
        }
    }
}

extension UpstreamTarget.Origin {
    /// The name sent for SNI and checked against the certificate; none for an IP address.
    var serverName: String? {
        let isAddress = host.contains(":") || host.utf8.allSatisfy { $0 == UInt8(ascii: ".") || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
        return isAddress ? nil : host
    }
}
