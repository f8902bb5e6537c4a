import ArgumentParser
import EndpointModel
import Foundation
import PromptCompiler

enum DiffFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json
}

struct DiffCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff",
        abstract: "List the changes between two versions of the API, each breaking or compatible.",
        discussion: """
            A change is breaking when a client written against OLD can fail against NEW: a new required input field, a removed field, a changed type, a narrower input constraint, a looser output constraint, a moved route, an endpoint removed before its sunset. Prompts, model chains and policies are listed as compatible. Exit 1 when a change is breaking.

            Examples:
              promptc diff                 # Generated/routes.json to Prompts/
              promptc diff old.json Prompts --format json
            """)

    @Argument(help: ArgumentHelp("The old version: a routes.json (by default the one compiled and committed) or a folder of specs."))
    var old: String = "Generated/routes.json"

    @Argument(help: ArgumentHelp("The new version: a folder of specs or a routes.json."))
    var new: String = "Prompts"

    @Option(help: ArgumentHelp("The gateway configuration, for specs that name its providers or pools.", discussion: "Default: $PROMPTC_CONFIG, else promptc.yaml when it exists."))
    var config: String?

    @Option(help: "text: one line per change; json: one document with every change's endpoint, pointer, kind, rule and reason.")
    var format: DiffFormat = .text

    func run() throws {
        let configPath = SpecOptions.configPath(flag: config)
        let before = try APIVersion.load(old, configPath: configPath)
        let after = try APIVersion.load(new, configPath: configPath)
        let changes = ContractDiff.changes(from: before, to: after, today: APIVersion.today())
        print(format == .json ? ContractReport.json(changes) : ContractReport.text(changes), terminator: "")
        if changes.contains(where: \.isBreaking) { throw PromptcExit.inputErrors }
    }
}
