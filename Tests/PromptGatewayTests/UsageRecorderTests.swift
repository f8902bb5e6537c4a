import EndpointModel
import Foundation
import Synchronization
import Testing
@testable import PromptGateway

/// The usage recorder's invariants (gateway-contract.md, Limits, timeouts and failure
/// accounting: usage records are never lost or doubled), each against a real SQLite file and
/// the real PostgreSQL server `.ci/run` starts, behind the faults of `FaultyStore`.
@Suite("Usage recorder", .serialized)
struct UsageRecorderTests {
    typealias Store = UsageTests.Store

    static func records(_ count: Int, run: String) -> [UsageRecord] {
        (0..<count).map { index in
            UsageRecord(
                timeMs: Int64(Date().timeIntervalSince1970 * 1000), requestID: "\(run)-\(index)", endpoint: "recorder-test",
                consumer: nil, model: "m", attempts: 1, status: 200, inputTokens: 1, outputTokens: 1, costUSD: 0, latencyMs: 1,
                cache: nil, fellBack: false)
        }
    }

    /// How often each of the run's request ids is in the store.
    static func counts(_ kind: Store, database: String, sinceMs: Int64, run: String) async throws -> [String: Int] {
        let reader = try await UsageStores.open(database)
        defer { Task { await reader.close() } }
        var counts: [String: Int] = [:]
        for record in try await reader.records(sinceMs: sinceMs) where record.requestID.hasPrefix(run + "-") {
            counts[record.requestID, default: 0] += 1
        }
        return counts
    }

    @Test(arguments: Store.allCases)
    func aStoreThatFailsEveryOtherBatchGetsEachRecordExactlyOnce(kind: Store) async throws {
        guard let (store, sinceMs, database, cleanUp) = try await UsageTests.open(kind) else { return }
        defer { cleanUp() }
        let run = UUID().uuidString
        let faulty = FaultyStore(base: store, fault: .failEveryOther)
        let recorder = UsageRecorder(store: faulty, logger: LogCapture().logger(), interval: .milliseconds(20), retryDelay: .milliseconds(10))
        let records = Self.records(1_000, run: run)
        for record in records { recorder.record(record) }
        await recorder.close(timeout: .seconds(30))
        let counts = try await Self.counts(kind, database: database, sinceMs: sinceMs, run: run)
        #expect(counts.count == 1_000, "records lost")
        #expect(counts.values.allSatisfy { $0 == 1 }, "records doubled: \(counts.filter { $0.value > 1 }.count)")
    }

    @Test(arguments: Store.allCases)
    func aWriteThatTimesOutAfterItsCommitIsNotDoubled(kind: Store) async throws {
        guard let (store, sinceMs, database, cleanUp) = try await UsageTests.open(kind) else { return }
        defer { cleanUp() }
        let run = UUID().uuidString
        let faulty = FaultyStore(base: store, fault: .commitThenHang)
        let logs = LogCapture()
        let recorder = UsageRecorder(
            store: faulty, logger: logs.logger(), writeTimeout: .milliseconds(300), interval: .milliseconds(20), retryDelay: .milliseconds(10))
        for record in Self.records(100, run: run) { recorder.record(record) }
        await recorder.close(timeout: .seconds(30))
        #expect(faulty.resets >= 1, "the store was not told its write timed out")
        #expect(logs.hasLine(with: "could not be written", "took longer"))
        let counts = try await Self.counts(kind, database: database, sinceMs: sinceMs, run: run)
        #expect(counts.count == 100)
        #expect(counts.values.allSatisfy { $0 == 1 })
    }

    @Test(arguments: Store.allCases)
    func theQueueStaysBoundedWhileTheStoreHangs(kind: Store) async throws {
        guard let (store, sinceMs, database, cleanUp) = try await UsageTests.open(kind) else { return }
        defer { cleanUp() }
        let run = UUID().uuidString
        let faulty = FaultyStore(base: store, fault: .hang)
        let dropped = Mutex(0)
        let logs = LogCapture()
        let recorder = UsageRecorder(
            store: faulty, logger: logs.logger(), maximumQueued: 300, writeTimeout: .milliseconds(100), interval: .milliseconds(10),
            retryDelay: .milliseconds(10), onDrop: { count in dropped.withLock { $0 += count } })
        for record in Self.records(1_000, run: run) { recorder.record(record) }
        #expect(recorder.queued <= 300)
        #expect(recorder.dropped == 700)
        #expect(dropped.withLock { $0 } == 700)
        // The store comes back: what stayed queued is written, once.
        faulty.set(.none)
        await recorder.close(timeout: .seconds(30))
        #expect(logs.hasLine(with: "dropped", "dropped_total=700"))
        let counts = try await Self.counts(kind, database: database, sinceMs: sinceMs, run: run)
        #expect(counts.count == 300)
        #expect(counts.values.allSatisfy { $0 == 1 })
        // The oldest are dropped: the newest record is kept.
        #expect(counts.keys.contains("\(run)-999"))
    }

