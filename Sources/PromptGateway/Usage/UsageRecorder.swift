import Foundation
import Logging
import NIOCore
import NIOPosix
import Synchronization

/// Collects usage records off the request path and writes them in batches: a request only
/// appends to a buffer under a lock. A writer task drains the buffer every `interval` (sooner
/// when `batchSize` records wait), and the writes themselves run on NIO's thread pool. `close`
/// writes everything still queued: a graceful stop loses nothing.
public final class UsageRecorder: Sendable {
    static let batchSize = 256
    static let interval: Duration = .milliseconds(500)
    /// While the store is down, at most this many records wait; older ones are dropped and
    /// counted, so an unreachable database cannot exhaust memory.
    static let maximumQueued = 100_000

    private let store: any UsageStore
    private let logger: Logger
    private let pending = Mutex<[UsageRecord]>([])
    private let dropped = Mutex(0)
    private let writer = Mutex<Task<Void, Never>?>(nil)

    public init(store: any UsageStore, logger: Logger) {
        self.store = store
        self.logger = logger
        // Only this task writes, until `close` has stopped it; so writes never overlap.
        let task = Task { [weak self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: Self.interval)
                guard let self else { return }
                await self.drain()
            }
        }
        writer.withLock { $0 = task }
    }

    func record(_ record: UsageRecord) {
        pending.withLock { $0.append(record) }
    }

    var queued: Int { pending.withLock { $0.count } }

    /// Writes what is queued now, on the thread pool.
    func drain() async {
        let records = pending.withLock { pending in
            defer { pending = [] }
            return pending
        }
        guard !records.isEmpty else { return }
        do {
            for start in stride(from: 0, to: records.count, by: Self.batchSize) {
                try await store.write(Array(records[start..<min(start + Self.batchSize, records.count)]))
            }
        } catch {
            // Records are put back, to be tried again with the next batch.
            let overflow = pending.withLock { pending in
                pending.insert(contentsOf: records, at: 0)
                let overflow = max(0, pending.count - Self.maximumQueued)
                pending.removeFirst(overflow)
                return overflow
            }
            let lost = dropped.withLock { dropped in
                dropped += overflow
                return dropped
            }
            logger.error("usage records could not be written; they stay queued", metadata: [
                "error": .string("\(error)"), "queued": .stringConvertible(queued), "dropped_so_far": .stringConvertible(lost),
            ])
        }
    }

    /// Stops the writer, writes everything still queued, and closes the store.
    public func close() async {
        let task = writer.withLock { $0 }
        task?.cancel()
        await task?.value
        await drain()
        await store.close()
    }
}
