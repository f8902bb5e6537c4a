import EndpointModel
import Foundation
import Logging
import MCP
import NIOCore
import NIOPosix
import Synchronization

/// MCP's stdio transport for `promptc mcp`: one JSON-RPC message per line on standard input,
/// answers on standard output, logs elsewhere.
///
/// Written here rather than taken from the SDK: its `StdioTransport` polls a non-blocking
/// descriptor every 10 ms and buffers a line without bound. This one reads through a NIO pipe
/// channel, answers a line longer than `maximumMessageBytes` with a JSON-RPC error, and when
/// standard input ends it lets the answers still owed be written before it closes.
actor StdioLineTransport: Transport {
    nonisolated let logger: Logger
    private let input: CInt
    private let output: CInt
    private let maximumMessageBytes: Int
    private let incoming: AsyncThrowingStream<Data, any Error>
    private let incomingContinuation: AsyncThrowingStream<Data, any Error>.Continuation
    private let owed = OwedRequests()
    private var channel: (any Channel)?

    init(input: CInt = STDIN_FILENO, output: CInt = STDOUT_FILENO, maximumMessageBytes: Int = 4 << 20, logger: Logger) {
        self.input = input
        self.output = output
        self.maximumMessageBytes = maximumMessageBytes
        self.logger = logger
        (incoming, incomingContinuation) = AsyncThrowingStream.makeStream()
    }

    func connect() async throws {
        let handler = LineHandler(incoming: incomingContinuation, owed: owed, maximumMessageBytes: maximumMessageBytes, logger: logger)
        let limit = maximumMessageBytes
        channel = try await NIOPipeBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(.allowRemoteHalfClosure, value: true)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandlers([ByteToMessageHandler(LineDecoder(maximumBytes: limit)), handler])
                }
            }
            .takingOwnershipOfDescriptors(input: input, output: output).get()
    }

    func disconnect() async {
        incomingContinuation.finish()
        try? await channel?.close()
        channel = nil
    }

    func send(_ data: Data) async throws {
        guard let channel else { throw MCPError.connectionClosed }
        var buffer = channel.allocator.buffer(capacity: data.count + 1)
        buffer.writeBytes(data)
        buffer.writeInteger(UInt8(ascii: "\n"))
        try await channel.writeAndFlush(buffer)
        if let id = Self.responseID(data) { owed.answered(id) }
    }

    nonisolated func receive() -> AsyncThrowingStream<Data, any Error> {
        incoming
    }

    /// Waits, at most `timeout`, until every request read has been answered.
    func settled(within timeout: Duration) async {
        await owed.settled(within: timeout)
    }

    /// The id of a request (a message with a method and an id), as text.
    static func requestID(_ data: Data) -> String? {
        guard case .object(let members)? = try? JSONParser.parse(Array(data)), members["method"] != nil, let id = members["id"] else { return nil }
        return CanonicalJSON.render(id, pretty: false)
    }

    /// The id of a response (a message with a result or an error), as text.
    static func responseID(_ data: Data) -> String? {
        guard case .object(let members)? = try? JSONParser.parse(Array(data)), members["method"] == nil, let id = members["id"] else { return nil }
        return CanonicalJSON.render(id, pretty: false)
    }
}

/// The requests read and not yet answered, so the last answers are written before the
/// process leaves.
final class OwedRequests: Sendable {
    private struct State {
        var ids: Set<String> = []
        var waiters: [CheckedContinuation<Void, Never>] = []
    }
    private let state = Mutex(State())

    func read(_ id: String) {
        state.withLock { _ = $0.ids.insert(id) }
    }

    func answered(_ id: String) {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.ids.remove(id)
            guard state.ids.isEmpty else { return [] }
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    func settled(within timeout: Duration) async {
        let timer = Task { [self] in
            try? await Task.sleep(for: timeout)
            let waiters = state.withLock { state in
                defer { state.waiters = [] }
                return state.waiters
            }
            for waiter in waiters { waiter.resume() }
        }
        defer { timer.cancel() }
        await withCheckedContinuation { (waiter: CheckedContinuation<Void, Never>) in
            let done = state.withLock { state in
                if state.ids.isEmpty { return true }
                state.waiters.append(waiter)
                return false
            }
            if done { waiter.resume() }
        }
    }
}

/// Lines of at most `maximumBytes`, without their `\n` (or `\r\n`); a longer line is dropped
/// whole and reported once.
struct LineDecoder: ByteToMessageDecoder {
    enum Line {
        case message(ByteBuffer)
        case overlong
    }
    typealias InboundOut = Line

    let maximumBytes: Int
    /// Inside a line that was too long: its bytes are skipped up to its end.
    private var skipping = false

    init(maximumBytes: Int) {
        self.maximumBytes = maximumBytes
    }

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let newline = buffer.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) else {
            if buffer.readableBytes > maximumBytes {
                if !skipping { context.fireChannelRead(wrapInboundOut(.overlong)) }
                skipping = true
                buffer.moveReaderIndex(forwardBy: buffer.readableBytes)
            }
            return .needMoreData
        }
        let length = newline - buffer.readerIndex
        guard var line = buffer.readSlice(length: length) else { return .needMoreData }
        buffer.moveReaderIndex(forwardBy: 1)
        if skipping {
            skipping = false
            return .continue
        }
        if line.readableBytes > maximumBytes {
            context.fireChannelRead(wrapInboundOut(.overlong))
            return .continue
        }
        if line.readableBytesView.last == UInt8(ascii: "\r") { line = line.getSlice(at: line.readerIndex, length: line.readableBytes - 1) ?? line }
        if line.readableBytesView.contains(where: { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\t") }) {
            context.fireChannelRead(wrapInboundOut(.message(line)))
        }
        return .continue
    }

    mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        while try decode(context: context, buffer: &buffer) == .continue {}
        // A last message without its newline still counts.
        if buffer.readableBytes > 0, !skipping, buffer.readableBytes <= maximumBytes, let rest = buffer.readSlice(length: buffer.readableBytes) {
            context.fireChannelRead(wrapInboundOut(.message(rest)))
        }
        return .needMoreData
    }
}

/// Hands lines to the transport's stream in the order they came, answers an overlong one,
/// and ends the stream when standard input ends.
private final class LineHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = LineDecoder.Line
    typealias OutboundOut = ByteBuffer

    let incoming: AsyncThrowingStream<Data, any Error>.Continuation
    let owed: OwedRequests
    let maximumMessageBytes: Int
    let logger: Logger

    init(incoming: AsyncThrowingStream<Data, any Error>.Continuation, owed: OwedRequests, maximumMessageBytes: Int, logger: Logger) {
        self.incoming = incoming
        self.owed = owed
        self.maximumMessageBytes = maximumMessageBytes
        self.logger = logger
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .message(let line):
            let message = Data(buffer: line)
            if let id = StdioLineTransport.requestID(message) { owed.read(id) }
            incoming.yield(message)
        case .overlong:
            logger.warning("a message on standard input was longer than \(maximumMessageBytes) bytes and was dropped")
            let error = #"{"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"the message is longer than "#
                + "\(maximumMessageBytes)" + #" bytes"}}"# + "\n"
            context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: error)), promise: nil)
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case .inputClosed = event as? ChannelEvent { incoming.finish() }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        incoming.finish()
        context.fireChannelInactive()
    }
}
