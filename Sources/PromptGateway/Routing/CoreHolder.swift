import Synchronization

/// The gateway's current core, swapped whole by a reload. A request takes the core once, when
/// it comes in (`RequestRecorder` puts it in the context), and keeps it to the end: requests in
/// flight finish on the routes they started with.
final class CoreHolder: Sendable {
    private let core: Mutex<GatewayCore>

    init(_ core: GatewayCore) {
        self.core = Mutex(core)
    }

    var current: GatewayCore { core.withLock { $0 } }

    /// Puts `next` in place and gives back the core it replaced.
    @discardableResult
    func replace(with next: GatewayCore) -> GatewayCore {
        core.withLock { current in
            defer { current = next }
            return current
        }
    }

    /// The core a request started with, else the current one.
    func core(for context: GatewayRequestContext) -> GatewayCore {
        context.core ?? current
    }
}
