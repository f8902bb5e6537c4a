import HummingbirdCore
import Logging
import NIOCore

/// Hummingbird's HTTP/1 child channel with `ClientTimeoutHandler` in front of its decoder:
/// the one thing Hummingbird's own configuration cannot place.
struct GuardedHTTP1Channel: ServerChildChannel {
    let base: HTTP1Channel
    let clientTimeout: TimeAmount
    let logger: Logger

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<HTTP1Channel.Value> {
        let (timeout, timeoutLogger) = (clientTimeout, self.logger)
        return channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.addHandler(ClientTimeoutHandler(timeout: timeout, logger: timeoutLogger))
        }.flatMap { [base] in
            base.setup(channel: channel, logger: logger)
        }
    }

    func handle(value: HTTP1Channel.Value, logger: Logger) async {
        await base.handle(value: value, logger: logger)
    }
}
