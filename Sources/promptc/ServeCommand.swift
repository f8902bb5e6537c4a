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
            Loads Generated/routes.json (or compiles --prompts DIR in memory) and answers each
            endpoint over HTTP. Settings come from the flags, then PROMPTC_HOST, PROMPTC_PORT and
            PROMPTC_CONFIG, then promptc.yaml, then the defaults. SIGTERM or SIGINT stops
            accepting connections and lets requests in flight finish.

              promptc serve --mock                        # try every endpoint with no API key
              promptc serve --prompts Prompts --port 9000
              OPENAI_API_KEY=... promptc serve --config promptc.yaml

              curl -s localhost:8080/v1/sentiment -H 'content-type: application/json' \\
                   -d '{"text": "I loved it"}'
            """)

    @Option(help: "The route table written by promptc compile.")
    var routes: String = "Generated/routes.json"

    @Option(help: ArgumentHelp("Compile this folder of specs in memory instead of reading --routes.", valueName: "dir"))
    var prompts: String?

    @Option(help: ArgumentHelp("The gateway configuration.", discussion: "Default: $PROMPTC_CONFIG, else promptc.yaml when it exists."))
    var config: String?

    @Option(help: "The address to listen on (default: $PROMPTC_HOST, host: in promptc.yaml, else 127.0.0.1).")
    var host: String?

    @Option(help: "The port to listen on (default: $PROMPTC_PORT, port: in promptc.yaml, else 8080).")
    var port: Int?

    @Flag(help: "Answer every model call with the built-in mock provider: no API key needed.")
    var mock = false

    @Flag(help: "Log rendered prompts and model answers (off by default: they may hold user data).")
    var logPrompts = false

    @Option(help: "Seconds a graceful stop waits for requests in flight.")
    var shutdownTimeout: Int = 30

    @Option(help: "The lowest level logged: trace, debug, info, notice, warning, error.")
    var logLevel: String = "info"

    @Option(help: ArgumentHelp("How log lines are written: text (one line each) or json (one object per line).", valueName: "format"))
    var logFormat: String = "text"

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
        let configPath = SpecOptions.configPath(flag: config)

        let (table, settings, openAPI) = try load(configPath: configPath)
        let options = GatewayOptions(
            routeTable: table, settings: settings,
            host: host ?? environment["PROMPTC_HOST"] ?? settings.host ?? "127.0.0.1",
            port: try port ?? environment["PROMPTC_PORT"].map(parsePort) ?? settings.port ?? 8080,
            mock: mock, logPrompts: logPrompts, environment: environment, shutdownTimeout: .seconds(shutdownTimeout),
            usageStore: try await openUsageStore(settings.usageDatabase ?? "promptc-usage.sqlite"), openAPI: openAPI)
        let gateway: Gateway
        do {
            gateway = try Gateway(options, logger: logger)
        } catch {
            FileHandle.standardError.write(Data("error: \(error.description)\n".utf8))
            throw PromptcExit.runtimeFailure
        }
        for endpoint in gateway.chainSummary {
            let models = endpoint.models.map { $0.configured ? $0.model : "\($0.model) (unconfigured: key not set)" }
            logger.info("endpoint", metadata: [
                "endpoint": .string(endpoint.endpoint), "path": .string("POST \(endpoint.path)"),
                "models": .string(models.joined(separator: ", ")),
            ])
        }
        do {
            try await gateway.run { port in
                logger.info("serving", metadata: ["address": .string("http://\(options.host):\(port)"), "endpoints": .stringConvertible(table.endpoints.count)])
            }
        } catch {
            logWriter.flush()
            FileHandle.standardError.write(Data("error: cannot serve on \(options.host):\(options.port): \(error)\n".utf8))
            throw PromptcExit.runtimeFailure
        }
    }

    private func openUsageStore(_ database: String) async throws -> any UsageStore {
        do {
            return try await UsageStores.open(database)
        } catch {
            FileHandle.standardError.write(Data("error: cannot open the usage database \(UsageStores.redacted(database)): \(error)\n".utf8))
            throw PromptcExit.runtimeFailure
        }
    }

    private func parsePort(_ text: String) throws -> Int {
        guard let port = Int(text), (0...65_535).contains(port) else {
            throw ValidationError("PROMPTC_PORT '\(text)' is not a port number")
        }
        return port
    }

    /// The route table, settings and OpenAPI document: compiled from --prompts, or read from
    /// --routes and the openapi.json that promptc compile wrote beside it.
    private func load(configPath: String?) throws -> (RouteTable, GatewaySettings, @Sendable () throws -> [UInt8]) {
        if let prompts {
            let compilation = PromptCompiler.compile(directory: prompts, configPath: configPath)
            report(compilation)
            guard let table = compilation.routeTable, compilation.errorCount == 0 else { throw PromptcExit.inputErrors }
            return (table, compilation.settings, { Array(CanonicalJSON.render(OpenAPIRenderer.document(for: table)).utf8) })
        }
        var settings = GatewaySettings()
        if let configPath {
            let compilation = PromptCompiler.loadConfiguration(path: configPath)
            report(compilation)
            guard compilation.errorCount == 0 else { throw PromptcExit.inputErrors }
            settings = compilation.settings
        }
        guard let data = FileManager.default.contents(atPath: routes) else {
            FileHandle.standardError.write(Data("error: cannot read the route table '\(routes)' (run promptc compile, or use --prompts DIR)\n".utf8))
            throw PromptcExit.runtimeFailure
        }
        let openAPIPath = URL(fileURLWithPath: routes).deletingLastPathComponent().appendingPathComponent("openapi.json").path
        let openAPI: @Sendable () throws -> [UInt8] = {
            guard let document = FileManager.default.contents(atPath: openAPIPath) else { throw OpenAPIMissing(path: openAPIPath) }
            return Array(document)
        }
        do {
            return (try RouteTable.read(from: data), settings, openAPI)
        } catch {
            FileHandle.standardError.write(Data("error: '\(routes)' is not a promptc route table: \(error)\n".utf8))
            throw PromptcExit.runtimeFailure
        }
    }

    private func report(_ compilation: Compilation) {
        guard !compilation.diagnostics.isEmpty else { return }
        FileHandle.standardError.write(Data(DiagnosticRenderer.text(compilation.diagnostics, sources: compilation.sources).utf8))
    }
}

/// `openapi.json` is not beside the route table (`promptc compile` writes both).
struct OpenAPIMissing: Error, CustomStringConvertible {
    var path: String
    var description: String { "cannot read \(path) (run promptc compile)" }
}
