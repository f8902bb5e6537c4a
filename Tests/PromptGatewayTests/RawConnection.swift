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
