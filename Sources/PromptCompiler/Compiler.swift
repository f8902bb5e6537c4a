import Crypto
import EndpointModel
import Foundation
import SpecFrontEnd
import Synchronization

/// What one run of the compiler found and built.
public struct Compilation: Sendable {
    /// Every diagnostic, sorted by file, line and column.
    public var diagnostics: [Diagnostic]
    /// The files read, by the path diagnostics name them with, for quoting source lines.
    public var sources: [String: SourceFile]
    /// The route table; nil when there are errors.
    public var routeTable: RouteTable?
    /// The gateway settings from the configuration file, or the defaults without one.
    public var settings = GatewaySettings()
    /// Each endpoint's examples and `tests`, by endpoint name, for `promptc test`.
    public var tests: [String: [SpecTestCase]] = [:]

    public var errorCount: Int { diagnostics.count { $0.severity == .error } }
    public var warningCount: Int { diagnostics.count { $0.severity == .warning } }
}

/// The compiler's pipeline: read the spec folder (front end), check each spec and lower it
/// to an `EndpointDefinition`, check across specs, and build the route table. Artifacts are
/// rendered from the route table by `ArtifactRenderer`.
public enum PromptCompiler {
    public static let specExtensions: Set<String> = ["yaml", "yml"]

    /// SHA-256 of a spec file's bytes, in hex: the `spec_sha256` of its endpoint in routes.json.
    public static func specDigest(_ bytes: Data) -> String {
        SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
    }

