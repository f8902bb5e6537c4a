import ArgumentParser
import Foundation
import Logging
import PromptCompiler
import PromptGateway

struct TestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "test",
        abstract: "Run each spec's examples and tests through the gateway and check every answer.",
        discussion: """
            An answer passes when it fits the output schema, has the expected fields (strings, enums, integers and booleans exactly; numbers within 0.1, or the test's tolerance) and every assert holds. Provider keys come from the environment, as for serve. Exit 0 when every case passes, 1 otherwise.

            Examples:
              promptc test
              promptc test --mock                   # no provider: specs and tests only
              promptc test --each-model             # which model of each chain is wrong?
              promptc test --filter sentiment --junit test-results.xml
            """)

    @OptionGroup var specs: SpecOptions

    @Flag(help: "Answer each case with its own expected output, from no provider: checks inputs, templates, schemas and assertions.")
    var mock = false

    @Flag(help: "Run every case on every model of the chain on its own, and print pass rate, p50 latency and cost per model.")
    var eachModel = false

    @Option(help: ArgumentHelp("Run only the endpoints or cases whose name contains this text (ignoring case).", valueName: "name"))
    var filter: String?

    @Option(help: ArgumentHelp("Also write the results as JUnit XML to this file, for CI.", valueName: "file"))
    var junit: String?

    func validate() throws {
        if specs.namesAFile { throw ValidationError("test takes a folder of specs; '\(specs.directory)' is a file") }
    }

    func run() async throws {
        let (table, compilation) = try specs.compiledRoutes()
        var runner = SpecTestRunner(table: table, cases: compilation.tests, settings: compilation.settings, environment: ProcessInfo.processInfo.environment)
        runner.mock = mock
        runner.eachModel = eachModel
        runner.filter = filter
        let results = try await SpecOptions.runInProcess { (logger) throws(RouteLoadError) in try await runner.run(logger: logger) }
        guard !results.isEmpty else {
            let what = filter.map { "no endpoint or case matches '\($0)'" } ?? "the specs have no examples or tests"
            FileHandle.standardError.write(Data("error: nothing to test: \(what)\n".utf8))
            throw PromptcExit.inputErrors
        }
        print(SpecTestReport.text(results), terminator: "")
        if eachModel { print("\n" + SpecTestReport.modelTable(results), terminator: "") }
        if let junit {
            do {
                try Data(SpecTestReport.junit(results).utf8).write(to: URL(fileURLWithPath: junit))
            } catch {
                FileHandle.standardError.write(Data("error: cannot write \(junit): \(error.localizedDescription)\n".utf8))
                throw PromptcExit.runtimeFailure
            }
        }
        if results.contains(where: { !$0.passed }) { throw PromptcExit.inputErrors }
    }
}
