import Foundation
import NIOCore
import NIOPosix

/// A bare TCP connection to the gateway, for clients no HTTP library would be: one that sends a
/// request a few bytes at a time, or never sends one at all.
struct RawConnection {
    let channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>

    static func connect(port: Int) async throws -> RawConnection {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        return RawConnection(channel: channel)
    }

    /// Sends `text`, reads everything until the server closes the connection, and returns it.
    func send(_ text: String, thenReadUntilClosed: Bool = true) async throws -> String {
        try await channel.executeThenClose { inbound, outbound in
            if !text.isEmpty { try await outbound.write(ByteBuffer(string: text)) }
            var received = ""
            for try await chunk in inbound { received += String(buffer: chunk) }
            return received
        }
    }
}

extension RawConnection {
    /// Runs `script` with the connection open, for a conversation of several requests and
    /// answers; closes it after.
    func converse<T>(_ script: (RawConversation) async throws -> T) async throws -> T {
        try await channel.executeThenClose { inbound, outbound in
            try await script(RawConversation(iterator: inbound.makeAsyncIterator(), outbound: outbound))
        }
    }
}

/// One side of a raw HTTP/1.1 conversation: writes bytes as given, reads answers whole.
final class RawConversation {
    private var iterator: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator
    private let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
    /// Bytes received and not yet part of an answer.
    private var pending: [UInt8] = []

    init(iterator: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator, outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>) {
        self.iterator = iterator
        self.outbound = outbound
    }

    func send(_ text: String) async throws {
        try await outbound.write(ByteBuffer(string: text))
    }

    /// The next answer, head and `content-length` body; nil when the server closed the
    /// connection first.
    func nextAnswer() async throws -> RawAnswer? {
        while true {
            if let answer = RawAnswer.take(from: &pending) { return answer }
            guard let chunk = try await iterator.next() else { return nil }
            pending += Array(chunk.readableBytesView)
        }
    }

    /// Whether the server closed the connection without sending anything more.
    func closesWithNothingMore() async throws -> Bool {
        while let chunk = try await iterator.next() { pending += Array(chunk.readableBytesView) }
        return pending.isEmpty
    }
}

/// An answer as read off the wire.
struct RawAnswer {
    var status: Int
    /// Names lowercased.
    var headers: [(name: String, value: String)]
    var body: String

    func header(_ name: String) -> String? { headers.first { $0.name == name }?.value }

    /// Takes one whole answer off the front of `bytes`, if they hold one.
    static func take(from bytes: inout [UInt8]) -> RawAnswer? {
        let separator: [UInt8] = Array("\r\n\r\n".utf8)
        guard let headEnd = bytes.indices.first(where: { bytes[$0...].starts(with: separator) }) else { return nil }
        let lines = String(decoding: bytes[..<headEnd], as: UTF8.self).components(separatedBy: "\r\n")
        guard let statusLine = lines.first, let status = statusLine.split(separator: " ").dropFirst().first.flatMap({ Int($0) }) else { return nil }
        let headers = lines.dropFirst().compactMap { line -> (name: String, value: String)? in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            return (line[..<colon].lowercased(), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
        let length = headers.first { $0.name == "content-length" }.flatMap { Int($0.value) } ?? 0
        let bodyStart = headEnd + separator.count
        guard bytes.count >= bodyStart + length else { return nil }
        let body = String(decoding: bytes[bodyStart..<(bodyStart + length)], as: UTF8.self)
        bytes.removeFirst(bodyStart + length)
        return RawAnswer(status: status, headers: headers, body: body)
    }
}
