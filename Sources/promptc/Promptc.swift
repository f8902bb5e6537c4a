import ArgumentParser
import Foundation
import PromptGateway

@main
struct Promptc: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "promptc",
        abstract: "Compile YAML prompt specs into typed REST endpoints, and serve them.",
        discussion: """
            Write one spec per endpoint in Prompts/, check it, and compile it into Generated/ (routes.json, openapi.json, Endpoints.swift). Then serve it: over HTTP with a portal at /portal, and as MCP tools.

              promptc init my-prompts       # start a project
              promptc check                 # diagnostics only
              promptc compile               # writes Generated/
              promptc compile --check       # in CI: fails when Generated/ is stale
              promptc routes                # the route table
              promptc diff                  # breaking changes against Generated/
              promptc test --each-model     # do the models answer right?
              promptc drill --mock          # does the fallback hold?
              promptc serve --mock          # answers each spec's example
              promptc mcp --mock            # the same endpoints as MCP tools
              promptc keys new mobile-app   # a consumer key and its hash
              promptc usage --by model      # requests, tokens, cost, latency

            Exit codes: 0 success, 1 errors in the specs or configuration (or drift), 2 wrong usage of the command line, 3 a runtime failure.
            """,
        version: Gateway.version,
        subcommands: [CheckCommand.self, CompileCommand.self, RoutesCommand.self, DiffCommand.self, TestCommand.self, DrillCommand.self, InitCommand.self, ServeCommand.self, MCPCommand.self, KeysCommand.self, UsageCommand.self, AlertRulesCommand.self]
    )

    /// Maps argument-parser's usage errors to exit code 2, as the contract says.
    static func main() async {
        do {
            var command = try parseAsRoot()
            if let serve = command as? ServeCommand {
                Gateway.runTasksOnEventLoops(threads: serve.threads)
            } else if command is MCPCommand {
                Gateway.runTasksOnEventLoops()
            }
            if var command = command as? AsyncParsableCommand {
                try await command.run()
            } else {
                try command.run()
            }
        } catch {
            if exitCode(for: error) == .validationFailure {
                FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
                Foundation.exit(2)
            }
            exit(withError: error)
        }
    }
}

/// The exit codes of gateway-contract.md.
enum PromptcExit {
    static let inputErrors = ExitCode(1)
    static let runtimeFailure = ExitCode(3)
}
