import EndpointModel
import Foundation
import Logging
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Usage records on local disk before their answers are sent, so that a replica killed with
/// SIGKILL loses none (gateway-contract.md, Cluster): each record is appended, as one JSON line,
/// to this process's current segment file in the journal directory; once the usage store has
/// every record of a segment, the segment is deleted. What a killed process left is written to
/// the store by the next `promptc serve` that starts (`replay`); the stores ignore a record id
/// they already hold, so a record written before the kill is not doubled.
///
/// Each process writes segments of its own (`usage-PID-RANDOM-N.jsonl`) and holds an exclusive
/// `flock` on each until it deletes it, so replicas may share a directory: `replay` takes only
/// segments whose lock it can get, those of processes that are gone.
///
/// The append is one `write(2)` of a line to a file opened with `O_APPEND`, on the request's
/// thread: like nginx's access log, it lands in the page cache, which survives the process. It
/// is not `fsync`ed: a machine that loses power loses what the disk had not got. When the
/// journal cannot be written (a full disk), the record still goes to the store's queue, and the
/// failure is logged once.
public final class UsageJournal: Sendable {
    /// A segment is closed for appends after this many records.
    static let recordsPerSegment = 10_000
    /// Lines longer than this are not promptc's (its records are a few hundred bytes).
    static let maximumLineBytes = 64 * 1024

    private struct Segment {
        var descriptor: Int32
        var path: String
        var appended: Int
    }

    private struct State {
        var current: Segment?
        /// Full segments, oldest first, not yet all in the store.
        var sealed: [Segment] = []
        /// Records of the oldest segment (sealed, else current) the store already has.
        var settledInOldest = 0
        var next = 0
        var failed = false
    }

    public let directory: String
    private let prefix: String
    private let logger: Logger
    private let state = Mutex(State())

