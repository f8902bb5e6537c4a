import Foundation

// Writes `PortalAssets.swift`, the portal's files as Swift strings, for the EmbedPortalAssets
// build plugin. Usage: PortalAssetEmbedder OUTPUT FILE...
let arguments = Array(CommandLine.arguments.dropFirst())
guard let output = arguments.first else {
    FileHandle.standardError.write(Data("usage: PortalAssetEmbedder OUTPUT FILE...\n".utf8))
    exit(2)
}

/// A raw multi-line literal of `text`: more `#`s than any run of them in it, so nothing inside ends it.
func literal(_ text: String) -> String {
    var longest = 0, run = 0
    for character in text {
        run = character == "#" ? run + 1 : 0
        longest = max(longest, run)
    }
    let hashes = String(repeating: "#", count: longest + 1)
    return "\(hashes)\"\"\"\n\(text)\n\"\"\"\(hashes)"
}

var swift = """
    // Generated from Sources/PromptGateway/Portal/Assets by the EmbedPortalAssets plugin; edit those files.

    enum PortalAssets {
        /// File name to contents.
        static let files: [String: String] = [

    """
for path in arguments.dropFirst() {
    let url = URL(fileURLWithPath: path)
    guard let data = FileManager.default.contents(atPath: path) else {
        FileHandle.standardError.write(Data("error: cannot read \(path)\n".utf8))
        exit(1)
    }
    swift += "\"\(url.lastPathComponent)\": \(literal(String(decoding: data, as: UTF8.self))),\n"
}
swift += "]\n}\n"
do {
    try Data(swift.utf8).write(to: URL(fileURLWithPath: output), options: .atomic)
} catch {
    FileHandle.standardError.write(Data("error: cannot write \(output): \(error)\n".utf8))
    exit(1)
}
