import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing

/// Runs the built `promptc` binary the way a user does, in a folder of its own, removed when
/// the test is done with it.
final class CLI: Sendable {
    static var binary: URL {
        // The test bundle sits next to the products in .build/<configuration>/.
        var directory = Bundle.main.bundleURL
        if directory.pathExtension == "xctest" { directory.deleteLastPathComponent() }
        let candidate = directory.appendingPathComponent("promptc")
        if FileManager.default.fileExists(atPath: candidate.path) { return candidate }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent(".build/debug/promptc")
    }

    let folder: URL

    init() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("promptc-cli-\(UUID().uuidString)")
        let prompts = folder.appendingPathComponent("Prompts")
        try FileManager.default.createDirectory(at: prompts, withIntermediateDirectories: true)
        let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        for name in ["sentiment.yaml", "summarize.yaml"] {
            try FileManager.default.copyItem(
                at: repository.appendingPathComponent("Prompts/\(name)"), to: prompts.appendingPathComponent(name))
        }
    }

    deinit {
        try? FileManager.default.removeItem(at: folder)
    }

    @discardableResult
    func run(_ arguments: String...) throws -> (status: Int32, stdout: String, stderr: String) {
        try run(arguments, input: nil)
    }

    /// Runs the binary with `input`, when given, on its standard input (then closed), in
    /// `subfolder` of the test's folder when given.
    func run(_ arguments: [String], input: String?, in subfolder: String? = nil) throws -> (status: Int32, stdout: String, stderr: String) {
        let process = Process()
        process.executableURL = Self.binary
        process.arguments = arguments
        process.currentDirectoryURL = subfolder.map { folder.appendingPathComponent($0) } ?? folder
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        let stdin = Pipe()
        if input != nil { process.standardInput = stdin }
        try process.run()
        if let input {
            stdin.fileHandleForWriting.write(Data(input.utf8))
            try stdin.fileHandleForWriting.close()
        }
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: stdout, as: UTF8.self), String(decoding: stderr, as: UTF8.self))
    }

    func write(_ text: String, to path: String) throws {
        try Data(text.utf8).write(to: folder.appendingPathComponent(path))
    }
}

