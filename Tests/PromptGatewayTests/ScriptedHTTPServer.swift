import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import Synchronization

/// A raw HTTP/1.1 server on loopback for the upstream client's own tests. It reads each request
/// itself (the head, then a `content-length` body) and answers exactly the bytes its script
/// gives, so a test can send what real servers send and what they should not: chunked and
/// close-delimited bodies, answers before the body is read, connections closed without answer.
final class ScriptedHTTPServer: Sendable {
    struct Request: Sendable {
        /// 1 for the first connection the server accepted.
        var connection: Int
        /// 1 for a connection's first request.
        var indexOnConnection: Int
        var head: String
        var bodyBytes: Int
    }

    enum Reply: Sendable {
        /// These bytes, after `delay`; then the connection is closed when `close`.
        case bytes(String, delay: TimeAmount = .zero, close: Bool = false)
        /// The connection closed with no answer.
        case close
    }

    struct Counts: Sendable, Equatable {
        var connections = 0
        var requests = 0
    }

    let port: Int
    private let channel: any Channel
    private let shared: Shared

    private init(port: Int, channel: any Channel, shared: Shared) {
        self.port = port
        self.channel = channel
        self.shared = shared
    }

    /// The connections accepted and the requests read so far.
    var seen: Counts { shared.counts.withLock { $0 } }

    /// `answerOnHead` answers as soon as a request's head is in and reads its body after;
    /// `closeIdleAfter` closes a connection that has sat that long since its last answer.
    static func start(
        tls: NIOSSLContext? = nil, answerOnHead: Bool = false, closeIdleAfter: TimeAmount? = nil,
        reply: @escaping @Sendable (Request) -> Reply
    ) async throws -> ScriptedHTTPServer {
        let shared = Shared()
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let tls { try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls)) }
                    let number = shared.newConnection()
                    try channel.pipeline.syncOperations.addHandler(
                        ScriptedConnection(
                            number: number, answerOnHead: answerOnHead, closeIdleAfter: closeIdleAfter, reply: reply,
                            counted: { shared.newRequest() }))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return ScriptedHTTPServer(port: channel.localAddress?.port ?? 0, channel: channel, shared: shared)
    }

    func stop() async {
        try? await channel.close()
    }

    /// The counters, shared with the connections' handlers.
    private final class Shared: Sendable {
        let counts = Mutex(Counts())
        func newConnection() -> Int { counts.withLock { $0.connections += 1; return $0.connections } }
        func newRequest() { counts.withLock { $0.requests += 1 } }
    }
}

/// One connection of `ScriptedHTTPServer`.
private final class ScriptedConnection: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    let number: Int
    let answerOnHead: Bool
    let closeIdleAfter: TimeAmount?
    let reply: @Sendable (ScriptedHTTPServer.Request) -> ScriptedHTTPServer.Reply
    let counted: @Sendable () -> Void
    private var buffer: [UInt8] = []
    private var requests = 0
    /// Body bytes still to read (and discard) of a request already answered.
    private var skipping = 0
    private var idleTimer: Scheduled<Void>?

    init(
        number: Int, answerOnHead: Bool, closeIdleAfter: TimeAmount?, reply: @escaping @Sendable (ScriptedHTTPServer.Request) -> ScriptedHTTPServer.Reply,
        counted: @escaping @Sendable () -> Void
    ) {
        self.number = number
        self.answerOnHead = answerOnHead
        self.closeIdleAfter = closeIdleAfter
        self.reply = reply
        self.counted = counted
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        idleTimer?.cancel()
        buffer.append(contentsOf: unwrapInboundIn(data).readableBytesView)
        while let answered = nextRequest(context: context), answered {}
    }

    /// Handles one request when its bytes are in: true when one was handled, nil when more bytes
    /// are needed.
    private func nextRequest(context: ChannelHandlerContext) -> Bool? {
        if skipping > 0 {
            let skipped = min(skipping, buffer.count)
            buffer.removeFirst(skipped)
            skipping -= skipped
            if skipping > 0 { return nil }
        }
        guard let end = headEnd() else { return nil }
        let head = String(decoding: buffer[..<end], as: UTF8.self)
        let length = head.split(separator: "\r\n").compactMap { line -> Int? in
            let parts = line.split(separator: ":", maxSplits: 1)
            guard parts.count == 2, parts[0].lowercased() == "content-length" else { return nil }
            return Int(parts[1].trimmingCharacters(in: .whitespaces))
        }.first ?? 0
        if answerOnHead {
            buffer.removeFirst(end + 4)
            skipping = length
        } else {
            guard buffer.count >= end + 4 + length else { return nil }
            buffer.removeFirst(end + 4 + length)
        }
        requests += 1
        counted()
        let request = ScriptedHTTPServer.Request(connection: number, indexOnConnection: requests, head: head, bodyBytes: length)
        switch reply(request) {
        case .close:
            context.close(promise: nil)
            return false
        case .bytes(let text, let delay, let close):
            let channel = context.channel
            let send: @Sendable () -> Void = {
                channel.writeAndFlush(ByteBuffer(string: text)).whenComplete { _ in
                    if close { channel.close(promise: nil) }
                }
            }
            if delay == .zero { send() } else { context.eventLoop.scheduleTask(in: delay) { send() } }
            armIdleTimer(context: context)
            return !close
        }
    }

    private func headEnd() -> Int? {
        guard buffer.count >= 4 else { return nil }
        for index in 0...(buffer.count - 4)
        where buffer[index] == 13 && buffer[index + 1] == 10 && buffer[index + 2] == 13 && buffer[index + 3] == 10 {
            return index
        }
        return nil
    }

    private func armIdleTimer(context: ChannelHandlerContext) {
        guard let closeIdleAfter else { return }
        idleTimer?.cancel()
        let channel = context.channel
        idleTimer = context.eventLoop.scheduleTask(in: closeIdleAfter) { channel.close(promise: nil) }
    }
}

extension ScriptedHTTPServer.Reply {
    /// A 200 with a JSON body and its length; the connection stays open.
    static func json(_ body: String, status: String = "200 OK", delay: TimeAmount = .zero) -> Self {
        .bytes("HTTP/1.1 \(status)\r\ncontent-type: application/json\r\ncontent-length: \(body.utf8.count)\r\n\r\n\(body)", delay: delay)
    }
}
