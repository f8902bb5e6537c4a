import ArgumentParser
import Foundation
import Logging
import PromptGateway

struct MCPCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mcp",
        abstract: "Serve the endpoints as MCP tools over standard input and output.",
        discussion: """
            For MCP clients that start a process (desktop apps, agents). Each prompt endpoint is a tool, with the same validation, fallback chain, limits and usage records as promptc serve; promptc serve offers the same tools over HTTP at /mcp. Messages go on standard output; logs go to standard error only. With consumers in promptc.yaml, set PROMPTC_API_KEY to the key of the consumer the client acts for. The process ends when standard input ends.

              promptc mcp --mock
              promptc mcp --routes /srv/app/Generated/routes.json \\
                --config /srv/app/promptc.yaml
            """)

    @OptionGroup var source: RouteOptions

    @Option(help: "The lowest level logged (on standard error): trace, debug, info, notice, warning, error.")
    var logLevel: String = "info"

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        let level = Logger.Level(rawValue: logLevel) ?? .info
        let logWriter = LogWriter()
        LoggingSystem.bootstrap { label in BufferedLogHandler(label: label, level: level, writer: logWriter, format: .text) }
        defer { logWriter.flush() }
        let logger = Logger(label: "promptc")
        let (table, settings, _) = try source.load()
        source.describeSource(table, logger: logger)
        let usage = try await source.openUsage(settings, logger: logger)
        let options = GatewayOptions(
            routeTable: table, settings: settings, mock: source.mock, environment: environment,
            usageStore: usage.store, usageJournal: usage.journal)
        let gateway = try RouteOptions.gateway(options, logger: logger)
        await gateway.prepare()
        do {
            try await gateway.serveMCPOverStdio(key: environment["PROMPTC_API_KEY"].flatMap { $0.isEmpty ? nil : $0 })
        } catch {
            logWriter.flush()
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            await gateway.shutdown()
            throw PromptcExit.runtimeFailure
        }
    }
}
