import EndpointModel
import Foundation
import Logging
import Testing
@testable import PromptGateway

/// `serve`'s log lines (gateway-contract.md, Limits, timeouts and failure accounting): one line
/// each, whatever a client puts in a value; `--log-format json` one object per line.
@Suite("Log lines")
struct LogFormatTests {
    /// Logs through the real handler and writer into a file, and reads the file back.
    func logged(format: BufferedLogHandler.Format, _ body: (Logger) -> Void) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("promptc-log-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        #expect(descriptor >= 0)
        defer { close(descriptor) }
        let writer = LogWriter(fileDescriptor: descriptor)
        body(Logger(label: "promptc") { label in BufferedLogHandler(label: label, level: .info, writer: writer, format: format) })
        writer.flush()
        return try String(contentsOfFile: path, encoding: .utf8)
    }

    static let hostile = "a\nfake 2026-01-01 error promptc: forged\r\t\u{7}\u{2028}end\\n"

    @Test func textLinesStayOneLineEach() throws {
        let text = try logged(format: .text) { logger in
            logger.info("request", metadata: ["path": .string(Self.hostile)])
            logger.info("message with\na newline")
        }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        #expect(lines.count == 2, "\(text)")
        #expect(lines.first?.contains(#"path=a\nfake 2026-01-01 error promptc: forged\r\t\u{7}\u{2028}end\\n"#) == true, "\(text)")
        #expect(lines.last?.hasSuffix(#"message with\na newline"#) == true)
    }

    @Test func jsonLinesAreOneObjectEach() throws {
        let text = try logged(format: .json) { logger in
            logger.info("request", metadata: ["path": .string(Self.hostile), "status": "200"])
        }
        let lines = text.split(separator: "\n")
        #expect(lines.count == 1)
        let object = try JSONParser.parse(Array(lines[0].utf8))
        #expect(object["message"] == "request")
        #expect(object["level"] == "info")
        #expect(object["path"]?.stringValue == Self.hostile)
        #expect(object["status"] == "200")
        #expect(object["time"]?.stringValue?.hasSuffix("+0000") == true)
    }

    /// Lines reach the file without `flush`: while they keep coming, and from a writer parked
    /// after a silence, which the next line wakes.
    @Test func theWriterWritesWhileBusyAndWakesFromParking() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("promptc-log-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        #expect(descriptor >= 0)
        defer { close(descriptor) }
        let writer = LogWriter(fileDescriptor: descriptor, idleRoundsBeforeParking: 2)
        let logger = Logger(label: "promptc") { label in BufferedLogHandler(label: label, level: .info, writer: writer) }
        func text() -> String { (try? String(contentsOfFile: path, encoding: .utf8)) ?? "" }

        logger.info("first")
        try await waitUntil("the first line written") { text().contains("first") }
        try await waitUntil("the writer parked") { writer.isParked }
        logger.info("second")
        #expect(!writer.isParked)
        try await waitUntil("the second line written") { text().contains("second") }
        #expect(text().split(separator: "\n").count == 2)
    }
}