@Suite("promptc commands")
struct CommandTests {
    @Test func checkSucceedsOnGoodSpecs() throws {
        let cli = try CLI()
        let result = try cli.run("check")
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("2 endpoints checked"))
    }

    @Test func checkFailsWithDiagnosticsAndExit1() throws {
        let cli = try CLI()
        let spec = try String(contentsOf: cli.folder.appendingPathComponent("Prompts/sentiment.yaml"), encoding: .utf8)
        try cli.write(spec.replacingOccurrences(of: "    {{text}}", with: "    {{txt}}"), to: "Prompts/sentiment.yaml")
        let result = try cli.run("check")
        #expect(result.status == 1)
        #expect(result.stderr.contains("Prompts/sentiment.yaml:52:7: error[E0301]: template uses 'txt', which is not an input field (did you mean 'text'?)"), "\(result.stderr)")
        #expect(result.stderr.contains("^^^^^^^"))
        let json = try cli.run("check", "--format", "json")
        #expect(json.status == 1)
        let objects = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]]
        #expect(objects?.first?["code"] as? String == "E0301")
        // Nothing is written when there are errors.
        #expect(try cli.run("compile").status == 1)
        #expect(!FileManager.default.fileExists(atPath: cli.folder.appendingPathComponent("Generated").path))
    }

    @Test func strictMakesWarningsFail() throws {
        let cli = try CLI()
        let spec = try String(contentsOf: cli.folder.appendingPathComponent("Prompts/sentiment.yaml"), encoding: .utf8)
        try cli.write(spec.replacingOccurrences(of: "input:\n", with: "input:\n  unused?: string\n"), to: "Prompts/sentiment.yaml")
        #expect(try cli.run("check").status == 0)
        #expect(try cli.run("check", "--strict").status == 1)
    }

    @Test func compileWritesArtifactsAndCheckDetectsDrift() throws {
        let cli = try CLI()
        let compiled = try cli.run("compile", "-o", "Out")
        #expect(compiled.status == 0, "\(compiled.stderr)")
        for name in ["routes.json", "openapi.json", "Endpoints.swift"] {
            #expect(FileManager.default.fileExists(atPath: cli.folder.appendingPathComponent("Out/\(name)").path))
        }
        #expect(try cli.run("compile", "-o", "Out", "--check").status == 0)
        try cli.write("stale", to: "Out/openapi.json")
        let drift = try cli.run("compile", "-o", "Out", "--check")
        #expect(drift.status == 1)
        #expect(drift.stderr.contains("openapi.json"))
        #expect(try String(contentsOf: cli.folder.appendingPathComponent("Out/openapi.json"), encoding: .utf8) == "stale")
    }

    @Test func routesPrintsTheTable() throws {
        let result = try CLI().run("routes")
        #expect(result.status == 0)
        #expect(result.stdout.contains("POST    /v1/sentiment  sentiment  openai/gpt-4o-mini -> anthropic/claude-3-5-haiku-latest -> ollama/llama3.2"), "\(result.stdout)")
    }

    @Test func usageErrorsExit2AndHelpExits0() throws {
        let cli = try CLI()
        #expect(try cli.run("check", "--bogus").status == 2)
        #expect(try cli.run("frobnicate").status == 2)
        let help = try cli.run("compile", "--help")
        #expect(help.status == 0)
        #expect(help.stdout.contains("Examples:"))
    }

    /// `keys new` prints a key once and configuration lines whose hash is that key's, and the
    /// lines work as they are: the compiler takes them.
    @Test func keysNewPrintsAKeyAndItsHash() throws {
        let cli = try CLI()
        let result = try cli.run("keys", "new", "mobile-app")
        #expect(result.status == 0)
        let lines = result.stdout.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        let key = try #require(lines.first { $0.hasPrefix("pc_") })
        let hashLine = try #require(lines.first { $0.hasPrefix("key_sha256: ") })
        let hash = String(hashLine.dropFirst("key_sha256: ".count))
        #expect(hash == (try Self.sha256sum(key)))
        #expect(try cli.run("keys", "new", "mobile-app").stdout.contains(key) == false)
        try cli.write(result.stdout.components(separatedBy: "add to promptc.yaml:\n").last ?? "", to: "promptc.yaml")
        #expect(try cli.run("check").status == 0)
        #expect(try cli.run("keys", "new", "no spaces").status == 2)
    }

    /// The system's own sha256sum, so the check does not share code with what it checks.
    static func sha256sum(_ text: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/sha256sum")
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        input.fileHandleForWriting.write(Data(text.utf8))
        try input.fileHandleForWriting.close()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(String(decoding: data, as: UTF8.self).prefix(64))
    }

    @Test func missingFolderIsAnInputError() throws {
        let result = try CLI().run("check", "NoSuchFolder")
        #expect(result.status == 1)
        #expect(result.stderr.contains("E0001"))
    }

    @Test func configFromFlagAddsProviders() throws {
        let cli = try CLI()
        let spec = try String(contentsOf: cli.folder.appendingPathComponent("Prompts/sentiment.yaml"), encoding: .utf8)
        try cli.write(spec.replacingOccurrences(of: "ollama/llama3.2", with: "local/llama"), to: "Prompts/sentiment.yaml")
        #expect(try cli.run("check").status == 1)
        try cli.write("providers:\n  local:\n    api: openai\n    base_url: http://127.0.0.1:8000/v1\n", to: "gateway.yaml")
        #expect(try cli.run("check", "--config", "gateway.yaml").status == 0)
    }

    @Test func serveTakesTextOrJSONLogsOnly() throws {
        let result = try CLI().run("serve", "--prompts", "Prompts", "--mock", "--log-format", "xml")
        #expect(result.status == 2)
        #expect(result.stderr.contains("--log-format"))
    }

    /// `serve --routes` answers `/openapi.json` with the file `compile` wrote beside the routes
    /// (the runtime does not link the compiler), and `--log-format json` writes one JSON object
    /// per line.
    @Test func serveAnswersTheCompiledOpenAPIAndLogsJSON() async throws {
        let cli = try CLI()
        #expect(try cli.run("compile").status == 0)
        let port = Int.random(in: 40_001...60_000)
        let server = Process()
        server.executableURL = CLI.binary
        server.arguments = ["serve", "--mock", "--port", String(port), "--log-format", "json"]
        server.currentDirectoryURL = cli.folder
        let err = Pipe()
        server.standardError = err
        try server.run()
        defer { if server.isRunning { server.terminate() } }
        let answer = try await firstAnswer(from: "http://127.0.0.1:\(port)/openapi.json")
        let (body, _) = try #require(answer)
        #expect(body == FileManager.default.contents(atPath: cli.folder.appendingPathComponent("Generated/openapi.json").path))
        server.terminate()
        server.waitUntilExit()
        let lines = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).split(separator: "\n")
        #expect(!lines.isEmpty)
        for line in lines {
            let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            #expect(object?["message"] != nil, "not a JSON log line: \(line)")
        }
        #expect(lines.contains { $0.contains(#""path":"/openapi.json""#) && $0.contains(#""status":"200""#) })
    }

    /// Without the openapi.json that compile writes beside the routes, /openapi.json is a 404
    /// that says why, not a 500.
    @Test func serveWithoutTheOpenAPIFileAnswers404() async throws {
        let cli = try CLI()
        #expect(try cli.run("compile").status == 0)
        try FileManager.default.removeItem(at: cli.folder.appendingPathComponent("Generated/openapi.json"))
        let port = Int.random(in: 40_001...60_000)
        let server = Process()
        server.executableURL = CLI.binary
        server.arguments = ["serve", "--mock", "--port", String(port)]
        server.currentDirectoryURL = cli.folder
        server.standardError = FileHandle.nullDevice
        try server.run()
        defer { if server.isRunning { server.terminate() } }
        let answer = try await firstAnswer(from: "http://127.0.0.1:\(port)/openapi.json")
        let (body, response) = try #require(answer)
        #expect((response as? HTTPURLResponse)?.statusCode == 404)
        #expect(String(decoding: body, as: UTF8.self).contains("run promptc compile"))
    }

    /// `--threads N` runs exactly N event loops, whatever the core count (their distinct names
    /// among the process's threads: a thread started from a loop inherits that loop's name; and
    /// said in the "serving" line); 0 is a usage error.
    @Test(arguments: [1, 3]) func serveRunsTheEventLoopsAskedFor(threads: Int) async throws {
        let log = try await serveLog(try CLI(), arguments: ["--prompts", "Prompts", "--threads", String(threads)]) { pid in
            let tasks = try FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")
            let names = tasks.compactMap { try? String(contentsOfFile: "/proc/\(pid)/task/\($0)/comm", encoding: .utf8) }
            #expect(Set(names.filter { $0.hasPrefix("NIO-SGLTN-") }).count == threads, "threads: \(names.sorted())")
        }
        #expect(log.split(separator: "\n").contains { $0.contains("serving") && $0.contains("threads=\(threads)") }, "\(log)")
    }

    @Test func serveRefusesZeroThreads() throws {
        let result = try CLI().run("serve", "--mock", "--threads", "0")
        #expect(result.status == 2)
        #expect(result.stderr.contains("--threads 0 is not between 1 and 1024"))
    }

    @Test func serveWithoutRoutesIsARuntimeFailure() throws {
        let result = try CLI().run("serve", "--routes", "Generated/none.json")
        #expect(result.status == 3)
        #expect(result.stderr.contains("cannot read the route table"))
    }

    /// `serve --mock` answers; a second gateway on the same port exits 3; SIGTERM stops the
    /// first one cleanly, and `promptc usage` then finds the request it answered.
    @Test func serveAnswersRefusesATakenPortAndStopsOnSIGTERM() async throws {
        let cli = try CLI()
        let port = Int.random(in: 20_000...40_000)
        let server = Process()
        server.executableURL = CLI.binary
        server.arguments = ["serve", "--prompts", "Prompts", "--mock", "--port", String(port)]
        server.currentDirectoryURL = cli.folder
        server.standardError = FileHandle.nullDevice
        try server.run()
        defer { if server.isRunning { server.terminate() } }

        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)/v1/sentiment")!)
        request.httpMethod = "POST"
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.httpBody = Data(#"{"text": "Great service"}"#.utf8)
        var answer: (Data, URLResponse)?
        for _ in 0..<100 where answer == nil {
            answer = try? await URLSession.shared.data(for: request)
            if answer == nil { try await Task.sleep(for: .milliseconds(100)) }
        }
        let (body, response) = try #require(answer)
        let http = try #require(response as? HTTPURLResponse)
        #expect(http.statusCode == 200)
        #expect((http.value(forHTTPHeaderField: "x-promptc-model") ?? "").hasPrefix("mock/"))
        #expect(String(decoding: body, as: UTF8.self).contains("label"))

        let second = try cli.run("serve", "--prompts", "Prompts", "--mock", "--port", String(port))
        #expect(second.status == 3)

        server.terminate()  // SIGTERM
        server.waitUntilExit()
        #expect(server.terminationStatus == 0)

        let none = try cli.run("usage", "--since", "0s")
        #expect(none.status == 0 && none.stdout.hasPrefix("no requests recorded in the last 0s"), "\(none.stdout)")
        let usage = try cli.run("usage", "--format", "json")
        #expect(usage.status == 0, "\(usage.stderr)")
        #expect(usage.stdout.contains(#""group": "sentiment""#), "\(usage.stdout)")
        #expect(usage.stdout.contains(#""requests": 1"#), "\(usage.stdout)")
        let byModel = try cli.run("usage", "--by", "model", "--since", "1h")
        #expect(byModel.stdout.hasPrefix("model "))
        #expect(byModel.stdout.contains("mock/openai/gpt-4o-mini"), "\(byModel.stdout)")
        #expect(try cli.run("usage", "--since", "3x").status == 2)
        #expect(try cli.run("usage", "--since", "999999999999999999d").status == 2)
        #expect(try cli.run("usage", "--database", "none.sqlite").status == 3)
    }
}

