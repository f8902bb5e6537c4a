import EndpointModel
import Foundation
import Logging
import ServiceLifecycle
import UnixSignals

/// What a reload reads: the routes, the settings and the OpenAPI document, as the command line
/// says where they come from (routes.json, or specs compiled in memory). It throws after
/// logging why when they do not load (diagnostics, an unreadable file).
public typealias RouteSource = @Sendable () throws -> (RouteTable, GatewaySettings, (@Sendable () throws -> [UInt8])?)

/// Reloads the gateway's routes on `SIGHUP` and, with `serve --watch`, whenever one of the
/// watched files changes (gateway-contract.md, Reloading without a restart). Files are watched
/// by polling their size and modification time: a handful of `stat` calls every half second,
/// the same on every platform, and no watch descriptors to run out of. A reload that fails
/// keeps the old routes; the next signal or change tries again.
public struct ReloadService: Service {
    let gateway: Gateway
    let source: RouteSource
    /// The files to watch (a folder stands for the spec files in it); nil: signals only.
    let watched: [String]?
    let interval: Duration
    let signals: UnixSignalsSequence

    /// Traps `SIGHUP` at once: made before the server starts, a signal that arrives as soon as
    /// it answers is a reload, not the default action (the end of the process).
    public init(gateway: Gateway, source: @escaping RouteSource, watching watched: [String]? = nil, interval: Duration = .milliseconds(500)) async {
        self.gateway = gateway
        self.source = source
        self.watched = watched
        self.interval = interval
        signals = await UnixSignalsSequence(trapping: .sighup)
    }

    public func run() async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                for await _ in signals.cancelOnGracefulShutdown() {
                    gateway.logger.info("SIGHUP: reloading the routes")
                    await offload { reloadOnce() }
                }
            }
            if let watched {
                group.addTask { try await watch(watched) }
            }
            try await group.next()
            group.cancelAll()
        }
    }

    private func watch(_ paths: [String]) async throws {
        var last = await offload { FileFingerprint(paths) }
        while !Task.isCancelled, !Task.isShuttingDownGracefully {
            try await Task.sleep(for: interval)
            let now = await offload { FileFingerprint(paths) }
            guard now != last else { continue }
            last = now
            gateway.logger.info("a watched file changed: reloading the routes")
            await offload { reloadOnce() }
        }
    }

    /// Runs `work` on a Dispatch thread: reading files, compiling specs and building a core
    /// block, and tasks here run on the event loops that serve requests.
    private func offload<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(returning: work()) }
        }
    }

    /// One reload: the old routes stay when the new ones do not load.
    func reloadOnce() {
        do {
            let (table, settings, openAPI) = try source()
            try gateway.reload(table, settings: settings, openAPI: openAPI)
        } catch {
            gateway.logger.error("the reload failed: the old routes keep serving", metadata: ["error": .string("\(error)")])
        }
    }
}

/// The size and modification time of each file, and of each spec file in a folder.
struct FileFingerprint: Equatable {
    private var entries: [String: [Int64]] = [:]

    init(_ paths: [String]) {
        let manager = FileManager.default
        for path in paths {
            var isFolder: ObjCBool = false
            guard manager.fileExists(atPath: path, isDirectory: &isFolder) else { continue }
            let files = isFolder.boolValue
                ? ((try? manager.contentsOfDirectory(atPath: path)) ?? []).map { (path as NSString).appendingPathComponent($0) }
                : [path]
            for file in files {
                guard let attributes = try? manager.attributesOfItem(atPath: file) else { continue }
                let size = (attributes[.size] as? NSNumber)?.int64Value ?? -1
                let modified = (attributes[.modificationDate] as? Date).map { Int64($0.timeIntervalSince1970 * 1_000_000) } ?? 0
                entries[file] = [size, modified]
            }
        }
    }
}
