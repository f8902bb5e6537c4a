import Logging
import Synchronization

/// Writes what earlier processes left in the usage journal (`UsageJournal.replay`): once when
/// the gateway gets ready and, while the usage store does not answer, again every
/// `retryInterval` until the store has it all or the gateway stops. A replica that started while
/// its database was away still hands over a killed predecessor's records once it is back.
final class JournalReplayer: Sendable {
    let directory: String
    let store: any UsageStore
    let logger: Logger
    let retryInterval: Duration
    private let retrying = Mutex<Task<Void, Never>?>(nil)

    init(directory: String, store: any UsageStore, logger: Logger, retryInterval: Duration = .seconds(5)) {
        self.directory = directory
        self.store = store
        self.logger = logger
        self.retryInterval = retryInterval
    }

    /// Replays now; if the store failed, goes on trying in the background.
    func start() async {
        guard await !replay(logFailure: true) else { return }
        let task = Task { [self] in
            while !Task.isCancelled {
                do {
                    try await Task.sleep(for: retryInterval)
                } catch {
                    return
                }
                if await replay(logFailure: false) { return }
            }
        }
        retrying.withLock { $0 = task }
    }

    /// Stops trying; what is left stays in the journal for the next start.
    func stop() async {
        let task = retrying.withLock { task in
            defer { task = nil }
            return task
        }
        task?.cancel()
        await task?.value
    }

    /// Whether every leftover segment was written. A failure is logged once, not on each retry.
    private func replay(logFailure: Bool) async -> Bool {
        do {
            _ = try await UsageJournal.replay(directory: directory, into: store, logger: logger)
            return true
        } catch {
            if logFailure {
                logger.error("usage records in the journal could not be written yet: trying again while serving", metadata: [
                    "error": .string(StoreProblem.describe(error)), "every_s": .stringConvertible(retryInterval.components.seconds),
                ])
            }
            return false
        }
    }
}
