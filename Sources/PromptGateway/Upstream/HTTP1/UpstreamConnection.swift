import NIOCore
import NIOHTTP1

/// One keep-alive connection to a provider: its channel and, on the channel's event loop, the
/// handler that runs its exchanges.
final class UpstreamConnection: Sendable {
    let channel: any Channel
    let origin: UpstreamTarget.Origin
    private let handler: NIOLoopBound<UpstreamConnectionHandler>

    /// Made on the channel's event loop, once its pipeline is in place.
    init(channel: any Channel, origin: UpstreamTarget.Origin, handler: UpstreamConnectionHandler) {
        self.channel = channel
        self.origin = origin
        self.handler = NIOLoopBound(handler, eventLoop: channel.eventLoop)
    }

    var eventLoop: any EventLoop { channel.eventLoop }

    /// Sends the connection back to `pool` whenever an exchange ends with it reusable. On the
    /// connection's loop, once, as it joins the pool.
    func returns(to pool: UpstreamConnectionPool) {
        handler.value.whenReusable = { [weak self, weak pool] in
            guard let self else { return }
            if let pool { pool.release(self) } else { self.channel.close(promise: nil) }
        }
    }

    /// Starts an exchange on the connection's loop (at once when already on it). `token` names
    /// the exchange for `cancel`.
    func start(
        _ request: ByteBuffer, delivery: UpstreamDelivery, bounds: UpstreamBounds, deadline: NIODeadline, token: ObjectIdentifier
    ) {
        if eventLoop.inEventLoop {
            handler.value.start(request, delivery: delivery, bounds: bounds, deadline: deadline, token: token)
        } else {
            let handler = handler
            eventLoop.execute {
                handler.value.start(request, delivery: delivery, bounds: bounds, deadline: deadline, token: token)
            }
        }
    }

    /// Ends exchange `token` if it still runs, closing the connection.
    func cancel(_ token: ObjectIdentifier) {
        let handler = handler
        eventLoop.execute { handler.value.cancel(token) }
    }
}
