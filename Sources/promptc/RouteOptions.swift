import ArgumentParser
import EndpointModel
import Foundation
import Logging
import PromptCompiler
import PromptGateway
import SpecFrontEnd

/// Where a gateway's endpoints and settings come from: shared by `serve` and `mcp`.
struct RouteOptions: ParsableArguments {
    @Option(help: "The route table written by promptc compile.")
    var routes: String = "Generated/routes.json"

    @Option(help: ArgumentHelp("Compile this folder of specs in memory instead of reading --routes.", valueName: "dir"))
    var prompts: String?

    @Option(help: ArgumentHelp("The gateway configuration.", discussion: "Default: $PROMPTC_CONFIG, else promptc.yaml when it exists."))
    var config: String?

    @Flag(help: "Answer every model call with the built-in mock provider: no API key needed.")
    var mock = false

    /// The route table, settings and OpenAPI document: compiled from --prompts, or read from
    /// --routes and the openapi.json that promptc compile wrote beside it.
    func load() throws -> (RouteTable, GatewaySettings, @Sendable () throws -> [UInt8]) {
        let configPath = SpecOptions.configPath(flag: config)
        if let prompts {
            let compilation = PromptCompiler.compile(directory: prompts, configPath: configPath)
            report(compilation)
            guard let table = compilation.routeTable, compilation.errorCount == 0 else { throw PromptcExit.inputErrors }
            return (table, compilation.settings, { Array(CanonicalJSON.render(OpenAPIRenderer.document(for: table)).utf8) })
        }
        var settings = GatewaySettings()
        if let configPath {
            let compilation = PromptCompiler.loadConfiguration(path: configPath)
            report(compilation)
            guard compilation.errorCount == 0 else { throw PromptcExit.inputErrors }
            settings = compilation.settings
        }
        guard let data = FileManager.default.contents(atPath: routes) else {
            FileHandle.standardError.write(Data("error: cannot read the route table '\(routes)' (run promptc compile, or use --prompts DIR)\n".utf8))
            throw PromptcExit.runtimeFailure
        }
        let openAPIPath = URL(fileURLWithPath: routes).deletingLastPathComponent().appendingPathComponent("openapi.json").path
        let openAPI: @Sendable () throws -> [UInt8] = {
            guard let document = FileManager.default.contents(atPath: openAPIPath) else { throw OpenAPIMissing(path: openAPIPath) }
            return Array(document)
        }
        do {
            return (try RouteTable.read(from: data), settings, openAPI)
        } catch {
            FileHandle.standardError.write(Data("error: '\(routes)' is not a promptc route table: \(error)\n".utf8))
            throw PromptcExit.runtimeFailure
        }
    }

    /// What `serve --watch` watches: the spec folder (or the route table and the OpenAPI
    /// document beside it), and the configuration.
    var watchedPaths: [String] {
        var paths: [String]
        if let prompts {
            paths = [prompts]
        } else {
            paths = [routes, URL(fileURLWithPath: routes).deletingLastPathComponent().appendingPathComponent("openapi.json").path]
        }
        if let configPath = SpecOptions.configPath(flag: config) { paths.append(configPath) }
        return paths
    }

    /// Says where the endpoints came from, and warns when the specs beside the route table
    /// (`X/Prompts` for `X/Generated/routes.json`) are not the ones it was compiled from: edited
    /// specs that were not compiled again are not what is being served. Compared by content
    /// (each endpoint's `spec_sha256`), not by date: a fresh clone gives every file a new date.
    func describeSource(_ table: RouteTable, logger: Logger) {
        if let prompts {
            logger.info("compiled the specs in memory", metadata: ["prompts": .string(prompts), "endpoints": .stringConvertible(table.endpoints.count)])
            return
        }
        let routesURL = URL(fileURLWithPath: routes)
        logger.info("loaded the route table", metadata: ["routes": .string(routesURL.standardizedFileURL.path), "endpoints": .stringConvertible(table.endpoints.count)])
        let project = routesURL.deletingLastPathComponent().deletingLastPathComponent()
        let specs = project.appendingPathComponent("Prompts")
        guard let files = try? FileManager.default.contentsOfDirectory(atPath: specs.path) else { return }
        var changed: [String] = []
        var compiled: Set<String> = []
        for endpoint in table.endpoints {
            let name = URL(fileURLWithPath: endpoint.source).lastPathComponent
            compiled.insert(name)
            let bytes = FileManager.default.contents(atPath: specs.appendingPathComponent(name).path)
            if bytes.map(PromptCompiler.specDigest) != endpoint.specSHA256 { changed.append(name) }
        }
        changed += files.filter { PromptCompiler.specExtensions.contains(URL(fileURLWithPath: $0).pathExtension) && !compiled.contains($0) }
        guard let first = changed.sorted().first else { return }
        logger.warning("the specs beside the route table differ from the ones it was compiled from: this serves the old routes", metadata: [
            "routes": .string(routes), "changed": .string(changed.count == 1 ? first : "\(first) and \(changed.count - 1) more"),
            "hint": "run promptc compile, or serve --prompts \(specs.path)",
        ])
    }

    /// The usage store that promptc.yaml names (else the shared database, else the SQLite file
    /// beside the project), and the journal each record goes to first. A PostgreSQL store that
    /// does not answer yet does not stop the start; the gateway writes the journal's leftovers.
    func openUsage(_ settings: GatewaySettings, logger: Logger) async throws -> (store: any UsageStore, journal: UsageJournal?) {
        let folder = UsageDatabasePath.projectFolder(routes: prompts == nil ? routes : nil, prompts: prompts)
        let configPath = SpecOptions.configPath(flag: config)
        let database = UsageDatabasePath.resolve(
            configured: settings.usageDatabase ?? settings.sharedDatabase, configPath: configPath, projectFolder: folder)
        let store: any UsageStore
        do {
            store = try await UsageStores.openForServing(database, logger: logger)
        } catch {
            FileHandle.standardError.write(Data("error: cannot open the usage database \(UsageStores.redacted(database)): \(error)\n".utf8))
            throw PromptcExit.runtimeFailure
        }
        guard settings.usageJournalEnabled else { return (store, nil) }
        let directory = UsageDatabasePath.resolve(
            configured: settings.usageJournal, configPath: configPath, projectFolder: folder, defaultFile: UsageDatabasePath.defaultJournal)
        let journal: UsageJournal
        do {
            journal = try UsageJournal(directory: directory, logger: logger)
        } catch {
            FileHandle.standardError.write(Data("error: cannot make the usage journal \(directory): \(error)\n".utf8))
            throw PromptcExit.runtimeFailure
        }
        // What earlier processes left in it is written by the gateway, in `prepare`.
        return (store, journal)
    }

    /// A gateway for these routes, or exit 3 with the reason.
    static func gateway(_ options: GatewayOptions, logger: Logger) throws -> Gateway {
        do {
            return try Gateway(options, logger: logger)
        } catch {
            FileHandle.standardError.write(Data("error: \(error.description)\n".utf8))
            throw PromptcExit.runtimeFailure
        }
    }

    private func report(_ compilation: Compilation) {
        guard !compilation.diagnostics.isEmpty else { return }
        FileHandle.standardError.write(Data(DiagnosticRenderer.text(compilation.diagnostics, sources: compilation.sources).utf8))
    }
}

/// `openapi.json` is not beside the route table (`promptc compile` writes both).
struct OpenAPIMissing: Error, CustomStringConvertible {
    var path: String
    var description: String { "cannot read \(path) (run promptc compile)" }
}
