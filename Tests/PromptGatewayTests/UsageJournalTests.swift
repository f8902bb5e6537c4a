import Foundation
import Logging
import Testing
@testable import PromptGateway

/// The usage journal (gateway-contract.md, Cluster: a usage record survives the process being
/// killed), on real files and a real SQLite store.
@Suite("Usage journal")
struct UsageJournalTests {
    static func record(_ index: Int) -> UsageRecord {
        UsageRecord(
            timeMs: 1_000 + Int64(index), requestID: "req-\(index)", endpoint: "sentiment", consumer: index % 2 == 0 ? "app" : nil,
            model: "openai/gpt-4o-mini", attempts: 1, status: 200, inputTokens: 11, outputTokens: 7, costUSD: 0.000_025,
            latencyMs: 12, cache: index % 3 == 0 ? "miss" : nil, fellBack: index % 5 == 0, via: "rest", id: "record-\(index)")
    }

    /// The stores read records back without their ids.
    static func withoutID(_ record: UsageRecord?) -> UsageRecord? {
        guard var record else { return nil }
        record.id = ""
        return record
    }

    static func withDirectory<T>(_ body: (String) async throws -> T) async throws -> T {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("promptc-journal-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        return try await body(directory)
    }

    static func files(_ directory: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).sorted()
    }

    /// A record goes to disk when appended and leaves once the store has it; the journal's line
    /// reads back as the same record.
    @Test func aRecordIsOnDiskUntilTheStoreHasIt() async throws {
        try await Self.withDirectory { directory in
            let journal = try UsageJournal(directory: directory, logger: Logger(label: "test"))
            journal.append(UsageJournal.line(Self.record(1)))
            journal.append(UsageJournal.line(Self.record(2)))
            let files = Self.files(directory)
            #expect(files.count == 1)
            #expect(UsageJournal.readRecords(directory + "/" + files[0]) == [Self.record(1), Self.record(2)])
            journal.settle(1)
            #expect(Self.files(directory).count == 1, "one record is not in the store yet")
            journal.settle(1)
            #expect(Self.files(directory).isEmpty)
            journal.append(UsageJournal.line(Self.record(3)))
            #expect(Self.files(directory).count == 1, "the next record starts a new segment")
        }
    }

    /// Segments of a process that is gone are written to the store and deleted; a line cut short
    /// is skipped; the segment of a living journal (another replica) is left alone.
    @Test func replayWritesWhatAGoneProcessLeft() async throws {
        try await Self.withDirectory { directory in
            var gone: UsageJournal? = try UsageJournal(directory: directory, logger: Logger(label: "test"))
            for index in 0..<5 { gone?.append(UsageJournal.line(Self.record(index))) }
            let goneFile = try #require(Self.files(directory).first)
            gone = nil
            let handle = try #require(FileHandle(forWritingAtPath: directory + "/" + goneFile))
            try handle.seekToEnd()
            try handle.write(contentsOf: Data(#"{"id":"cut-sh"#.utf8))
            try handle.close()
            let living = try UsageJournal(directory: directory, logger: Logger(label: "test"))
            living.append(UsageJournal.line(Self.record(99)))
            #expect(Self.files(directory).count == 2)

            let file = TemporarySQLiteFile("promptc-journal")
            defer { file.remove() }
            let store = try SQLiteUsageStore(path: file.path)
            let written = try await UsageJournal.replay(directory: directory, into: store, logger: Logger(label: "test"))
            #expect(written == 5)
            let records = try await store.records(sinceMs: 0)
            #expect(Set(records.map(\.requestID)) == Set((0..<5).map { "req-\($0)" }))
            #expect(Self.withoutID(records.first { $0.requestID == "req-0" }) == Self.withoutID(Self.record(0)))
            #expect(Self.files(directory).count == 1, "the living journal's segment stays")
            // Written twice (a record the store had before the kill): still one record each.
            _ = try await UsageJournal.replay(directory: directory, into: store, logger: Logger(label: "test"))
            #expect(try await store.records(sinceMs: 0).count == 5)
            await store.close()
            _ = living
        }
    }

    /// `serve` started while its PostgreSQL usage database is away: the store opens anyway (one
    /// log line), requests are answered, and once the database exists every record is in it:
    /// those of the requests answered meanwhile, and a killed predecessor's from the journal.
    @Test func aGatewayStartedWhileItsDatabaseIsAwayWritesEverythingOnceItIsBack() async throws {
        guard let url = TestPostgres.url() else { return }
        let logger = Logger(label: "test")
        try await TestPostgres.withLateDatabase(url) { late, create in
            try await Self.withDirectory { directory in
                var gone: UsageJournal? = try UsageJournal(directory: directory, logger: logger)
                for index in 0..<3 { gone?.append(UsageJournal.line(Self.record(index))) }
                gone = nil
                let logs = LogCapture()
                let store = try await UsageStores.openForServing(late, logger: logs.logger())
                // The server's own words, not PostgresNIO's generic sentence.
                #expect(logs.hasLine(with: "the usage database does not answer yet", "promptc_t_late_", "does not exist"), "\(logs.text)")
                let journal = try UsageJournal(directory: directory, logger: logger)
                try await withFake(FakeProvider()) { port in
                    try await withGateway(
                        specs: [sentimentSpec(models: ["openai/gpt-4o-mini"])], fakePort: port, logs: logs, usageStore: store,
                        usageJournal: journal
                    ) { client, _ in
                        for _ in 0..<3 { #expect(try await client.post("/v1/sentiment", json: #"{"text": "hi"}"#).status == 200) }
                        #expect(logs.hasLine(with: "usage records in the journal could not be written yet"))
                        try await create()
                        let deadline = ContinuousClock.now + .seconds(20)
                        while (try? await store.records(sinceMs: 0).count) != 6, ContinuousClock.now < deadline {
                            try await Task.sleep(for: .milliseconds(100))
                        }
                        let records = try await store.records(sinceMs: 0)
                        #expect(records.count == 6)
                        #expect(Set(records.map(\.requestID)).isSuperset(of: (0..<3).map { "req-\($0)" }))
                    }
                }
            }
        }
    }

    /// The recorder journals each record before queueing it and settles what it wrote.
    @Test func theRecorderSettlesWhatItWrote() async throws {
        try await Self.withDirectory { directory in
            let file = TemporarySQLiteFile("promptc-journal")
            defer { file.remove() }
            let store = try SQLiteUsageStore(path: file.path)
            let journal = try UsageJournal(directory: directory, logger: Logger(label: "test"))
            let recorder = UsageRecorder(store: store, journal: journal, logger: Logger(label: "test"), interval: .milliseconds(20))
            for index in 0..<50 { recorder.record(Self.record(index)) }
            #expect(!Self.files(directory).isEmpty)
            await recorder.close(timeout: .seconds(5))
            #expect(Self.files(directory).isEmpty)
        }
    }
}
