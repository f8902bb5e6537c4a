import EndpointModel
import Foundation
import Logging
import NIOCore
import NIOPosix
import PostgresNIO
import Synchronization

/// Circuit openings told to the other replicas (gateway-contract.md, Cluster): a replica whose
/// circuit for a model opens sends `NOTIFY` on `promptc_circuits`, and every other replica
/// that `LISTEN`s opens its own circuit for that model, so it stops sending there too. Each
/// half-opens on its own, by its own clock; closings are not broadcast.
///
/// The listener holds a connection of its own (a pooled one would be taken for good), and
/// connects again every `SharedDatabase.probeInterval` while the database is away. Openings
/// missed meanwhile are not replayed: a circuit opened a minute ago may be closed by now.
final class CircuitBroadcast: Sendable {
    static let channel = "promptc_circuits"
    /// NOTIFY payloads are at most 8,000 bytes; promptc's are far smaller, and longer ones are
    /// not promptc's.
    static let maximumPayloadBytes = 1024

    /// This process, so that it ignores its own notices.
    let replica = RandomToken.make()
    private let database: SharedDatabase
    private let configuration: PostgresConnection.Configuration
    private let logger: Logger
    private let listener = Mutex<Task<Void, Never>?>(nil)

    init(database: SharedDatabase, url: String, logger: Logger) throws {
        self.database = database
        configuration = try PostgresURL.configuration(url)
        self.logger = logger
    }

    /// Starts listening; `onOpened` is called with each model another replica opened.
    func start(onOpened: @escaping @Sendable (String) -> Void) {
        let task = Task { [self] in await listenForever(onOpened) }
        listener.withLock { $0 = task }
    }

    /// Tells the other replicas, off the request path; nothing waits on it, and a database that
    /// is away loses the notice.
    func announceOpened(_ model: String) {
        let payload = CanonicalJSON.render(.object(["event": "circuit_open", "model": .string(model), "replica": .string(replica)]), pretty: false)
        guard payload.utf8.count <= Self.maximumPayloadBytes else { return }
        Task { [database] in
            _ = try? await database.run { client in
                _ = try await client.query("SELECT pg_notify(\(Self.channel), \(payload))", logger: SharedDatabase.statementLogger)
            }
        }
    }

    func close() async {
        let task = listener.withLock { $0.take() }
        task?.cancel()
        await task?.value
    }

    /// The model a notice is about, when it is another replica's opening.
    func openedElsewhere(_ payload: String) -> String? {
        guard payload.utf8.count <= Self.maximumPayloadBytes, let notice = try? JSONParser.parse(payload),
              notice["event"]?.stringValue == "circuit_open", let model = notice["model"]?.stringValue,
              let from = notice["replica"]?.stringValue, from != replica
        else { return nil }
        return model
    }

    private func listenForever(_ onOpened: @escaping @Sendable (String) -> Void) async {
        var attempt = 0
        while !Task.isCancelled {
            attempt += 1
            do {
                let connection = try await PostgresConnection.connect(
                    on: MultiThreadedEventLoopGroup.singleton.any(), configuration: configuration, id: attempt, logger: logger)
                do {
                    try await withTaskCancellationHandler {
                        try await connection.listen(on: Self.channel) { notices in
                            for try await notice in notices {
                                if let model = openedElsewhere(notice.payload) { onOpened(model) }
                            }
                        }
                    } onCancel: {
                        let closing: EventLoopFuture<Void> = connection.close()
                        _ = closing
                    }
                } catch {}
                try? await connection.close()
            } catch {}
            try? await Task.sleep(for: SharedDatabase.probeInterval)
        }
    }
}
