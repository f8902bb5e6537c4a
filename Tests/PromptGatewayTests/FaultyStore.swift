import Foundation
import Synchronization
@testable import PromptGateway

/// A real usage store (SQLite or PostgreSQL) behind faults a test switches on: a database that
/// is down, one that fails every other batch, one whose writes hang (before or after they
/// commit). What it does write, the real store writes.
final class FaultyStore: UsageStore {
    enum Fault: Sendable, Equatable {
        case none
        /// Every write fails at once.
        case down
        /// Every other write fails; the others go through.
        case failEveryOther
        /// Writes never return (and ignore cancellation, as a stuck socket does).
        case hang
        /// The next write commits, then hangs: its caller cannot know it was written.
        case commitThenHang
    }

    let base: any UsageStore
    private let state = Mutex<(fault: Fault, writes: Int, resets: Int)>((.none, 0, 0))

    init(base: any UsageStore, fault: Fault = .none) {
        self.base = base
        state.withLock { $0.fault = fault }
    }

    func set(_ fault: Fault) { state.withLock { $0.fault = fault } }
    var resets: Int { state.withLock { $0.resets } }

    func write(_ records: [UsageRecord]) async throws {
        let (fault, count) = state.withLock { state in
            state.writes += 1
            let fault = state.fault
            if fault == .commitThenHang { state.fault = .none }
            return (fault, state.writes)
        }
        switch fault {
        case .none:
            try await base.write(records)
        case .down:
            throw UsageStoreError("the database is down")
        case .failEveryOther:
            if count % 2 == 0 { throw UsageStoreError("the database failed this batch") }
            try await base.write(records)
        case .hang:
            await Self.hangForever()
        case .commitThenHang:
            try await base.write(records)
            await Self.hangForever()
        }
    }

    /// Waits an hour, cancelled or not: a detached task does not inherit cancellation.
    private static func hangForever() async {
        await Task.detached { _ = try? await Task.sleep(for: .seconds(3600)) }.value
    }

    func records(sinceMs: Int64) async throws -> [UsageRecord] { try await base.records(sinceMs: sinceMs) }
    func close() async { await base.close() }
    func reset() async {
        state.withLock { $0.resets += 1 }
        await base.reset()
    }
}
