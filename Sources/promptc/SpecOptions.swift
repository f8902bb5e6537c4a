import ArgumentParser
import Foundation
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
