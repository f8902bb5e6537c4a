import NIOCore
import NIOEmbedded
import Testing
@testable import PromptGateway

/// A request whose head was read before its connection closed, but whose task started only
/// after (a busy server), still learns how the connection ended: cut off by the client timeout
/// (408) or gone (499), never an error of its own.
@Suite("Connection watches")
struct ConnectionWatchTests {
    @Test func aClosedConnectionsWatchIsFoundOnceItIsInactive() async throws {
        let registry = ConnectionWatchRegistry()
        let channel = EmbeddedChannel()
        try await channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).get()
        let watch = ConnectionWatch()
        registry.add(watch, for: channel)
        #expect(registry.watch(for: channel) === watch)
        watch.close(timedOut: true)
        registry.remove(for: channel)
        // Still active: the identifier could belong to a new connection, so nothing is found.
        #expect(registry.watch(for: channel) == nil)
        try await channel.close().get()
        #expect(registry.watch(for: channel) === watch)
        await #expect(throws: ConnectionWatchRegistry.ClientGone.self) {
            try await registry.cancellingOnDisconnect(channel) { 1 }
        }
        do {
            _ = try await registry.cancellingOnDisconnect(channel) { 1 }
        } catch let gone as ConnectionWatchRegistry.ClientGone {
            #expect(gone.timedOut)
        }
    }

    @Test func onlyTheLastClosedConnectionsAreKept() async throws {
        let registry = ConnectionWatchRegistry()
        var channels: [EmbeddedChannel] = []
        for _ in 0...ConnectionWatchRegistry.recentlyClosedKept {
            let channel = EmbeddedChannel()
            registry.add(ConnectionWatch(), for: channel)
            registry.remove(for: channel)
            channels.append(channel)
        }
        #expect(registry.watch(for: channels[0]) == nil, "the oldest was let go")
        #expect(registry.watch(for: channels[channels.count - 1]) != nil)
    }
}
