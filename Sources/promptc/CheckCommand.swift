import ArgumentParser
import PromptCompiler

struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Check every spec and print the diagnostics; write nothing.",
        discussion: """
            Reports every problem in one run, each at file:line:column with the source line, a caret under the mistake and, for misspellings, a did-you-mean. Given one spec file, it reports that file's problems only.

            Examples:
              promptc check
              promptc check Prompts/sentiment.yaml
              promptc check specs/ --config deploy/promptc.yaml
              promptc check --format json      # for editors and CI annotations
              promptc check --strict           # warnings fail too
            """)

    @OptionGroup var specs: SpecOptions

    @Option(help: "How to print diagnostics: text (on standard error) or json (on standard output).")
    var format: DiagnosticFormat = .text

    func run() throws {
        let compilation = specs.compile()
        specs.report(compilation, format: format)
        if specs.fails(compilation) { throw PromptcExit.inputErrors }
        if format == .text, specs.namesAFile {
            print("\(specs.directory): no errors")
        } else if format == .text {
            let count = compilation.routeTable?.endpoints.count ?? 0
            print("\(count) endpoint\(count == 1 ? "" : "s") checked: no errors")
        }
    }
}
