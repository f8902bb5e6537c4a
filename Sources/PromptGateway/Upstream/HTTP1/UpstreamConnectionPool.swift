import NIOCore
import Synchronization

/// The keep-alive connections to one origin, shared by every event loop, at most
/// `maximumConnections` open or opening at once (gateway-contract.md, Limits: the gateway's own
/// queue is not the provider's failure).
///
/// A call takes an idle connection of its own event loop, so the exchange stays on one thread;
/// else opens one on its loop while there is room; else takes another loop's idle connection
/// (crossing threads costs two wake-ups, which showed in the p99 at 1,000 req/s, more than a
/// connection more costs); else waits in line until a
/// connection comes back or closes, or until its deadline (`.poolWaitTimeout`, which the gateway
/// keeps out of the circuit). Idle connections are closed after `idleTimeout`; one the provider
/// closes leaves the pool as it closes.
final class UpstreamConnectionPool: Sendable {
    typealias Connect = @Sendable (_ loop: any EventLoop, _ deadline: NIODeadline) -> EventLoopFuture<UpstreamConnection>

    private struct Waiter {
        let id: Int
        let promise: EventLoopPromise<UpstreamConnection>
        /// Waits for a new connection, not one that comes back (a stale one's retry).
        let fresh: Bool
    }

    private struct State {
        var idle = IdleConnections()
        /// Connections open or opening.
        var open = 0
        var waiters = CircularBuffer<Waiter>()
        var lastWaiterID = 0
        var isShutDown = false
    }

    /// What `acquire` does, decided under the lock and done outside it.
    private enum Step {
        case use(UpstreamConnection)
        case connect
        case wait(Waiter, closing: UpstreamConnection?)
        case shutDown
    }

    let maximumConnections: Int
    private let idleTimeout: TimeAmount
    private let connect: Connect
    private let state = Mutex(State())
    private let sweeper = Mutex<RepeatedTask?>(nil)

    init(maximumConnections: Int, idleTimeout: TimeAmount, sweepOn loop: any EventLoop, connect: @escaping Connect) {
        self.maximumConnections = max(1, maximumConnections)
        self.idleTimeout = idleTimeout
        self.connect = connect
        let every = TimeAmount.nanoseconds(max(idleTimeout.nanoseconds / 4, TimeAmount.milliseconds(10).nanoseconds))
        let task = loop.scheduleRepeatedTask(initialDelay: every, delay: every) { [weak self] _ in self?.closeExpired() }
        sweeper.withLock { $0 = task }
    }

    /// Closes the connections idle for longer than `idleTimeout`.
    private func closeExpired() {
        let cutoff = NIODeadline.now() - idleTimeout
        let expired = state.withLock { state -> [UpstreamConnection] in
            state.idle.removeIdle(since: cutoff)
        }
        for connection in expired { connection.channel.close(promise: nil) }
    }

    /// Connections open or opening, and idle ones among them: for tests and statistics.
    var counts: (open: Int, idle: Int) { state.withLock { ($0.open, $0.idle.count) } }

    /// A connection for one exchange, to be handed back with `release` (or closed). `fresh` asks
    /// for a new connection rather than an idle one. `keepToLoop` is for a caller running on
    /// `loop`: it opens a connection there before it takes another loop's idle one.
    func acquire(on loop: any EventLoop, deadline: NIODeadline, fresh: Bool = false, keepToLoop: Bool = true) async throws -> UpstreamConnection {
        let step = state.withLock { state -> Step in
            if state.isShutDown { return .shutDown }
            if !fresh, let connection = keepToLoop ? state.idle.pop(on: loop) : state.idle.popAny() { return .use(connection) }
            if state.open < maximumConnections {
                state.open += 1
                return .connect
            }
            if !fresh, let connection = state.idle.popAny() { return .use(connection) }
            state.lastWaiterID += 1
            let waiter = Waiter(id: state.lastWaiterID, promise: loop.makePromise(), fresh: fresh)
            state.waiters.append(waiter)
            // A fresh connection in a full pool: an idle one makes room as it closes.
            let closing = fresh ? state.idle.popOldest() : nil
            return .wait(waiter, closing: closing)
        }
        switch step {
        case .use(let connection):
            return connection
        case .shutDown:
            throw UpstreamHTTPError.shutDown
        case .connect:
            return try await open(on: loop, deadline: deadline).get()
        case .wait(let waiter, let closing):
            closing?.channel.close(promise: nil)
            let timer = loop.scheduleTask(deadline: deadline) { [self] in abandon(waiter.id, UpstreamHTTPError.poolWaitTimeout) }
            defer { timer.cancel() }
            return try await withTaskCancellationHandler {
                try await waiter.promise.futureResult.get()
            } onCancel: {
                abandon(waiter.id, UpstreamHTTPError.cancelled)
            }
        }
    }

    /// Hands back a connection whose exchange ended with it reusable: to the first caller in line
    /// that takes a reused one, else to the idle list.
    func release(_ connection: UpstreamConnection) {
        let (waiter, close) = state.withLock { state -> (Waiter?, Bool) in
            if state.isShutDown { return (nil, true) }
            if let index = state.waiters.firstIndex(where: { !$0.fresh }) {
                return (state.waiters.remove(at: index), false)
            }
            state.idle.push(connection)
            return (nil, false)
        }
        if close { connection.channel.close(promise: nil) }
        waiter?.promise.succeed(connection)
    }

    /// Closes the idle connections and fails every caller in line; connections in use close as
    /// their exchanges end.
    func shutdown() {
        let (idle, waiters) = state.withLock { state in
            state.isShutDown = true
            defer { state.waiters = [] }
            return (state.idle.removeAll(), Array(state.waiters))
        }
        sweeper.withLock { $0?.cancel() }
        for connection in idle { connection.channel.close(promise: nil) }
        for waiter in waiters { waiter.promise.fail(UpstreamHTTPError.shutDown) }
    }

    /// Opens a connection for a slot already counted in `open`; when it closes (or fails to
    /// open) the slot goes to the next caller in line.
    private func open(on loop: any EventLoop, deadline: NIODeadline) -> EventLoopFuture<UpstreamConnection> {
        let opening = connect(loop, deadline)
        opening.whenComplete { [self] result in
            switch result {
            case .success(let connection):
                connection.returns(to: self)
                connection.channel.closeFuture.whenComplete { [self] _ in slotFreed(by: connection) }
            case .failure:
                slotFreed(by: nil)
            }
        }
        return opening
    }

    /// A connection closed (or never opened): its slot goes to the first caller in line, with a
    /// new connection on that caller's loop.
    private func slotFreed(by connection: UpstreamConnection?) {
        let waiter = state.withLock { state -> Waiter? in
            state.open -= 1
            if let connection { state.idle.remove(connection) }
            guard !state.isShutDown, let waiter = state.waiters.popFirst() else { return nil }
            state.open += 1
            return waiter
        }
        guard let waiter else { return }
        // The waiter's own deadline still bounds it; the connect is bounded by the connect timeout.
        open(on: waiter.promise.futureResult.eventLoop, deadline: .distantFuture).cascade(to: waiter.promise)
    }

    private func abandon(_ id: Int, _ error: UpstreamHTTPError) {
        let waiter = state.withLock { state -> Waiter? in
            guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
            return state.waiters.remove(at: index)
        }
        waiter?.promise.fail(error)
    }
}
