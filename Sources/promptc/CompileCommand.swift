import ArgumentParser
import EndpointModel
import Foundation
import PromptCompiler

struct CompileCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compile",
        abstract: "Check the specs, then write routes.json, openapi.json and Endpoints.swift.",
        discussion: """
            Nothing is written when there are errors. The output is byte-for-byte the same for the same specs, so Generated/ can be committed and checked for drift in CI. Without -o, the artifacts go to Generated beside the specs' folder: promptc compile app/Prompts writes app/Generated.

            Examples:
              promptc compile
              promptc compile Prompts -o Generated
              promptc compile --check          # exit 1 when Generated/ is stale
                                               # or a change breaks clients
            """)

    @OptionGroup var specs: SpecOptions

    @Option(name: .shortAndLong, help: ArgumentHelp("The folder to write the artifacts to.", discussion: "Default: Generated beside the specs' folder (DIR/../Generated)."))
    var output: String?

    /// `Generated` beside the specs' folder: `promptc compile other/Prompts` never writes over
    /// the current folder's `Generated/`.
    var outputFolder: String {
        if let output { return output }
        let parent = (specs.directory as NSString).deletingLastPathComponent
        return parent.isEmpty ? "Generated" : (parent as NSString).appendingPathComponent("Generated")
    }

    @Flag(help: "Write nothing; exit 1 when the output folder is not what compile would write.")
    var check = false

    @Flag(help: ArgumentHelp(
        "With --check, let a breaking change through without a new version.",
        discussion: "Without it, --check exits 1 when the specs break the contract of the committed routes.json for an endpoint whose version did not change (see promptc diff), and compile warns before writing over it."))
    var allowBreaking = false

    @Option(help: "How to print diagnostics: text (on standard error) or json (on standard output).")
    var format: DiagnosticFormat = .text

    func validate() throws {
        if specs.namesAFile { throw ValidationError("compile takes a folder of specs; '\(specs.directory)' is a file (promptc check takes one file)") }
    }

    func run() throws {
        let output = outputFolder
        let compilation = specs.compile()
        specs.report(compilation, format: format)
        guard !specs.fails(compilation), let table = compilation.routeTable else { throw PromptcExit.inputErrors }
        let artifacts = ArtifactRenderer.render(table)
        let quiet = format == .json
        let breaking = allowBreaking ? [] : unversionedBreakingChanges(to: table, in: output)
        if check {
            if !breaking.isEmpty {
                FileHandle.standardError.write(Data((
                    "error: the specs break the contract of \(output)/routes.json without a new version:\n" + ContractReport.text(breaking)
                    + "hint: give the endpoint a new version (a new route beside the old one, then deprecate the old), or pass --allow-breaking\n").utf8))
                throw PromptcExit.inputErrors
            }
            let stale = ArtifactRenderer.drift(artifacts, in: output)
            guard stale.isEmpty else {
                FileHandle.standardError.write(Data("\(output)/ is out of date: \(stale.joined(separator: ", ")) differ from what the specs compile to; run 'promptc compile' and commit the result\n".utf8))
                throw PromptcExit.inputErrors
            }
            if !quiet { print("\(output)/ is up to date with \(specs.directory)/ (\(table.endpoints.count) endpoints)") }
            return
        }
        if !breaking.isEmpty {
            // Written all the same: a team may mean it. compile --check will refuse it.
            FileHandle.standardError.write(Data((
                "warning: these changes break the contract of the \(output)/routes.json they replace, without a new version:\n"
                + ContractReport.text(breaking) + "hint: compile --check refuses them unless --allow-breaking is given\n").utf8))
        }
        do {
            try ArtifactRenderer.write(artifacts, to: output)
        } catch {
            FileHandle.standardError.write(Data("cannot write to \(output)/: \(error.localizedDescription)\n".utf8))
            throw PromptcExit.runtimeFailure
        }
        if !quiet {
            print("compiled \(table.endpoints.count) endpoint\(table.endpoints.count == 1 ? "" : "s") into \(output)/: \(ArtifactRenderer.fileNames.joined(separator: ", "))")
        }
    }

    /// The contract's rule: a breaking change needs a new version (a new route beside the old
    /// one), or `--allow-breaking`. Compared with the routes.json in the output folder (the
    /// committed one), when there is one.
    private func unversionedBreakingChanges(to table: RouteTable, in output: String) -> [ContractChange] {
        guard let data = FileManager.default.contents(atPath: output + "/routes.json"),
              let committed = try? RouteTable.read(from: data) else { return [] }
        return ContractDiff.unversionedBreaking(ContractDiff.changes(from: committed, to: table, today: APIVersion.today()))
    }
}