    /// Compiles every spec in `directory`. `configPath` names a `promptc.yaml` whose
    /// providers and pools specs may use.
    public static func compile(directory: String, configPath: String? = nil) -> Compilation {
        var diagnostics = DiagnosticCollector()
        var sources: [String: SourceFile] = [:]
        let configuration = loadConfig(configPath, sources: &sources, into: &diagnostics)
        let files: [String]
        do {
            files = try FileManager.default.contentsOfDirectory(atPath: directory)
                .filter { specExtensions.contains(URL(fileURLWithPath: $0).pathExtension) && !$0.hasPrefix(".") }
                .sorted()
        } catch {
            var isDirectory: ObjCBool = false
            let exists = FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory)
            diagnostics.emit(
                .folderUnreadable,
                exists && !isDirectory.boolValue ? "'\(directory)' is a file, not a folder of specs"
                    : exists ? "cannot read the spec folder '\(directory)'" : "the spec folder '\(directory)' does not exist",
                at: SourceSpan(start: .file(directory)),
                hint: "run promptc in the project's root, or name the folder: promptc compile path/to/Prompts")
            return Compilation(diagnostics: diagnostics.sorted, sources: sources, routeTable: nil, settings: configuration.settings)
        }
        let prefix = directory.hasSuffix("/") ? directory : directory + "/"
        let inputs = files.map { (path: prefix + $0, displayPath: prefix + $0) }
        return compile(inputs.map { input in
            { (collector: inout DiagnosticCollector) -> (SpecFileLoader.Loaded, Data) in
                let loaded = SpecFileLoader.load(path: input.path, displayPath: input.displayPath, into: &collector)
                return (loaded, Data(loaded.source?.text.utf8 ?? "".utf8))
            }
        }, configuration: configuration, directory: directory, diagnostics: diagnostics, sources: sources)
    }

    /// Compiles specs held in memory, named by path: for tests and `serve --prompts`.
    public static func compile(files: [(path: String, contents: Data)], config: (path: String, contents: Data)? = nil) -> Compilation {
        var diagnostics = DiagnosticCollector()
        var sources: [String: SourceFile] = [:]
        var configuration = Configuration()
        if let config {
            let loaded = SpecFileLoader.parse(data: config.contents, path: config.path, emptyIsAnEmptyMap: true, into: &diagnostics)
            configuration = checkConfig(loaded, sources: &sources, into: &diagnostics)
        }
        return compile(files.sorted { $0.path < $1.path }.map { file in
            { (collector: inout DiagnosticCollector) -> (SpecFileLoader.Loaded, Data) in
                (SpecFileLoader.parse(data: file.contents, path: file.path, into: &collector), file.contents)
            }
        }, configuration: configuration, directory: nil, diagnostics: diagnostics, sources: sources)
    }

    private typealias Reader = @Sendable (inout DiagnosticCollector) -> (SpecFileLoader.Loaded, Data)

    private static func compile(
        _ readers: [Reader], configuration: Configuration, directory: String?,
        diagnostics initial: DiagnosticCollector, sources initialSources: [String: SourceFile]
    ) -> Compilation {
        var diagnostics = initial
        var sources = initialSources
        if readers.isEmpty, let directory {
            diagnostics.emit(.noSpecs, "no .yaml or .yml specs in '\(directory)'", at: SourceSpan(start: .file(directory)),
                             hint: "write one spec per endpoint, e.g. \(directory)/sentiment.yaml")
        }
        // Files are independent until the cross-file checks: read and check them in parallel.
        let results = Mutex([(index: Int, result: SpecChecker.Result, source: SourceFile?)]())
        DispatchQueue.concurrentPerform(iterations: readers.count) { index in
            var collector = DiagnosticCollector()
            let (loaded, bytes) = readers[index](&collector)
            var result = SpecChecker.Result(diagnostics: [])
            if let source = loaded.source, let root = loaded.root {
                var checker = SpecChecker(source: source, bytes: bytes, providers: configuration.catalog)
                result = checker.check(root)
            }
            result.diagnostics.insert(contentsOf: collector.diagnostics, at: 0)
            results.withLock { $0.append((index, result, loaded.source)) }
        }
        let checked = results.withLock { $0 }.sorted { $0.index < $1.index }
        for item in checked {
            diagnostics.append(contentsOf: item.result.diagnostics)
            if let source = item.source { sources[source.path] = source }
        }
        ProjectChecker.check(checked.map(\.result), into: &diagnostics)
        checkConsumerEndpoints(
            configuration.consumerEndpoints, definitions: checked.map(\.result.definition),
            groups: Set(configuration.settings.modelGroups.keys), into: &diagnostics)
        let table = diagnostics.hasErrors ? nil : RouteTable(endpoints: checked.compactMap(\.result.definition).sorted { $0.name < $1.name })
        var compilation = Compilation(diagnostics: diagnostics.sorted, sources: sources, routeTable: table, settings: configuration.settings)
        for item in checked { if let name = item.result.definition?.name { compilation.tests[name] = item.result.tests } }
        return compilation
    }

    /// Reads and checks a `promptc.yaml` alone: for `serve --routes`, which takes its routes
    /// from routes.json but its providers and settings from the configuration.
    public static func loadConfiguration(path: String) -> Compilation {
        var diagnostics = DiagnosticCollector()
        var sources: [String: SourceFile] = [:]
        let configuration = loadConfig(path, sources: &sources, into: &diagnostics)
        return Compilation(diagnostics: diagnostics.sorted, sources: sources, routeTable: nil, settings: configuration.settings)
    }

    /// What a configuration file yields: the names specs may use, and the gateway's settings.
    struct Configuration {
        var catalog = ProviderCatalog.builtIn
        var settings = GatewaySettings()
        var consumerEndpoints: [(name: String, span: SourceSpan)] = []
    }

    /// Every endpoint a consumer's allow-list names must be a spec's. Skipped while a spec is
    /// broken, since its name may be what is missing.
    private static func checkConsumerEndpoints(
        _ references: [(name: String, span: SourceSpan)], definitions: [EndpointDefinition?], groups: Set<String>,
        into diagnostics: inout DiagnosticCollector
    ) {
        guard !references.isEmpty, !definitions.contains(where: { $0 == nil }) else { return }
        // An allow-list may name model groups too (gateway-contract.md, The OpenAI-compatible API).
        let names = Set(definitions.compactMap { $0?.name }).union(groups)
        for reference in references where !names.contains(reference.name) {
            diagnostics.emit(
                .invalidConsumer,
                "consumer endpoint '\(reference.name)' is not an endpoint or model group\(Suggestion.didYouMean(reference.name, in: names))",
                at: reference.span)
        }
    }

    private static func loadConfig(_ path: String?, sources: inout [String: SourceFile], into diagnostics: inout DiagnosticCollector) -> Configuration {
        guard let path else { return Configuration() }
        guard FileManager.default.fileExists(atPath: path) else {
            diagnostics.emit(.fileUnreadable, "configuration file '\(path)' does not exist", at: SourceSpan(start: .file(path)))
            return Configuration()
        }
        let loaded = SpecFileLoader.load(path: path, displayPath: path, emptyIsAnEmptyMap: true, into: &diagnostics)
        return checkConfig(loaded, sources: &sources, into: &diagnostics)
    }

    private static func checkConfig(_ loaded: SpecFileLoader.Loaded, sources: inout [String: SourceFile], into diagnostics: inout DiagnosticCollector) -> Configuration {
        if let source = loaded.source { sources[source.path] = source }
        guard let root = loaded.root else { return Configuration() }
        var checker = GatewayConfigChecker()
        let catalog = checker.check(root)
        diagnostics.append(contentsOf: checker.reader.diagnostics.diagnostics)
        return Configuration(catalog: catalog, settings: checker.settings, consumerEndpoints: checker.consumerEndpoints)
    }
}
