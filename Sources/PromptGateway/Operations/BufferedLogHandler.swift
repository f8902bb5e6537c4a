import EndpointModel
import Foundation
import Logging
import Synchronization

/// `promptc serve`'s log handler: lines in StreamLogHandler's format, written to standard error
/// by a thread of their own.
///
/// Written by hand because swift-log's StreamLogHandler writes each line with a locked, blocking
/// `fwrite` on the calling thread, which for the per-request log line is an event loop, and asks
/// `localtime` for every timestamp. Profiling under load put the request log line at a quarter of
/// the gateway's CPU time. Here a line is formatted (the timestamp once a second) and appended
/// to a buffer; the writer thread drains the buffer in batches. When standard error cannot keep
/// up and the buffer passes `maximumBufferedBytes`, lines are dropped and counted, never waited on.
///
/// Every line is one line (gateway-contract.md, Limits, timeouts and failure accounting):
/// newlines and control characters in messages and values are escaped, so a client that puts
/// them in a header or path cannot forge a line. `--log-format json` writes one JSON object per
/// line instead.
public struct BufferedLogHandler: LogHandler {
    public enum Format: String, Sendable, CaseIterable {
        case text
        case json
    }

    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    private let label: String
    private let writer: LogWriter
    private let format: Format

    public init(label: String, level: Logger.Level, writer: LogWriter, format: Format = .text) {
        self.label = label
        self.logLevel = level
        self.writer = writer
        self.format = format
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        // The request line carries only its own metadata: no merge, no copy, in that case.
        var merged = event.metadata ?? [:]
        if !metadata.isEmpty || metadataProvider != nil || event.error != nil {
            merged = metadata
            if let provided = metadataProvider?.get() { merged.merge(provided) { _, new in new } }
            if let explicit = event.metadata { merged.merge(explicit) { _, new in new } }
            if let error = event.error { merged["error"] = .string("\(error)") }
        }
        writer.append(format == .json ? jsonLine(event, merged) : textLine(event, merged))
    }

    private func textLine(_ event: LogEvent, _ metadata: Logger.Metadata) -> String {
        var line = writer.timestamp()
        line.reserveCapacity(256)
        line += " "
        line += event.level.rawValue
        line += " "
        line += label
        line += ":"
        for (key, value) in metadata.sorted(by: { $0.key < $1.key }) {
            line += " "
            line += Self.oneLine(key)
            line += "="
            line += Self.oneLine(value.description)
        }
        line += " ["
        line += event.source
        line += "] "
        line += Self.oneLine(event.message.description)
        line += "\n"
        return line
    }

    private func jsonLine(_ event: LogEvent, _ metadata: Logger.Metadata) -> String {
        var members: [String: JSONValue] = [:]
        for (key, value) in metadata { members[key] = .string(value.description) }
        members["time"] = .string(writer.timestamp())
        members["level"] = .string(event.level.rawValue)
        members["label"] = .string(label)
        members["message"] = .string(event.message.description)
        return CanonicalJSON.render(.object(members), pretty: false) + "\n"
    }

    /// `text` with control characters (newlines among them) escaped as `\n`, `\r`, `\t` or
    /// `\u{…}`, and backslashes doubled so an escape cannot be forged either. Text with none,
    /// nearly every value, is returned as it is.
    static func oneLine(_ text: String) -> String {
        // 0xC2 and 0xE2 lead the UTF-8 of U+0085 and U+2028/2029, which some readers break lines at.
        guard text.utf8.contains(where: { $0 < 0x20 || $0 == 0x7F || $0 == 0x5C || $0 == 0xC2 || $0 == 0xE2 }) else { return text }
        var escaped = ""
        escaped.reserveCapacity(text.utf8.count + 8)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\n": escaped += "\\n"
            case "\r": escaped += "\\r"
            case "\t": escaped += "\\t"
            case "\\": escaped += "\\\\"
            case _ where scalar.value < 0x20 || scalar.value == 0x7F || scalar.value == 0x85 || scalar.value == 0x2028 || scalar.value == 0x2029:
                escaped += "\\u{" + String(scalar.value, radix: 16) + "}"
            default: escaped.unicodeScalars.append(scalar)
            }
        }
        return escaped
    }
}