    /// Makes the directory (mode 0700) when it is missing.
    public init(directory: String, logger: Logger) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        self.directory = directory
        self.logger = logger
        prefix = "usage-\(getpid())-\(RandomToken.make().prefix(8))-"
    }

    /// Closes its segments without deleting them, as a process that ends does: what the store
    /// does not have yet is left for `replay`.
    deinit {
        state.withLock { state in
            for segment in state.sealed + (state.current.map { [$0] } ?? []) where segment.descriptor >= 0 { close(segment.descriptor) }
        }
    }

    /// Appends a record's `line` (`UsageJournal.line`); the store will be told to settle it
    /// later. A record that cannot be written is still counted, so settling stays in step.
    func append(_ line: [UInt8]) {
        let failure: String? = state.withLock { state in
            if state.current == nil || state.current!.appended >= Self.recordsPerSegment {
                if let full = state.current { state.sealed.append(full) }
                state.current = nil
                let path = directory + "/" + prefix + String(state.next) + ".jsonl"
                state.next += 1
                let descriptor = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
                guard descriptor >= 0, flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
                    let problem = "cannot open and lock \(path): \(String(cString: strerror(errno)))"
                    if descriptor >= 0 { close(descriptor) }
                    // Counted in a segment that has no file, so the next settle skips it.
                    if let last = state.sealed.last, last.descriptor < 0 {
                        state.sealed[state.sealed.count - 1].appended += 1
                    } else {
                        state.sealed.append(Segment(descriptor: -1, path: "", appended: 1))
                    }
                    return problem
                }
                state.current = Segment(descriptor: descriptor, path: path, appended: 0)
            }
            guard let descriptor = state.current?.descriptor else { return "no segment" }
            state.current?.appended += 1
            let written = line.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
            return written == line.count ? nil : "cannot write to \(state.current?.path ?? directory): \(String(cString: strerror(errno)))"
        }
        guard let failure else { return }
        let first = state.withLock { state in
            defer { state.failed = true }
            return !state.failed
        }
        if first {
            logger.error("the usage journal cannot be written: records wait only in memory until it can", metadata: [
                "problem": .string(failure),
            ])
        }
    }

    /// `record` as the journal's line: one JSON object and a newline, written field by field
    /// (it is made for every request, so no dictionary and no key sorting).
    static func line(_ record: UsageRecord) -> [UInt8] {
        var line: [UInt8] = []
        line.reserveCapacity(320)
        func key(_ name: String) {
            line.append(line.isEmpty ? UInt8(ascii: "{") : UInt8(ascii: ","))
            CanonicalJSON.writeString(name, into: &line)
            line.append(UInt8(ascii: ":"))
        }
        func string(_ name: String, _ value: String?) {
            guard let value else { return }
            key(name)
            CanonicalJSON.writeString(value, into: &line)
        }
        func number(_ name: String, _ value: String) {
            key(name)
            line.append(contentsOf: value.utf8)
        }
        string("id", record.id)
        number("time_ms", String(record.timeMs))
        string("request_id", record.requestID)
        string("endpoint", record.endpoint)
        string("consumer", record.consumer)
        string("model", record.model)
        number("attempts", String(record.attempts))
        number("status", String(record.status))
        number("input_tokens", String(record.inputTokens))
        number("output_tokens", String(record.outputTokens))
        number("cost_usd", CanonicalJSON.format(record.costUSD))
        number("latency_ms", String(record.latencyMs))
        string("cache", record.cache)
        number("fell_back", record.fellBack ? "true" : "false")
        string("via", record.via)
        line.append(contentsOf: "}\n".utf8)
        return line
    }

    /// The store has the oldest `count` records appended and not yet settled (or they were
    /// dropped); segments wholly settled are deleted.
    func settle(_ count: Int) {
        var finished: [Segment] = []
        state.withLock { state in
            state.settledInOldest += count
            while let oldest = state.sealed.first, state.settledInOldest >= oldest.appended {
                state.settledInOldest -= oldest.appended
                finished.append(state.sealed.removeFirst())
            }
            // The current segment, all settled: start a fresh one with the next record, so the
            // directory does not keep records the store has.
            if state.sealed.isEmpty, let current = state.current, state.settledInOldest >= current.appended {
                state.settledInOldest -= current.appended
                finished.append(current)
                state.current = nil
            }
        }
        for segment in finished { Self.remove(segment.path, descriptor: segment.descriptor) }
    }

    private static func remove(_ path: String, descriptor: Int32) {
        guard descriptor >= 0 else { return }
        unlink(path)
        close(descriptor)
    }

    /// Writes to `store` the records of every segment in `directory` that no living process
    /// holds, and deletes those segments. Lines that do not parse (one cut short by the kill)
    /// are skipped. Returns how many records were written.
    public static func replay(directory: String, into store: any UsageStore, logger: Logger) async throws -> Int {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return 0 }
        var total = 0
        for name in names.sorted() where name.hasPrefix("usage-") && name.hasSuffix(".jsonl") {
            let path = directory + "/" + name
            let descriptor = open(path, O_RDONLY | O_CLOEXEC)
            guard descriptor >= 0 else { continue }
            guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
                close(descriptor)
                continue  // a living process's segment
            }
            let records = readRecords(path)
            var start = 0
            while start < records.count {
                let batch = Array(records[start..<min(records.count, start + UsageRecorder.batchSize)])
                do {
                    try await store.write(batch)
                } catch {
                    // The segment stays, unlocked, for the next try (this process's or another's).
                    close(descriptor)
                    throw error
                }
                start += batch.count
            }
            total += records.count
            remove(path, descriptor: descriptor)
        }
        if total > 0 { logger.info("usage records from the journal written", metadata: ["records": .stringConvertible(total)]) }
        return total
    }

    static func readRecords(_ path: String) -> [UsageRecord] {
        guard let data = FileManager.default.contents(atPath: path) else { return [] }
        return data.split(separator: UInt8(ascii: "\n")).compactMap { line in
            guard line.count <= maximumLineBytes, let value = try? JSONParser.parse(Array(line)) else { return nil }
            return record(value)
        }
    }

    static func record(_ value: JSONValue) -> UsageRecord? {
        func integer(_ key: String) -> Int? {
            if case .integer(let number) = value[key] { return number }
            return nil
        }
        guard let id = value["id"]?.stringValue, let timeMs = integer("time_ms"), let requestID = value["request_id"]?.stringValue,
              let endpoint = value["endpoint"]?.stringValue, let attempts = integer("attempts"), let status = integer("status"),
              let input = integer("input_tokens"), let output = integer("output_tokens"), let cost = value["cost_usd"]?.doubleValue,
              let latency = integer("latency_ms"), case .bool(let fellBack) = value["fell_back"]
        else { return nil }
        return UsageRecord(
            timeMs: Int64(timeMs), requestID: requestID, endpoint: endpoint, consumer: value["consumer"]?.stringValue,
            model: value["model"]?.stringValue, attempts: attempts, status: status, inputTokens: input, outputTokens: output,
            costUSD: cost, latencyMs: latency, cache: value["cache"]?.stringValue, fellBack: fellBack, via: value["via"]?.stringValue,
            id: id)
    }
}
