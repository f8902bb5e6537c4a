import EndpointModel
import Foundation
import Testing

/// The official Python SDKs from PyPI (`openai`, `mcp`), in the virtual environment `.ci/run`
/// makes, run as clients by the tests. Without them the tests fail, unless
/// `PROMPTC_SKIP_PYTHON=1`.
enum PythonClients {
    static var python: String? {
        let environment = ProcessInfo.processInfo.environment
        if let python = environment["PROMPTC_TEST_PYTHON"] { return python }
        let venv = repository.appendingPathComponent(".build/ci-venv/bin/python").path
        return FileManager.default.isExecutableFile(atPath: venv) ? venv : nil
    }

    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// A client script in `Tests/Clients/`.
    static func script(_ name: String) -> String {
        repository.appendingPathComponent("Tests/Clients/\(name)").path
    }

    /// Python, or nil when the test is to be skipped; records an issue when it is missing.
    static func pythonOrIssue(needing package: String) -> String? {
        if let python { return python }
        if ProcessInfo.processInfo.environment["PROMPTC_SKIP_PYTHON"] == "1" { return nil }
        Issue.record("no Python with the \(package) SDK: .ci/run makes .build/ci-venv (or set PROMPTC_TEST_PYTHON, or PROMPTC_SKIP_PYTHON=1)")
        return nil
    }

    /// Runs a script; its last line of output as JSON, or nil (with an issue recorded) when it failed.
    static func runJSON(_ python: String, _ arguments: [String]) async throws -> JSONValue? {
        let output = try await runProcess(python, arguments)
        #expect(output.status == 0, "the SDK client failed:\n\(output.text)")
        guard output.status == 0, let line = output.text.split(separator: "\n").last else { return nil }
        return try JSONParser.parse(String(line))
    }

    /// Runs a process off the test's threads and returns its exit status and output.
    static func runProcess(_ executable: String, _ arguments: [String]) async throws -> (status: Int32, text: String) {
        try await withCheckedThrowingContinuation { continuation in
            let process = Process()
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = arguments
            let pipe = Pipe()
            process.standardOutput = pipe
            process.standardError = pipe
            process.terminationHandler = { finished in
                let data = pipe.fileHandleForReading.readDataToEndOfFile()
                continuation.resume(returning: (finished.terminationStatus, String(decoding: data, as: UTF8.self)))
            }
            do { try process.run() } catch { continuation.resume(throwing: error) }
        }
    }
}