    @Test(arguments: Store.allCases)
    func aStopKeepsTryingWhileTheDatabaseIsDown(kind: Store) async throws {
        guard let (store, sinceMs, database, cleanUp) = try await UsageTests.open(kind) else { return }
        defer { cleanUp() }
        let run = UUID().uuidString
        let faulty = FaultyStore(base: store, fault: .down)
        let recorder = UsageRecorder(store: faulty, logger: LogCapture().logger(), interval: .milliseconds(20), retryDelay: .milliseconds(20))
        for record in Self.records(300, run: run) { recorder.record(record) }
        let stopping = Task { await recorder.close(timeout: .seconds(30)) }
        // The stop has begun and the store is still down; records are still queued.
        try await Task.sleep(for: .milliseconds(200))
        #expect(recorder.queued == 300)
        faulty.set(.none)
        await stopping.value
        let counts = try await Self.counts(kind, database: database, sinceMs: sinceMs, run: run)
        #expect(counts.count == 300)
    }

    @Test func aStopThatRunsOutOfTimeSaysWhatWasLost() async throws {
        guard let (store, _, _, cleanUp) = try await UsageTests.open(.sqlite) else { return }
        defer { cleanUp() }
        let logs = LogCapture()
        let recorder = UsageRecorder(
            store: FaultyStore(base: store, fault: .down), logger: logs.logger(), interval: .milliseconds(20), retryDelay: .milliseconds(20))
        for record in Self.records(7, run: "lost") { recorder.record(record) }
        let started = ContinuousClock.now
        await recorder.close(timeout: .milliseconds(300))
        #expect(ContinuousClock.now - started < .seconds(5))
        #expect(logs.hasLine(with: "could not be written before the stop", "lost=7"))
    }

    @Test(arguments: Store.allCases)
    func aStopWithNothingWrongLogsNoError(kind: Store) async throws {
        guard let (store, sinceMs, database, cleanUp) = try await UsageTests.open(kind) else { return }
        defer { cleanUp() }
        let run = UUID().uuidString
        let logs = LogCapture()
        let recorder = UsageRecorder(store: store, logger: logs.logger())
        for record in Self.records(10, run: run) { recorder.record(record) }
        await recorder.close()
        #expect(!logs.text.contains("error"), "\(logs.text)")
        #expect(!logs.text.contains("warning"), "\(logs.text)")
        #expect(try await Self.counts(kind, database: database, sinceMs: sinceMs, run: run).count == 10)
    }

    /// Under load the writer does not wait out its interval: once `wakeAt` records are queued it
    /// is woken and writes them, so the queue (and the buffer it leaves behind) stays small.
    /// Below the mark they wait for the interval, here a minute. The records go in at once, so
    /// the writer may or may not have begun its first pause when the mark is reached: a wake
    /// must not be lost either way.
    @Test func aFullEnoughQueueWakesTheWriter() async throws {
        let file = TemporarySQLiteFile("promptc-recorder-wake")
        defer { file.remove() }
        let recorder = UsageRecorder(store: try SQLiteUsageStore(path: file.path), logger: LogCapture().logger(), interval: .seconds(60))
        let records = Self.records(UsageRecorder.wakeAt, run: UUID().uuidString)
        for record in records.dropLast() { recorder.record(record) }
        try await Task.sleep(for: .milliseconds(300))
        #expect(recorder.queued == UsageRecorder.wakeAt - 1, "written before the interval or the mark")
        recorder.record(records[records.count - 1])
        let deadline = ContinuousClock.now + .seconds(20)
        while recorder.queued > 0, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        #expect(recorder.queued == 0, "the writer was not woken at the mark")
        await recorder.close(timeout: .seconds(10))
    }
}
