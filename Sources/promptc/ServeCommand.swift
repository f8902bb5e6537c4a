import ArgumentParser
import EndpointModel
import Foundation
import Logging
import PromptCompiler
import PromptGateway
import SpecFrontEnd

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the compiled endpoints through their fallback chains.",
        discussion: """
            Loads Generated/routes.json (or compiles --prompts DIR in memory) and answers each endpoint over HTTP, with the developer portal at /portal and MCP at /mcp. Settings come from the flags, then PROMPTC_HOST, PROMPTC_PORT and PROMPTC_CONFIG, then promptc.yaml, then the defaults. With --mock every model call is answered from the spec's examples (the one whose input matches, else the first): no API key needed. SIGHUP reloads the routes and promptc.yaml without dropping a request; --watch does so whenever they change. SIGTERM or SIGINT stops accepting connections and lets requests in flight finish.

              promptc serve --mock
              promptc serve --prompts Prompts --port 9000 --watch
              OPENAI_API_KEY=... promptc serve --config promptc.yaml

              curl -s localhost:8080/v1/sentiment \\
                -H 'content-type: application/json' -d '{"text": "I loved it"}'
            """)

    @OptionGroup var source: RouteOptions

    @Option(help: "The address to listen on (default: $PROMPTC_HOST, host: in promptc.yaml, else 127.0.0.1).")
    var host: String?

    @Option(help: "The port to listen on (default: $PROMPTC_PORT, port: in promptc.yaml, else 8080).")
    var port: Int?

    @Flag(help: "Log rendered prompts and model answers (off by default: they may hold user data).")
    var logPrompts = false

    @Option(help: "Seconds a graceful stop waits for requests in flight.")
    var shutdownTimeout: Int = 30

    @Flag(help: ArgumentHelp(
        "Reload whenever a spec (with --prompts), the route table or the configuration changes.",
        discussion: "As SIGHUP does: requests in flight finish on the old routes; routes that do not compile leave the old ones serving."))
    var watch = false

    @Option(help: "The lowest level logged: trace, debug, info, notice, warning, error.")
    var logLevel: String = "info"

    @Option(help: ArgumentHelp("How log lines are written: text (one line each) or json (one object per line).", valueName: "format"))
    var logFormat: String = "text"

    @Option(help: ArgumentHelp(
        "How many event loop threads serve requests (default: one per core).",
        discussion: "Fewer loops spend less CPU per request but queue requests on each loop, so the tail latency can be worse; measure before changing it."))
    var threads: Int?

    func validate() throws {
        if let threads, !(1...Gateway.maximumThreads).contains(threads) {
            throw ValidationError("--threads \(threads) is not between 1 and \(Gateway.maximumThreads)")
        }
    }

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        let level = Logger.Level(rawValue: logLevel) ?? .info
        let logWriter = LogWriter()
        guard let format = BufferedLogHandler.Format(rawValue: logFormat) else {
            throw ValidationError("--log-format '\(logFormat)' is not text or json")
        }
        LoggingSystem.bootstrap { label in BufferedLogHandler(label: label, level: level, writer: logWriter, format: format) }
        defer { logWriter.flush() }
        let logger = Logger(label: "promptc")
        let (table, settings, openAPI) = try source.load()
        source.describeSource(table, logger: logger)
        let usage = try await source.openUsage(settings, logger: logger)
        let options = GatewayOptions(
            routeTable: table, settings: settings,
            host: host ?? environment["PROMPTC_HOST"] ?? settings.host ?? "127.0.0.1",
            port: try port ?? environment["PROMPTC_PORT"].map(parsePort) ?? settings.port ?? 8080,
            mock: source.mock, logPrompts: logPrompts, environment: environment, shutdownTimeout: .seconds(shutdownTimeout),
            usageStore: usage.store, usageJournal: usage.journal, openAPI: openAPI)
        let gateway = try RouteOptions.gateway(options, logger: logger)
        for endpoint in gateway.chainSummary {
            let models = endpoint.models.map { $0.configured ? $0.model : "\($0.model) (unconfigured: key not set)" }
            logger.info("endpoint", metadata: [
                "endpoint": .string(endpoint.endpoint), "path": .string("POST \(endpoint.path)"),
                "models": .string(models.joined(separator: ", ")),
            ])
        }
        await gateway.prepare()
        let source = self.source
        let reloads = await ReloadService(
            gateway: gateway, source: { try source.load() }, watching: watch ? source.watchedPaths : nil)
        do {
            try await gateway.run(alongside: [reloads]) { port in
                logger.info("serving", metadata: [
                    "address": .string("http://\(options.host):\(port)"), "endpoints": .stringConvertible(table.endpoints.count),
                    "threads": .stringConvertible(Gateway.threads),
                ])
            }
        } catch {
            logWriter.flush()
            FileHandle.standardError.write(Data("error: cannot serve on \(options.host):\(options.port): \(error)\n".utf8))
            throw PromptcExit.runtimeFailure
        }
    }

    private func parsePort(_ text: String) throws -> Int {
        guard let port = Int(text), (0...65_535).contains(port) else {
            throw ValidationError("PROMPTC_PORT '\(text)' is not a port number")
        }
        return port
    }
}
