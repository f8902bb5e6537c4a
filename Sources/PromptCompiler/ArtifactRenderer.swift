import EndpointModel
import Foundation

/// One file that `promptc compile` writes.
public struct Artifact: Sendable, Hashable {
    public var fileName: String
    public var contents: String
}

/// Renders the route table into the files of Generated/, writes them, and tells drift.
/// Output depends only on the route table: sorted keys, stable order, no timestamps.
public enum ArtifactRenderer {
    public static let fileNames = ["routes.json", "openapi.json", "Endpoints.swift"]

    public static func render(_ table: RouteTable) -> [Artifact] {
        [
            Artifact(fileName: "routes.json", contents: routeTableJSON(table)),
            Artifact(fileName: "openapi.json", contents: CanonicalJSON.render(OpenAPIRenderer.document(for: table))),
            Artifact(fileName: "Endpoints.swift", contents: SwiftTypesRenderer.render(table)),
        ]
    }

    static func routeTableJSON(_ table: RouteTable) -> String {
        // Encoded through Codable, so the gateway decodes exactly what is written; sorted
        // keys and no timestamps keep the bytes stable.
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(table) else { return "{}\n" }
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    /// Writes the artifacts into `directory`, creating it; only files whose bytes change are
    /// rewritten, so build systems watching Generated/ see no needless change.
    public static func write(_ artifacts: [Artifact], to directory: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        for artifact in artifacts {
            let url = URL(fileURLWithPath: directory).appendingPathComponent(artifact.fileName)
            let data = Data(artifact.contents.utf8)
            if (try? Data(contentsOf: url)) == data { continue }
            try data.write(to: url, options: .atomic)
        }
    }

    /// The artifacts whose file in `directory` is missing or differs.
    public static func drift(_ artifacts: [Artifact], in directory: String) -> [String] {
        artifacts.filter { artifact in
            let url = URL(fileURLWithPath: directory).appendingPathComponent(artifact.fileName)
            return (try? Data(contentsOf: url)) != Data(artifact.contents.utf8)
        }.map(\.fileName)
    }
}
