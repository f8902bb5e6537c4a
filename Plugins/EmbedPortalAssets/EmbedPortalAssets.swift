import Foundation
import PackagePlugin

/// Builds the portal's HTML templates, stylesheet and script into the binary: SwiftPM
/// resources on Linux are a folder beside the executable, which a copied or static binary
/// would lose. The files stay files in `Sources/PromptGateway/Portal/Assets/`; this writes
/// them into `PortalAssets.swift` at build time.
@main
struct EmbedPortalAssets: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let folder = target.directoryURL.appending(path: "Portal/Assets")
        let files = try FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil)
            .filter { !$0.lastPathComponent.hasPrefix(".") }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
        let output = context.pluginWorkDirectoryURL.appending(path: "PortalAssets.swift")
        return [
            .buildCommand(
                displayName: "Embedding the portal's assets",
                executable: try context.tool(named: "PortalAssetEmbedder").url,
                arguments: [output.path] + files.map(\.path),
                inputFiles: files,
                outputFiles: [output]),
        ]
    }
}
