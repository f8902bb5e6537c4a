import Logging
import Metrics
import PostgresNIO
import Synchronization

/// `shared.database`: the PostgreSQL that replicas count limits in (gateway-contract.md,
/// Cluster), and whether it answers.
///
/// While it answers, statements go to a pool of connections (postgres-nio's `PostgresClient`),
/// each bounded by `statementTimeout`. The first statement that fails or times out marks it
/// away: from then on callers are told at once (`isUp` is false), so no request waits on a
/// database that is gone, and a probe tries it every `probeInterval` until it answers again. The
/// change is logged, and `promptc_shared_state_up` follows it.
final class SharedDatabase: Sendable {
    /// The longest a statement on the request path may take before the database counts as away.
    static let statementTimeout: Duration = .milliseconds(500)
    /// How often an away database is tried again, and how often a live one is tidied.
    static let probeInterval: Duration = .seconds(2)
    /// Limit windows that ended this long ago are deleted.
    static let keepEndedWindowsMs: Int64 = 3_600_000

    struct Unavailable: Error, CustomStringConvertible {
        var description: String
    }

    private struct State {
        var up = false
        /// Why it is away, for the log and `/readyz`; nil while up.
        var problem: String? = "not connected yet"
        var lastTidyMs: Int64 = 0
        /// Whether the first probe has ended, either way.
        var probed = false
    }

    let client: PostgresClient
    let logger: Logger
    /// For postgres-nio's own messages about each statement (at debug level).
    static let statementLogger = Logger(label: "promptc.shared.postgres")
    private let state = Mutex(State())
    private let upGauge: Metrics.Gauge
    private let tasks = Mutex<[Task<Void, Never>]>([])

    private let alerts: AlertDispatcher?

    init(url: String, metrics: GatewayMetrics, logger: Logger, alerts: AlertDispatcher? = nil) throws {
        self.alerts = alerts
        var configuration = try PostgresURL.clientConfiguration(url)
        configuration.options.connectTimeout = .seconds(2)
        // The pool logs each failed connect; while the database is away that is a line every
        // retry. Whether it is away is logged once, by `markAway`, so the pool says only errors.
        var poolLogger = Logger(label: "promptc.shared.postgres")
        poolLogger.logLevel = .error
        client = PostgresClient(configuration: configuration, backgroundLogger: poolLogger)
        self.logger = logger
        upGauge = Gauge(label: "promptc_shared_state_up", factory: metrics.factory)
        upGauge.record(0)
    }

    /// Starts the pool and the probe, and waits up to `wait` for the first try at connecting and
    /// migrating the schema: `serve` counts in PostgreSQL from its first request when it can,
    /// and locally when not.
    func start(waitingUpTo wait: Duration = .seconds(5)) async {
        let client = client
        let running = Task { await client.run() }
        let probe = Task { [self] in await probeForever() }
        tasks.withLock { $0 = [running, probe] }
        _ = try? await withTimeLimit(wait, timedOut: Unavailable(description: "timed out")) { [self] in
            while !state.withLock({ $0.probed }), !Task.isCancelled { try await Task.sleep(for: .milliseconds(10)) }
        }
    }

    var isUp: Bool { state.withLock { $0.up } }

    /// nil while up, else why not.
    var problem: String? { state.withLock { $0.problem } }

    /// Runs `statement` on a pooled connection, within `statementTimeout`; throws `Unavailable`
    /// at once while the database is away, and marks it away when the statement fails.
    func run<T: Sendable>(_ statement: @escaping @Sendable (PostgresClient) async throws -> T) async throws -> T {
        guard isUp else { throw Unavailable(description: problem ?? "away") }
        let client = client
        do {
            return try await withTimeLimit(Self.statementTimeout, timedOut: Unavailable(description: "a statement took longer than \(Self.statementTimeout)")) {
                try await statement(client)
            }
        } catch {
            markAway(StoreProblem.describe(error))
            throw Unavailable(description: StoreProblem.describe(error))
        }
    }

    func close() async {
        let running = tasks.withLock { tasks in
            defer { tasks = [] }
            return tasks
        }
        for task in running { task.cancel() }
        for task in running { await task.value }
    }

    private func markAway(_ problem: String) {
        let (wasUp, probed) = state.withLock { state in
            defer {
                state.up = false
                state.problem = problem
            }
            return (state.up, state.probed)
        }
        // Said once when it goes, or when it is not there at start; not at every failed probe.
        guard wasUp || !probed else { return }
        upGauge.record(0)
        logger.warning("the shared database does not answer: limits are counted by this replica alone until it does", metadata: [
            "problem": .string(problem),
        ])
        alerts?.raise(Alert(
            event: .storeDown, severity: .critical,
            summary: "the shared database does not answer: each replica counts limits on its own until it does",
            figures: ["store": "shared"]))
    }

    private func markUp() {
        let wasUp = state.withLock { state in
            defer {
                state.up = true
                state.problem = nil
            }
            return state.up
        }
        guard !wasUp else { return }
        upGauge.record(1)
        logger.info("the shared database answers: limits are counted across replicas")
    }

    /// While away: connect and migrate, every `probeInterval`. While up: delete
    /// limit windows long ended, now and then.
    private func probeForever() async {
        let client = client
        let logger = logger
        while !Task.isCancelled {
            if !isUp {
                do {
                    // The schema, each time: a database that comes back may be a new one.
                    try await withTimeLimit(.seconds(3), timedOut: Unavailable(description: "no connection within 3 s")) {
                        try await client.withConnection { try await SharedSchema.migrate($0, logger: logger) }
                    }
                    markUp()
                } catch {
                    markAway(StoreProblem.describe(error))
                }
                state.withLock { $0.probed = true }
            } else {
                await tidy()
            }
            try? await Task.sleep(for: Self.probeInterval)
        }
    }

    private func tidy() async {
        let nowMs = SharedLimits.nowMs()
        let due = state.withLock { state in
            guard nowMs - state.lastTidyMs > 600_000 else { return false }
            state.lastTidyMs = nowMs
            return true
        }
        guard due else { return }
        let before = nowMs - Self.keepEndedWindowsMs
        _ = try? await run { client in
            _ = try await client.query("DELETE FROM promptc_limits WHERE window_end_ms < \(before)", logger: Self.statementLogger)
        }
    }
}
