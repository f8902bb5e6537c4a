import NIOCore
import NIOPosix

extension Gateway {
    /// Makes NIO's event loops Swift Concurrency's global executor, for the rest of the process.
    ///
    /// Without it every request hops threads four times: from the event loop that read it to
    /// Swift's own pool for the handler, to an event loop for the provider call, back to the pool,
    /// and back to the event loop to answer. Under load on two cores that cost more than the work
    /// itself (see the README's Performance section). The price is the rule the gateway keeps
    /// anyway: no blocking call in async code, since it would now stall an event loop.
    ///
    /// Call it once, before any task starts: `promptc serve` does, right after parsing its
    /// arguments. Tests do not, so they run on Swift's default executor.
    ///
    /// `threads` is how many event loops there are (nil: one per core, NIO's default). Fewer
    /// loops spend less CPU per request (each loop's caches stay warmer) but queue requests on
    /// each loop: measured at 1,000 req/s on two cores, one loop had a far worse p99 (see the
    /// README's Performance section).
    public static func runTasksOnEventLoops(threads: Int? = nil) {
        if let threads { NIOSingletons.groupLoopCountSuggestion = threads }
        NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
    }

    /// The most event loops `--threads` accepts.
    public static let maximumThreads = 1024

    /// How many event loops serve requests.
    public static var threads: Int { NIOSingletons.groupLoopCountSuggestion }
}
