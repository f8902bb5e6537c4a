import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Synchronization
import Testing

/// `SIGHUP` and `serve --watch` as an operator uses them (gateway-contract.md, Reloading
/// without a restart), with `--mock`, whose answers are the specs' examples.
@Suite("serve reloads")
struct ServeReloadTests {
    /// A running `promptc serve`, its log in a file.
    struct Server {
        let process: Process
        let port: Int
        let log: URL

        /// `environment` is added to the test process's own.
        init(_ cli: CLI, _ arguments: [String], environment: [String: String] = [:]) throws {
            port = Int.random(in: 20_000...40_000)
            log = cli.folder.appendingPathComponent("serve.log")
            _ = FileManager.default.createFile(atPath: log.path, contents: nil)
            process = Process()
            process.executableURL = CLI.binary
            process.arguments = ["serve", "--mock", "--port", String(port)] + arguments
            process.currentDirectoryURL = cli.folder
            if !environment.isEmpty {
                process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
            }
            process.standardError = try FileHandle(forWritingTo: log)
            try process.run()
        }

        var logText: String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }

        func readyz() async throws -> [String: Any] {
            let (data, _) = try #require(try await firstAnswer(from: "http://127.0.0.1:\(port)/readyz"))
            return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        }

        /// The sentiment answer for the first example's text, and its status.
        func sentiment() async -> (status: Int, body: [String: Any]) {
            var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)/v1/sentiment")!)
            request.httpMethod = "POST"
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
            request.httpBody = Data(#"{"text": "I loved every minute of it."}"#.utf8)
            guard let (data, response) = try? await URLSession.shared.data(for: request) else { return (-1, [:]) }
            return ((response as? HTTPURLResponse)?.statusCode ?? -1, (try? JSONSerialization.jsonObject(with: data) as? [String: Any]) ?? [:])
        }

        func stop() -> Int32 {
            process.terminate()
            process.waitUntilExit()
            return process.terminationStatus
        }
    }

    /// Waits (at most 15 s, polling) until `condition` holds.
    static func eventually(_ what: String, _ condition: () async throws -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(15)
        while try await !condition() {
            guard ContinuousClock.now < deadline else {
                Issue.record("\(what) did not happen within 15 s")
                return
            }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    static func editScore(_ cli: CLI, to score: String) throws {
        let path = cli.folder.appendingPathComponent("Prompts/sentiment.yaml")
        let spec = try String(contentsOf: path, encoding: .utf8)
        try cli.write(spec.replacingOccurrences(of: "output: { label: positive, score: 0.9 }", with: "output: { label: positive, score: \(score) }"), to: "Prompts/sentiment.yaml")
    }

    /// SIGHUP re-reads routes.json: the process lives on, /readyz names the new routes, the
    /// answers change. A route table that does not load leaves the old one serving.
    @Test func sighupReloadsTheRouteTable() async throws {
        let cli = try CLI()
        #expect(try cli.run("compile").status == 0)
        let server = try Server(cli, [])
        defer { if server.process.isRunning { server.process.terminate() } }
        let before = try await server.readyz()
        #expect(await server.sentiment().body["score"] as? Double == 0.9)

        try Self.editScore(cli, to: "0.7")
        #expect(try cli.run("compile").status == 0)
        kill(server.process.processIdentifier, SIGHUP)
        try await Self.eventually("the reload") { try await server.readyz()["routes_sha256"] as? String != before["routes_sha256"] as? String }
        #expect(await server.sentiment().body["score"] as? Double == 0.7)
        #expect(server.process.isRunning)

        let reloaded = try await server.readyz()
        try cli.write("{ not a route table", to: "Generated/routes.json")
        kill(server.process.processIdentifier, SIGHUP)
        try await Self.eventually("the failed reload's log line") { server.logText.contains("the reload failed: the old routes keep serving") }
        #expect(try await server.readyz()["routes_sha256"] as? String == reloaded["routes_sha256"] as? String)
        #expect(await server.sentiment().status == 200)
        #expect(server.stop() == 0)
    }

    /// Under `--watch`, an edited spec changes the answers while requests keep coming, and not
    /// one fails; a spec that does not compile leaves the last good routes serving.
    @Test func watchReloadsEditedSpecsWithoutAFailedRequest() async throws {
        let cli = try CLI()
        let server = try Server(cli, ["--prompts", "Prompts", "--watch"])
        defer { if server.process.isRunning { server.process.terminate() } }
        _ = try await server.readyz()
        let statuses = try await withThrowingTaskGroup(of: [Int].self) { group in
            let stop = ManagedFlag()
            group.addTask {
                var statuses: [Int] = []
                while !stop.isSet { statuses.append(await server.sentiment().status) }
                return statuses
            }
            try Self.editScore(cli, to: "0.4")
            try await Self.eventually("the edited answer") { await server.sentiment().body["score"] as? Double == 0.4 }
            let spec = try String(contentsOf: cli.folder.appendingPathComponent("Prompts/sentiment.yaml"), encoding: .utf8)
            try cli.write(spec.replacingOccurrences(of: "{{text}}", with: "{{txt}}"), to: "Prompts/sentiment.yaml")
            try await Self.eventually("the failed reload's log line") { server.logText.contains("the reload failed: the old routes keep serving") }
            #expect(await server.sentiment().body["score"] as? Double == 0.4)
            stop.set()
            return try await group.next() ?? []
        }
        #expect(statuses.count >= 3, "requests kept coming across both reloads")
        #expect(statuses.allSatisfy { $0 == 200 }, "\(statuses.filter { $0 != 200 })")
        #expect(server.logText.contains("error[E0301]"), "the diagnostics are logged")
        #expect(server.stop() == 0)
    }
}

/// A flag one task sets and another reads.
final class ManagedFlag: Sendable {
    private let value = Mutex(false)
    var isSet: Bool { value.withLock { $0 } }
    func set() { value.withLock { $0 = true } }
}
