import Foundation
import Logging
import NIOCore
import Synchronization

/// Collects usage records off the request path and writes them in batches (gateway-contract.md,
/// Limits, timeouts and failure accounting: usage records are never lost or doubled).
///
/// Its invariants:
/// - A request only appends to a queue under a lock; one writer task does every write, so
///   writes never overlap.
/// - A batch leaves the queue when the writer takes it and is dropped only once the store has
///   written it. A batch that fails is retried on its own, before anything newer; records
///   written before it are never written again. Each record carries an id that the stores
///   ignore when they already hold it, so even a write that timed out after its commit is not
///   doubled by its retry.
/// - Queue and batch together hold at most `maximumQueued` records, whatever the store does:
///   each write is cut off after `writeTimeout`, and past the bound the oldest queued records
///   are dropped, counted (`promptc_usage_records_dropped_total`) and logged.
/// - `close` keeps writing until the queue is empty or its deadline passes, and logs an error
///   only for records it could not write.
public final class UsageRecorder: Sendable {
    public static let batchSize = 256
    /// The writer is woken before its `interval` once this many records wait: under load half a
    /// second of records made a queue of thousands, whose buffer then stayed at its largest (a
    /// few MiB of the gateway's memory, issue 15), and a larger batch to write at once.
    public static let wakeAt = 4 * batchSize
    public static let interval: Duration = .milliseconds(500)
    public static let maximumQueued = 100_000
    public static let writeTimeout: Duration = .seconds(10)
    /// After a failed write, the writer waits this long before it tries again.
    public static let retryDelay: Duration = .milliseconds(500)

    private struct State {
        var queue = CircularBuffer<UsageRecord>(initialCapacity: 1024)
        /// The batch being written, or that failed and waits to be tried again.
        var batch: [UsageRecord] = []
        var dropped = 0
        var droppedLogged = 0
        /// Set by `close`: write what is left until then, then stop.
        var stopBy: ContinuousClock.Instant?
        /// The writer's current pause, cancelled to wake it early.
        var pause: Task<Void, Never>?
    }

    let store: any UsageStore
    /// Where each record goes first, before its answer is sent; nil keeps records in memory only.
    private let journal: UsageJournal?
    private let logger: Logger
    private let limits: (maximumQueued: Int, writeTimeout: Duration, interval: Duration, retryDelay: Duration)
    private let onDrop: @Sendable (Int) -> Void
    private let onWriteFailure: @Sendable (String) -> Void
    private let state = Mutex(State())
    private let writer = Mutex<Task<Void, Never>?>(nil)

    /// `onDrop` is told how many records were dropped, for the metric; `onWriteFailure` of each
    /// write that failed, for the alert.
    public init(
        store: any UsageStore, journal: UsageJournal? = nil, logger: Logger, maximumQueued: Int = maximumQueued, writeTimeout: Duration = writeTimeout,
        interval: Duration = interval, retryDelay: Duration = retryDelay, onDrop: @escaping @Sendable (Int) -> Void = { _ in },
        onWriteFailure: @escaping @Sendable (String) -> Void = { _ in }
    ) {
        self.onWriteFailure = onWriteFailure
        self.store = store
        self.journal = journal
        self.logger = logger
        limits = (maximumQueued, writeTimeout, interval, retryDelay)
        self.onDrop = onDrop
        let task = Task { [self] in await self.runWriter() }
        writer.withLock { $0 = task }
    }

    /// Journals `record` and queues it for the store. Both under one lock, so the journal's
    /// order is the queue's, which is the order the store gets them in: the journal settles
    /// records by count, oldest first. The line is made before the lock is taken.
    func record(_ record: UsageRecord) {
        let line = journal.map { _ in UsageJournal.line(record) }
        let (dropped, wake) = state.withLock { state -> (Int, Task<Void, Never>?) in
            if let line { journal?.append(line) }
            state.queue.append(record)
            var dropped = 0
            while state.queue.count + state.batch.count > limits.maximumQueued, !state.queue.isEmpty {
                state.queue.removeFirst()
                dropped += 1
            }
            state.dropped += dropped
            // Once, as the queue reaches the mark; a writer that is busy writing finds the rest
            // when its write is done.
            return (dropped, state.queue.count == Self.wakeAt && state.batch.isEmpty ? state.pause : nil)
        }
        wake?.cancel()
        if dropped > 0 {
            // Dropped records are lost to the store, logged and counted; the journal lets them go
            // too. (They were not the oldest in the journal, the batch in hand was; a segment
            // could go before that batch is written, a loss only if the process dies meanwhile.)
            journal?.settle(dropped)
            onDrop(dropped)
        }
    }