/// The buffer and thread behind `BufferedLogHandler`; one per process.
///
/// The writer thread wakes every `batchMicroseconds` while lines keep coming and writes what
/// gathered, and parks once none came for `idleRoundsBeforeParking` rounds. Only a line that
/// finds it parked wakes it. Why not wake it for each line that finds the buffer empty, as
/// before: at 1,000 requests/s that was one request in twenty, and `strace` showed the price on
/// the event loop before the answer went out, a futex wake and then a second one, because the
/// woken thread at once blocked on the lock the loop still held. That was in the p99.
public final class LogWriter: Sendable {
    public static let maximumBufferedBytes = 8 << 20
    static let batchMicroseconds: UInt32 = 20_000
    /// A second of silence.
    public static let idleRoundsBeforeParking = 50

    private struct State {
        var buffer: [UInt8] = []
        var dropped = 0
        var second = -1
        var stamp = ""
        /// The writer waits on `wake` for a line.
        var parked = false
    }

    private let state = Mutex(State())
    /// Keeps the drain thread and a final `flush` from interleaving their writes.
    private let writing = Mutex(())
    private let wake = NSCondition()
    private let fileDescriptor: Int32

    public init(fileDescriptor: Int32 = STDERR_FILENO, idleRoundsBeforeParking: Int = idleRoundsBeforeParking) {
        self.fileDescriptor = fileDescriptor
        let thread = Thread { [self] in drainForever(idleRoundsBeforeParking: idleRoundsBeforeParking) }
        thread.name = "promptc-log"
        thread.start()
    }

    func append(_ line: String) {
        let unpark = state.withLock { state -> Bool in
            guard state.buffer.count + line.utf8.count <= Self.maximumBufferedBytes else {
                state.dropped += 1
                return false
            }
            state.buffer.append(contentsOf: line.utf8)
            defer { state.parked = false }
            return state.parked
        }
        if unpark {
            // Taking the lock once means the writer is inside `wait` (it holds the lock from
            // parking until then); signalling after it is released lets it run at once.
            wake.lock()
            wake.unlock()
            wake.signal()
        }
    }

    /// Whether the writer waits for a line; for the tests.
    var isParked: Bool { state.withLock { $0.parked } }

    /// `2026-11-21T06:39:27+0000`, in UTC, made once per second.
    func timestamp() -> String {
        let now = time(nil)
        return state.withLock { state in
            if state.second != now {
                var parts = tm()
                var seconds = now
                gmtime_r(&seconds, &parts)
                state.stamp = String(
                    format: "%04d-%02d-%02dT%02d:%02d:%02d+0000", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1,
                    Int(parts.tm_mday), Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec))
                state.second = now
            }
            return state.stamp
        }
    }

    /// Writes what is buffered now; `serve` calls it before the process exits.
    public func flush() {
        writing.withLock { _ in
            let (bytes, dropped) = state.withLock { state in
                defer { state.buffer = []; state.dropped = 0 }
                return (state.buffer, state.dropped)
            }
            var output = bytes
            if dropped > 0 { output += Array("\(dropped) log lines were dropped: standard error did not keep up\n".utf8) }
            writeAll(output)
        }
    }

    private func drainForever(idleRoundsBeforeParking: Int) {
        var idleRounds = 0
        while true {
            usleep(Self.batchMicroseconds)
            if state.withLock({ !$0.buffer.isEmpty || $0.dropped > 0 }) {
                flush()
                idleRounds = 0
                continue
            }
            idleRounds += 1
            guard idleRounds >= idleRoundsBeforeParking else { continue }
            idleRounds = 0
            wake.lock()
            let parked = state.withLock { state -> Bool in
                guard state.buffer.isEmpty, state.dropped == 0 else { return false }
                state.parked = true
                return true
            }
            while parked, state.withLock({ $0.parked }) { wake.wait() }
            wake.unlock()
        }
    }

    private func writeAll(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let written = write(fileDescriptor, raw.baseAddress.map { $0 + offset }, raw.count - offset)
                if written > 0 {
                    offset += written
                } else if written < 0, errno == EINTR {
                    continue
                } else {
                    return
                }
            }
        }
    }
}
