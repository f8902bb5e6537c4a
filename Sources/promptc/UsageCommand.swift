import ArgumentParser
import Foundation
import EndpointModel
import PromptCompiler
import PromptGateway
import SpecFrontEnd

struct UsageCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "usage",
        abstract: "Summarise the usage records serve wrote: requests, errors, tokens, cost, latency.",
        discussion: """
            Reads the usage database named by usage.database in promptc.yaml (a relative path is relative to promptc.yaml's folder; default promptc-usage.sqlite beside promptc.yaml, else in the current folder) and groups the records since --since.

              promptc usage                     # the last 24 hours, by endpoint
              promptc usage --since 7d --by consumer
              promptc usage --by model --format json
            """)

    @Option(help: ArgumentHelp("How far back: a number with s, m, h or d.", valueName: "duration"))
    var since: String = "24h"

    @Option(help: "Group by endpoint, model, consumer or via (the front: rest, sse, chat, mcp).")
    var by: String = "endpoint"

    @Option(help: "table or json.")
    var format: String = "table"

    @Option(help: ArgumentHelp("The gateway configuration.", discussion: "Default: $PROMPTC_CONFIG, else promptc.yaml when it exists."))
    var config: String?

    @Option(help: ArgumentHelp("The usage database, instead of usage.database in the configuration.", valueName: "path"))
    var database: String?

    func validate() throws {
        guard UsageReport.Grouping(rawValue: by) != nil else { throw ValidationError("--by must be endpoint, model, consumer or via, not '\(by)'") }
        guard ["table", "json"].contains(format) else { throw ValidationError("--format must be table or json, not '\(format)'") }
        guard Self.seconds(since) != nil else { throw ValidationError("--since must be a number with s, m, h or d (24h, 7d), not '\(since)'") }
    }

    func run() async throws {
        var database = self.database ?? UsageDatabasePath.defaultFile
        if self.database == nil, let configPath = SpecOptions.configPath(flag: config) {
            let compilation = PromptCompiler.loadConfiguration(path: configPath)
            guard compilation.errorCount == 0 else {
                FileHandle.standardError.write(Data(DiagnosticRenderer.text(compilation.diagnostics, sources: compilation.sources).utf8))
                throw PromptcExit.inputErrors
            }
            database = UsageDatabasePath.resolve(configured: compilation.settings.usageDatabase ?? compilation.settings.sharedDatabase, configPath: configPath, projectFolder: nil)
        }
        let isURL = DatabaseURL.isPostgres(database)
        guard isURL || FileManager.default.fileExists(atPath: database) else {
            FileHandle.standardError.write(Data("error: there is no usage database at '\(database)' (promptc serve writes it)\n".utf8))
            throw PromptcExit.runtimeFailure
        }
        let records: [UsageRecord]
        do {
            let sinceMs = Int64((Date().timeIntervalSince1970 - Double(Self.seconds(since) ?? 0)) * 1000)
            let store = try await UsageStores.open(database)
            records = try await store.records(sinceMs: sinceMs)
            await store.close()
        } catch {
            FileHandle.standardError.write(Data("error: cannot read the usage database \(UsageStores.redacted(database)): \(error)\n".utf8))
            throw PromptcExit.runtimeFailure
        }
        if records.isEmpty, format == "table" {
            print("no requests recorded in the last \(since) (\(UsageStores.redacted(database)))")
            return
        }
        let rows = UsageReport.rows(records, by: UsageReport.Grouping(rawValue: by) ?? .endpoint)
        print(format == "json" ? UsageReport.json(rows) : UsageReport.table(rows, groupTitle: by), terminator: "")
    }

    static func seconds(_ text: String) -> Int? {
        guard let unit = text.last, let number = Int(text.dropLast()), number >= 0 else { return nil }
        let scale: Int
        switch unit {
        case "s": scale = 1
        case "m": scale = 60
        case "h": scale = 3600
        case "d": scale = 86_400
        default: return nil
        }
        let (seconds, overflow) = number.multipliedReportingOverflow(by: scale)
        return overflow ? nil : seconds
    }
}
