import Foundation
import ArgumentParser
import PromptCompiler

struct RoutesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "routes",
        abstract: "Print the route table: method, path, endpoint and model chain.",
        discussion: """
            Prints method, path, endpoint and model chain for every spec, after checking them.

            Examples:
              promptc routes
              promptc routes specs/
            """)

    @OptionGroup var specs: SpecOptions

    func run() throws {
        let compilation = specs.compile()
        specs.report(compilation, format: .text)
        guard !specs.fails(compilation), let table = compilation.routeTable else { throw PromptcExit.inputErrors }
        let rows = [["METHOD", "PATH", "ENDPOINT", "MODELS"]] + table.endpoints.map {
            [$0.method, $0.path, $0.name, $0.models.map(\.model).joined(separator: " -> ")]
        }
        let widths = (0..<3).map { column in rows.map { $0[column].count }.max() ?? 0 }
        for row in rows {
            let padded = (0..<3).map { row[$0].padding(toLength: widths[$0], withPad: " ", startingAt: 0) }
            print((padded + [row[3]]).joined(separator: "  "))
        }
    }
}
