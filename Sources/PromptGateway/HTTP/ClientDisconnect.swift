import NIOCore
import Synchronization

/// Tells a request that its client went away, so the model call in flight can be cancelled.
///
/// Hummingbird's `consumeWithCancellationOnInboundClose` does this too, but it ends the
/// connection after every answer, which would cost keep-alive on every request. Instead a small
/// channel handler on each connection watches for the client closing its side (`inputClosed`,
/// or the channel going inactive) and wakes the requests waiting on that connection.
final class ConnectionWatch: Sendable {
    private struct State {
        var closed = false
        var waiters: [Int: AsyncStream<Void>.Continuation] = [:]
        var nextID = 0
    }

    private let state = Mutex(State())

    func close() {
        let waiters = state.withLock { state in
            state.closed = true
            defer { state.waiters = [:] }
            return state.waiters
        }
        for waiter in waiters.values { waiter.finish() }
    }

    /// Returns when the client closes the connection, or when the calling task is cancelled.
    func waitUntilClosed() async {
        let (stream, continuation) = AsyncStream<Void>.makeStream()
        let id = state.withLock { state -> Int? in
            guard !state.closed else { return nil }
            state.nextID += 1
            state.waiters[state.nextID] = continuation
            return state.nextID
        }
        guard let id else { return }
        for await _ in stream {}
        state.withLock { _ = $0.waiters.removeValue(forKey: id) }
    }
}

/// The watches of open connections, by channel.
final class ConnectionWatchRegistry: Sendable {
    private let watches = Mutex<[ObjectIdentifier: ConnectionWatch]>([:])

    func add(_ watch: ConnectionWatch, for channel: any Channel) {
        watches.withLock { $0[ObjectIdentifier(channel)] = watch }
    }

    func remove(for channel: any Channel) {
        watches.withLock { _ = $0.removeValue(forKey: ObjectIdentifier(channel)) }
    }

    func watch(for channel: any Channel) -> ConnectionWatch? {
        watches.withLock { $0[ObjectIdentifier(channel)] }
    }

    /// A handler to add to each connection's pipeline.
    func makeHandler() -> any RemovableChannelHandler {
        ConnectionWatchHandler(registry: self)
    }

    struct ClientGone: Error {}

    /// Runs `operation`, cancelling it when the client of `channel` closes the connection; then
    /// throws `ClientGone`.
    func cancellingOnDisconnect<T: Sendable>(_ channel: any Channel, _ operation: @escaping @Sendable () async throws -> T) async throws -> T {
        guard let watch = watch(for: channel) else { return try await operation() }
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await operation() }
            group.addTask {
                await watch.waitUntilClosed()
                return nil
            }
            defer { group.cancelAll() }
            guard case .some(.some(let value)) = try await group.next() else { throw ClientGone() }
            return value
        }
    }
}

private final class ConnectionWatchHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny

    let registry: ConnectionWatchRegistry
    let watch = ConnectionWatch()

    init(registry: ConnectionWatchRegistry) {
        self.registry = registry
    }

    func handlerAdded(context: ChannelHandlerContext) {
        registry.add(watch, for: context.channel)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        registry.remove(for: context.channel)
        watch.close()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case ChannelEvent.inputClosed = event { watch.close() }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        registry.remove(for: context.channel)
        watch.close()
        context.fireChannelInactive()
    }
}
