import ArgumentParser
import Foundation
import Logging
import PromptCompiler
import PromptGateway

struct DrillCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "drill",
        abstract: "Make each step of each chain fail in turn, and report whether the endpoint still answers.",
        discussion: """
            For each endpoint, each step of its chain fails every try with each failure class its fallback.on lists (injected in the gateway: the failing provider is not called; a timeout takes the step's whole timeout). The endpoint's first example is sent each time. The report says, per step and class, which model answered and in how long against the deadline. Exit 1 when a single failure of any one step makes an endpoint fail.

            Examples:
              promptc drill --mock               # the rest answer from the mock
              promptc drill --filter sentiment   # real providers, keys from env
            """)

    @OptionGroup var specs: SpecOptions

    @Flag(help: "Every model that is not failing answers from the mock provider: no keys, no network.")
    var mock = false

    @Option(help: ArgumentHelp("Drill only the endpoints whose name contains this text (ignoring case).", valueName: "name"))
    var filter: String?

    func validate() throws {
        if specs.namesAFile { throw ValidationError("drill takes a folder of specs; '\(specs.directory)' is a file") }
    }

    func run() async throws {
        let (table, compilation) = try specs.compiledRoutes()
        var drill = FallbackDrill(table: table, settings: compilation.settings, environment: ProcessInfo.processInfo.environment)
        drill.mock = mock
        drill.filter = filter
        let results = try await SpecOptions.runInProcess { (logger) throws(RouteLoadError) in try await drill.run(logger: logger) }
        guard !results.isEmpty else {
            FileHandle.standardError.write(Data("error: nothing to drill\(filter.map { ": no endpoint matches '\($0)'" } ?? "")\n".utf8))
            throw PromptcExit.inputErrors
        }
        print(DrillReport.text(results), terminator: "")
        if !DrillReport.passed(results) { throw PromptcExit.inputErrors }
    }
}
