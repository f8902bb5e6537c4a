import EndpointModel
import Foundation
import Synchronization

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
        // The three files are independent; rendering them side by side keeps both cores busy
        // on large projects (a third of compile time for 1,000 specs).
        let renderers: [@Sendable () -> String] = [
            { routeTableJSON(table) },
            { CanonicalJSON.render(OpenAPIRenderer.document(for: table)) },
            { SwiftTypesRenderer.render(table) },
        ]
        let contents = Mutex([String](repeating: "", count: renderers.count))
        DispatchQueue.concurrentPerform(iterations: renderers.count) { index in
            let text = renderers[index]()
            contents.withLock { $0[index] = text }
        }
        return zip(fileNames, contents.withLock { $0 }).map { Artifact(fileName: $0, contents: $1) }
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
