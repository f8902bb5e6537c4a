import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Synchronization
import Testing

/// A `promptc serve` killed with SIGKILL under load (gateway-contract.md, Cluster: a usage
/// record survives the process being killed).
@Suite("serve killed")
struct KilledServeTests {
    /// Four clients post until 200 answers are in, and the server is killed while they go on.
    /// The usage writer writes every half second, so without the journal the records of the
    /// last moments die with the process. The next `serve` writes what the journal held: the
    /// usage database has a record of every answered request, and of at most the four in flight.
    @Test func aServeKilledUnderLoadLosesNoRecordOfARequestItAnswered() async throws {
        let cli = try CLI()
        #expect(try cli.run("compile").status == 0)
        let server = try ServeReloadTests.Server(cli, [])
        defer { if server.process.isRunning { server.process.terminate() } }
        try await ServeReloadTests.eventually("serve answers") { (try? await server.readyz()) != nil }
        let load = Load()
        let clients = 4
        let (port, pid) = (server.port, server.process.processIdentifier)
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<clients {
                group.addTask {
                    while !load.killed.load(ordering: .relaxed) {
                        if await Self.post(port: port) == 200, !load.killed.load(ordering: .relaxed) { load.answered.add(1, ordering: .relaxed) }
                    }
                }
            }
            while load.answered.load(ordering: .relaxed) < 200 { try? await Task.sleep(for: .milliseconds(5)) }
            // Answers counted from here on might have come after the kill: none is.
            load.killed.store(true, ordering: .relaxed)
            kill(pid, SIGKILL)
        }
        server.process.waitUntilExit()
        #expect(server.process.terminationReason == .uncaughtSignal)
        let total = load.answered.load(ordering: .relaxed)
        let journal = cli.folder.appendingPathComponent("promptc-usage.journal")
        #expect((try? FileManager.default.contentsOfDirectory(atPath: journal.path))?.isEmpty == false)

        let next = try ServeReloadTests.Server(cli, [])
        try await ServeReloadTests.eventually("the next serve answers") { (try? await next.readyz()) != nil }
        #expect(next.stop() == 0)
        #expect(next.logText.contains("usage records from the journal written"), "\(next.logText)")
        let usage = try cli.run("usage", "--format", "json")
        #expect(usage.status == 0, "\(usage.stderr)")
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(usage.stdout.utf8)) as? [[String: Any]])
        let recorded = rows.first { $0["group"] as? String == "sentiment" }?["requests"] as? Int ?? 0
        #expect(recorded >= total && recorded <= total + clients, "\(recorded) records for \(total) answers")
        // Everything was written: the journal keeps nothing more.
        #expect((try? FileManager.default.contentsOfDirectory(atPath: journal.path))?.isEmpty == true)
    }

    /// What the clients share: answers counted, and whether the server was killed.
    final class Load: Sendable {
        let answered = Atomic<Int>(0)
        let killed = Atomic<Bool>(false)
    }

    static func post(port: Int) async -> Int {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)/v1/sentiment")!)
        request.httpMethod = "POST"
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.httpBody = Data(#"{"text": "I loved every minute of it."}"#.utf8)
        guard let (_, response) = try? await URLSession.shared.data(for: request) else { return -1 }
        return (response as? HTTPURLResponse)?.statusCode ?? -1
    }
}
