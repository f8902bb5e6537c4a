import ArgumentParser
import EndpointModel
import Foundation
import Logging
import PromptGateway
import PromptCompiler
import SpecFrontEnd

enum DiagnosticFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json
}

/// The options of every command that reads specs.
struct SpecOptions: ParsableArguments {
    @Argument(help: "The folder of spec files (*.yaml, *.yml); check also takes one spec file.")
    var directory: String = "Prompts"

    @Option(help: ArgumentHelp(
        "The gateway configuration, whose providers and pools specs may name.",
        discussion: "Default: $PROMPTC_CONFIG, else promptc.yaml when it exists."))
    var config: String?

    @Flag(help: "Treat warnings as errors.")
    var strict = false

    /// The configuration file to read: the flag, then the environment, then ./promptc.yaml.
    var configPath: String? { Self.configPath(flag: config) }

    /// Shared with `serve`: the flag, then `$PROMPTC_CONFIG`, then ./promptc.yaml when it exists.
    static func configPath(flag: String?) -> String? {
        if let flag { return flag }
        if let fromEnvironment = ProcessInfo.processInfo.environment["PROMPTC_CONFIG"], !fromEnvironment.isEmpty {
            return fromEnvironment
        }
        return FileManager.default.fileExists(atPath: "promptc.yaml") ? "promptc.yaml" : nil
    }

    /// Whether the argument names one spec file rather than a folder.
    var namesAFile: Bool {
        var isFolder: ObjCBool = false
        return FileManager.default.fileExists(atPath: directory, isDirectory: &isFolder) && !isFolder.boolValue
    }

    /// The specs compiled. For one file, its folder is compiled (a spec may name another, as a
    /// successor) and only that file's diagnostics (and the configuration's) are kept.
    func compile() -> Compilation {
        guard namesAFile else { return PromptCompiler.compile(directory: directory, configPath: configPath) }
        let folder = (directory as NSString).deletingLastPathComponent
        let file = folder.isEmpty ? "./" + directory : directory
        var compilation = PromptCompiler.compile(directory: folder.isEmpty ? "." : folder, configPath: configPath)
        compilation.diagnostics = compilation.diagnostics.filter { $0.location.file == file || $0.location.file == directory || $0.location.file == configPath }
        return compilation
    }

    /// The specs compiled for a command that runs them (`test`, `drill`): the diagnostics on
    /// standard error, and exit 1 when they fail.
    func compiledRoutes() throws -> (table: RouteTable, compilation: Compilation) {
        let compilation = compile()
        report(compilation, format: .text)
        guard !fails(compilation), let table = compilation.routeTable else { throw PromptcExit.inputErrors }
        return (table, compilation)
    }

    /// Runs the endpoints in-process with no logs (the command prints its own report); routes
    /// that do not load are exit 3, as for serve.
    static func runInProcess<T>(_ body: (Logger) async throws(RouteLoadError) -> T) async throws -> T {
        do {
            return try await body(Logger(label: "promptc", factory: { _ in SwiftLogNoOpLogHandler() }))
        } catch {
            FileHandle.standardError.write(Data("error: \(error.description)\n".utf8))
            throw PromptcExit.runtimeFailure
        }
    }

    /// Whether the compilation fails: errors, or warnings under `--strict`.
    func fails(_ compilation: Compilation) -> Bool {
        compilation.errorCount > 0 || (strict && compilation.warningCount > 0)
    }

    /// Prints diagnostics: text on standard error, or a JSON array on standard output.
    func report(_ compilation: Compilation, format: DiagnosticFormat) {
        switch format {
        case .json:
            print(DiagnosticJSON.render(compilation.diagnostics), terminator: "")
        case .text:
            guard !compilation.diagnostics.isEmpty else { return }
            let text = DiagnosticRenderer.text(compilation.diagnostics, sources: compilation.sources)
            FileHandle.standardError.write(Data(text.utf8))
        }
    }
}