    /// Records waiting, the batch in hand included.
    var queued: Int { state.withLock { $0.queue.count + $0.batch.count } }
    /// Records dropped because the queue was full.
    var dropped: Int { state.withLock { $0.dropped } }

    /// The writer: every `interval`, or at once when woken, writes batch after batch until the
    /// queue is empty or a write fails; stops once `close` asked and nothing is left, or its
    /// deadline passed.
    private func runWriter() async {
        var failing = false
        while true {
            await pause(failing ? limits.retryDelay : limits.interval, failing: failing)
            failing = !(await writeQueued())
            logDrops()
            let (left, stopBy) = state.withLock { ($0.queue.count + $0.batch.count, $0.stopBy) }
            guard let stopBy else { continue }
            if left == 0 { return }
            if ContinuousClock.now >= stopBy {
                logger.error("usage records could not be written before the stop", metadata: ["lost": .stringConvertible(left)])
                return
            }
        }
    }

    /// Sleeps for `duration`, unless `close` or a full enough queue wakes it. While stopping,
    /// only a failed write waits before the next try, so a database that is down is not
    /// hammered. A queue that reached `wakeAt` after the last write found it empty, before
    /// this pause began, woke no one (`record` cancelled the pause before): it is not slept on.
    private func pause(_ duration: Duration, failing: Bool) async {
        enum Next { case sleep(Task<Void, Never>), writeAtOnce, stopping }
        let next = state.withLock { state -> Next in
            guard state.stopBy == nil else { return .stopping }
            if !failing, state.queue.count >= Self.wakeAt { return .writeAtOnce }
            let sleeper = Task { _ = try? await Task.sleep(for: duration) }
            state.pause = sleeper
            return .sleep(sleeper)
        }
        switch next {
        case .sleep(let sleeper): await sleeper.value
        case .writeAtOnce: return
        case .stopping: if failing { try? await Task.sleep(for: limits.retryDelay) }
        }
    }

    /// Writes until the queue is empty; false when a write failed (its batch is kept).
    private func writeQueued() async -> Bool {
        while true {
            let batch = state.withLock { state -> [UsageRecord] in
                if state.batch.isEmpty {
                    let count = min(Self.batchSize, state.queue.count)
                    state.batch = Array(state.queue.prefix(count))
                    state.queue.removeFirst(count)
                }
                return state.batch
            }
            guard !batch.isEmpty else { return true }
            do {
                try await Self.withTimeout(limits.writeTimeout) { [store] in try await store.write(batch) }
                state.withLock { $0.batch = [] }
                journal?.settle(batch.count)
            } catch {
                if error is WriteTimedOut { await store.reset() }
                onWriteFailure(StoreProblem.describe(error))
                logger.warning("usage records could not be written; they stay queued and are tried again", metadata: [
                    "error": .string(StoreProblem.describe(error)), "queued": .stringConvertible(queued),
                ])
                return false
            }
        }
    }

    private func logDrops() {
        let (total, new) = state.withLock { state in
            defer { state.droppedLogged = state.dropped }
            return (state.dropped, state.dropped - state.droppedLogged)
        }
        guard new > 0 else { return }
        logger.error("usage records were dropped: the queue was full while the database did not keep up", metadata: [
            "dropped": .stringConvertible(new), "dropped_total": .stringConvertible(total),
            "bound": .stringConvertible(limits.maximumQueued),
        ])
    }

    /// Stops the writer once everything queued is written or `timeout` has passed, then closes
    /// the store.
    public func close(timeout: Duration = .seconds(30)) async {
        let sleeper = state.withLock { state in
            state.stopBy = ContinuousClock.now + timeout
            return state.pause
        }
        sleeper?.cancel()
        let task = writer.withLock { $0 }
        await task?.value
        await store.close()
    }

    struct WriteTimedOut: Error, CustomStringConvertible {
        var timeout: Duration
        var description: String { "the write took longer than \(timeout)" }
    }

    /// Runs `operation`, or throws `WriteTimedOut` after `timeout` without waiting for it: a
    /// store that hangs must not hold the writer (it is told to `reset`).
    static func withTimeout(_ timeout: Duration, _ operation: @escaping @Sendable () async throws -> Void) async throws {
        try await withTimeLimit(timeout, timedOut: WriteTimedOut(timeout: timeout), operation)
    }
}
