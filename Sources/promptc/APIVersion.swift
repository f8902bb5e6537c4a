import EndpointModel
import Foundation
import PromptCompiler
import SpecFrontEnd

/// One side of `promptc diff`: a route table read from a routes.json, or compiled from a folder
/// of specs.
enum APIVersion {
    static func load(_ path: String, configPath: String?) throws -> RouteTable {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
            let hint = path.hasSuffix("routes.json") ? "run promptc compile and commit Generated/ first, or give OLD" : "give a routes.json or a folder of specs"
            FileHandle.standardError.write(Data("error: '\(path)' does not exist (\(hint))\n".utf8))
            throw PromptcExit.inputErrors
        }
        if isFolder.boolValue {
            let compilation = PromptCompiler.compile(directory: path, configPath: configPath)
            if !compilation.diagnostics.isEmpty {
                FileHandle.standardError.write(Data(DiagnosticRenderer.text(compilation.diagnostics, sources: compilation.sources).utf8))
            }
            guard let table = compilation.routeTable else { throw PromptcExit.inputErrors }
            return table
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            FileHandle.standardError.write(Data("error: cannot read '\(path)'\n".utf8))
            throw PromptcExit.inputErrors
        }
        do {
            return try RouteTable.read(from: data)
        } catch {
            FileHandle.standardError.write(Data("error: '\(path)' is not a promptc route table: \(error)\n".utf8))
            throw PromptcExit.inputErrors
        }
    }

    /// Today in UTC as `YYYY-MM-DD`, the form of lifecycle dates.
    static func today() -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withFullDate]
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: Date())
    }
}
