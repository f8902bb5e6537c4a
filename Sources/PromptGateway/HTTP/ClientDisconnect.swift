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
        var timedOut = false
        var onClose: [Int: @Sendable () -> Void] = [:]
        var nextID = 0
    }

    private let state = Mutex(State())

    var isClosed: Bool { state.withLock { $0.closed } }
    /// The connection was cut off by the client timeout, not closed by the client.
    var timedOut: Bool { state.withLock { $0.timedOut } }

    func close(timedOut: Bool = false) {
        let actions = state.withLock { state in
            state.closed = true
            state.timedOut = state.timedOut || timedOut
            defer { state.onClose = [:] }
            return state.onClose
        }
        for action in actions.values { action() }
    }

    /// Registers `action` to run when the client closes the connection; nil when it already has.
    func onClose(_ action: @escaping @Sendable () -> Void) -> Int? {
        state.withLock { state in
            guard !state.closed else { return nil }
            state.nextID += 1
            state.onClose[state.nextID] = action
            return state.nextID
        }
    }

    func remove(_ id: Int) {
        state.withLock { _ = $0.onClose.removeValue(forKey: id) }
    }
}

/// The watches of open connections, by channel.
final class ConnectionWatchRegistry: Sendable {
    private struct State {
        var open: [ObjectIdentifier: ConnectionWatch] = [:]
        /// The last connections to close, so that a request whose head was read before its
        /// connection closed, but whose task only started after, still learns how it ended
        /// (cut off by the client timeout, or gone): a busy server can start it that late.
        var recentlyClosed: [ObjectIdentifier: ConnectionWatch] = [:]
        /// A ring of the keys in `recentlyClosed`, oldest at `next`.
        var closedOrder: [ObjectIdentifier?] = Array(repeating: nil, count: ConnectionWatchRegistry.recentlyClosedKept)
        var next = 0
    }

    static let recentlyClosedKept = 1024

    private let state = Mutex(State())

    func add(_ watch: ConnectionWatch, for channel: any Channel) {
        state.withLock { $0.open[ObjectIdentifier(channel)] = watch }
    }

    func remove(for channel: any Channel) {
        let key = ObjectIdentifier(channel)
        state.withLock { state in
            guard let watch = state.open.removeValue(forKey: key) else { return }
            if let oldest = state.closedOrder[state.next] { state.recentlyClosed[oldest] = nil }
            state.recentlyClosed[key] = watch
            state.closedOrder[state.next] = key
            state.next = (state.next + 1) % Self.recentlyClosedKept
        }
    }

    /// The watch of `channel`; for a channel that is no longer active, the watch it had when it
    /// closed (an identifier can be reused by a later channel, but only an open one).
    func watch(for channel: any Channel) -> ConnectionWatch? {
        let key = ObjectIdentifier(channel)
        return state.withLock { state in
            if let watch = state.open[key] { return watch }
            return channel.isActive ? nil : state.recentlyClosed[key]
        }
    }

    /// A handler to add to each connection's pipeline.
    func makeHandler() -> any RemovableChannelHandler {
        ConnectionWatchHandler(registry: self)
    }

    struct ClientGone: Error {
        /// Cut off by the client timeout (408), rather than gone by itself (499).
        var timedOut = false
    }

    /// Runs `operation`, cancelling it when the client of `channel` closes the connection; then
    /// throws `ClientGone`.
    ///
    /// The operation runs as a task of its own that the watch cancels: one task per request,
    /// where racing it against a waiting task in a task group cost three and a stream.
    func cancellingOnDisconnect<T: Sendable>(_ channel: any Channel, _ operation: @escaping @Sendable () async throws -> T) async throws -> T {
        guard let watch = watch(for: channel) else { return try await operation() }
        let task = Task { try await operation() }
        guard let id = watch.onClose({ task.cancel() }) else {
            task.cancel()
            throw ClientGone(timedOut: watch.timedOut)
        }
        defer { watch.remove(id) }
        do {
            return try await withTaskCancellationHandler { try await task.value } onCancel: { task.cancel() }
        } catch {
            if watch.isClosed { throw ClientGone(timedOut: watch.timedOut) }
            throw error
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
        if event is ClientTimeoutHandler.TimedOut { watch.close(timedOut: true) }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        registry.remove(for: context.channel)
        watch.close()
        context.fireChannelInactive()
    }
}
