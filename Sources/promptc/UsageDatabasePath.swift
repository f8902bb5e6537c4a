import EndpointModel
import Foundation

/// Where the usage records are: the same file for `serve`, `mcp` and `usage`, wherever they are
/// started. A relative `usage.database` is relative to promptc.yaml's folder; without one, the
/// file is `promptc-usage.sqlite` beside promptc.yaml, else in the project's folder (the one
/// that holds `Generated/` or the specs' folder).
enum UsageDatabasePath {
    static let defaultFile = "promptc-usage.sqlite"

    /// The usage journal's directory, unless `usage.journal` names one.
    static let defaultJournal = "promptc-usage.journal"

    /// `configured` as it stands when it is a URL or an absolute path, else beside promptc.yaml
    /// (or the project); `defaultFile` when nothing is configured.
    static func resolve(configured: String?, configPath: String?, projectFolder: String?, defaultFile: String = defaultFile) -> String {
        if let configured, DatabaseURL.isPostgres(configured) || configured.hasPrefix("/") { return configured }
        let folder = configPath.map { URL(fileURLWithPath: $0).deletingLastPathComponent().path } ?? projectFolder
        let file = configured ?? defaultFile
        guard let folder, folder != FileManager.default.currentDirectoryPath else { return file }
        return URL(fileURLWithPath: folder).appendingPathComponent(file).path
    }

    /// The project's folder for a route table (`X/Generated/routes.json` is X's) or a folder of specs (`X/Prompts` is X's).
    static func projectFolder(routes: String?, prompts: String?) -> String {
        let anchor = prompts ?? routes.map { URL(fileURLWithPath: $0).deletingLastPathComponent().path } ?? "."
        return URL(fileURLWithPath: anchor).deletingLastPathComponent().path
    }
}