extension CommandTests {
    /// `init` starts a project that checks and compiles as it is, and leaves files it finds.
    @Test func initStartsAProjectThatCompiles() throws {
        let cli = try CLI()
        let result = try cli.run("init", "fresh")
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("promptc serve --mock"))
        let project = cli.folder.appendingPathComponent("fresh")
        for file in ["Prompts/sentiment.yaml", "promptc.yaml", ".gitignore"] {
            #expect(FileManager.default.fileExists(atPath: project.appendingPathComponent(file).path), "\(file)")
        }
        let check = try cli.run("check", "fresh/Prompts", "--config", "fresh/promptc.yaml", "--strict")
        #expect(check.status == 0, "\(check.stderr)")
        let compile = try cli.run("compile", "fresh/Prompts", "--config", "fresh/promptc.yaml")
        #expect(compile.status == 0, "\(compile.stderr)")
        // Beside the specs' folder, not over the current folder's Generated/.
        #expect(FileManager.default.fileExists(atPath: project.appendingPathComponent("Generated/routes.json").path))
        #expect(!FileManager.default.fileExists(atPath: cli.folder.appendingPathComponent("Generated").path))
        let again = try cli.run("init", "fresh")
        #expect(again.stdout.contains("kept    promptc.yaml"))
        #expect(!again.stdout.contains(".gitignore"))
    }

    /// `check FILE` reports that file alone; `compile FILE` is a usage error.
    @Test func checkTakesOneFile() throws {
        let cli = try CLI()
        try cli.write("name: summarize\ndescription: x\n", to: "Prompts/summarize.yaml")
        let one = try cli.run("check", "Prompts/sentiment.yaml")
        #expect(one.status == 0, "\(one.stderr)")
        #expect(one.stdout.contains("Prompts/sentiment.yaml: no errors"))
        let broken = try cli.run("check", "Prompts/summarize.yaml")
        #expect(broken.status == 1 && broken.stderr.contains("Prompts/summarize.yaml"))
        #expect(try cli.run("compile", "Prompts/sentiment.yaml").status == 2)
    }

    /// `serve` says which route table it loaded, and warns when the specs beside it are not the
    /// ones it was compiled from (by content: a fresh clone's dates say nothing).
    @Test func serveWarnsAboutARouteTableOlderThanItsSpecs() async throws {
        let cli = try CLI()
        #expect(try cli.run("compile").status == 0)
        let first = try await serveLog(cli)
        #expect(first.contains("loaded the route table"))
        #expect(!first.contains("differ from the ones it was compiled from"), "same content, whatever the dates")
        let spec = cli.folder.appendingPathComponent("Prompts/sentiment.yaml")
        try Data((try String(contentsOf: spec, encoding: .utf8) + "\n# edited\n").utf8).write(to: spec)
        try cli.write(try String(contentsOf: cli.folder.appendingPathComponent("Prompts/summarize.yaml"), encoding: .utf8)
            .replacingOccurrences(of: "name: summarize", with: "name: extra"), to: "Prompts/extra.yaml")
        let log = try await serveLog(cli)
        #expect(log.contains("loaded the route table") && log.contains("Generated/routes.json"), "\(log)")
        #expect(log.contains("differ from the ones it was compiled from"), "\(log)")
        #expect(log.contains("changed=extra.yaml and 1 more"), "\(log)")
    }

    /// What `serve --mock` (with `arguments`) logs while it starts, until it answers /readyz;
    /// `whileServing` is given the server's process id before it is stopped.
    private func serveLog(
        _ cli: CLI, arguments: [String] = [], whileServing: (Int32) throws -> Void = { _ in }
    ) async throws -> String {
        let port = Int.random(in: 20_000...40_000)
        let server = Process()
        server.executableURL = CLI.binary
        server.arguments = ["serve", "--mock", "--port", String(port)] + arguments
        server.currentDirectoryURL = cli.folder
        let errors = Pipe()
        server.standardError = errors
        try server.run()
        defer { if server.isRunning { server.terminate() } }
        #expect(try await firstAnswer(from: "http://127.0.0.1:\(port)/readyz") != nil)
        try whileServing(server.processIdentifier)
        server.terminate()
        server.waitUntilExit()
        return String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    }

    /// The usage file is beside promptc.yaml wherever the command runs.
    @Test func theUsageFileIsBesideTheConfiguration() throws {
        let cli = try CLI()
        try cli.write("port: 9999\n", to: "promptc.yaml")
        try FileManager.default.createDirectory(at: cli.folder.appendingPathComponent("sub"), withIntermediateDirectories: true)
        let usage = try cli.run(["usage", "--config", "../promptc.yaml"], input: nil, in: "sub")
        #expect(usage.status == 3)
        #expect(usage.stderr.contains("no usage database at '\(cli.folder.path)/promptc-usage.sqlite'")
            || usage.stderr.contains("no usage database at '../promptc-usage.sqlite'"), "\(usage.stderr)")
    }

    /// `--help` texts are paragraphs that wrap, and examples on lines of their own that do not:
    /// an unindented line never follows an indented one (the rest of a wrapped example).
    @Test(arguments: [[], ["check"], ["compile"], ["routes"], ["diff"], ["test"], ["drill"], ["init"], ["serve"], ["mcp"], ["keys"], ["keys", "new"], ["usage"], ["alert-rules"]])
    func helpTextsDoNotBreakTheirExamples(command: [String]) throws {
        let help = try CLI().run(command + ["--help"], input: nil)
        #expect(help.status == 0)
        let lines = help.stdout.split(separator: "\n", omittingEmptySubsequences: false).prefix { !$0.hasPrefix("USAGE:") }
        for (previous, line) in zip(lines, lines.dropFirst()) where previous.hasPrefix("  ") && !line.isEmpty && !line.hasPrefix(" ") {
            Issue.record("\(command): '\(line)' continues the example '\(previous)'")
        }
    }

    /// `alert-rules` prints rules that Prometheus's own checker takes (promtool, from Debian's
    /// `prometheus` package, which .ci/run installs); bad thresholds are usage errors.
    @Test func alertRulesPassPromtool() throws {
        let cli = try CLI()
        let rules = try cli.run("alert-rules", "--error-rate", "0.01", "--window", "10m")
        #expect(rules.status == 0, "\(rules.stderr)")
        #expect(rules.stdout.contains("> 0.01") && rules.stdout.contains("[10m]"))
        try cli.write(rules.stdout, to: "rules.yml")
        let promtool = ["/usr/bin/promtool", "/usr/local/bin/promtool"].first { FileManager.default.isExecutableFile(atPath: $0) }
        let path = try #require(promtool, "promtool is missing: apt-get install prometheus (.ci/run does)")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = ["check", "rules", cli.folder.appendingPathComponent("rules.yml").path]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = out
        try process.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(text)")
        #expect(text.contains("SUCCESS: 6 rules found"), "\(text)")
        #expect(try cli.run("alert-rules", "--error-rate", "2").status == 2)
        #expect(try cli.run("alert-rules", "--window", "soon").status == 2)
    }

    /// `keys new NAME --admin` prints the admin key and the `admin_key_sha256:` line, which the compiler takes.
    @Test func keysNewAdminPrintsTheAdminLine() throws {
        let cli = try CLI()
        let result = try cli.run("keys", "new", "ops", "--admin")
        #expect(result.status == 0)
        let line = try #require(result.stdout.split(separator: "\n").first { $0.hasPrefix("admin_key_sha256: ") })
        #expect(!result.stdout.contains("consumers:"))
        try cli.write(String(line) + "\n", to: "promptc.yaml")
        #expect(try cli.run("check").status == 0)
    }

    /// `promptc mcp` answers MCP over standard input and output, writes what it still owes
    /// when its input ends, and its calls are in `promptc usage --by via` as `mcp`.
    @Test func mcpAnswersOverStdioAndItsCallsAreRecorded() throws {
        let cli = try CLI()
        let messages = [
            #"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"cli-test","version":"1"}}}"#,
            #"{"jsonrpc":"2.0","method":"notifications/initialized"}"#,
            #"{"jsonrpc":"2.0","id":2,"method":"tools/list"}"#,
            #"{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"sentiment","arguments":{"text":"Great service"}}}"#,
        ]
        let result = try cli.run(["mcp", "--prompts", "Prompts", "--mock"], input: messages.joined(separator: "\n") + "\n")
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == 3, "\(result.stdout)")
        #expect(lines.first?.contains(#""serverInfo":{"name":"promptc""#) == true)
        #expect(lines.dropFirst().first?.contains(#""name":"summarize""#) == true)
        #expect(lines.last?.contains(#""structuredContent":{"label":"positive","score":0.9}"#) == true, "\(result.stdout)")
        #expect(result.stderr.contains("front=mcp"))

        let usage = try cli.run("usage", "--by", "via", "--format", "json")
        #expect(usage.stdout.contains(#""group": "mcp""#), "\(usage.stdout)")
        #expect(usage.stdout.contains(#""requests": 1"#), "\(usage.stdout)")
    }

    /// With consumers, `promptc mcp` needs the key of the consumer it acts for.
    @Test func mcpWithConsumersNeedsAKey() throws {
        let cli = try CLI()
        try cli.write("consumers:\n  - name: agent\n    key_sha256: \(String(repeating: "ab", count: 32))\n", to: "promptc.yaml")
        let result = try cli.run(["mcp", "--prompts", "Prompts", "--mock"], input: "")
        #expect(result.status == 3)
        #expect(result.stderr.contains("set PROMPTC_API_KEY"), "\(result.stderr)")
        let help = try cli.run("mcp", "--help")
        #expect(help.stdout.contains("PROMPTC_API_KEY"))
    }
}

/// The first answer from `url` of a server that is starting: tried every 100 ms, for 10 s.
func firstAnswer(from url: String) async throws -> (Data, URLResponse)? {
    let url = try #require(URL(string: url))
    for _ in 0..<100 {
        if let answer = try? await URLSession.shared.data(from: url) { return answer }
        try await Task.sleep(for: .milliseconds(100))
    }
    return nil
}
