import Foundation
import HTTPTypes
import Hummingbird
import Synchronization

/// A webhook receiver on loopback: keeps every POST it gets (headers and body), and answers the
/// first `failing` of them with 500, as a receiver that is briefly down would.
final class WebhookReceiver: Sendable {
    struct Delivery: Sendable {
        var headers: [String: String]
        var body: [UInt8]
        var json: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any]) ?? [:] }
        var event: String? { json["event"] as? String }
    }

    private let state = Mutex<(deliveries: [Delivery], failing: Int, refused: Int)>(([], 0, 0))

    init(failing: Int = 0) {
        state.withLock { $0.failing = failing }
    }

    /// Deliveries answered 2xx, in order.
    var deliveries: [Delivery] { state.withLock { $0.deliveries } }
    /// POSTs answered 500.
    var refused: Int { state.withLock { $0.refused } }

    func events() -> [String] { deliveries.compactMap(\.event) }

    func makeApplication(onPort: @escaping @Sendable (Int) async -> Void) -> some ApplicationProtocol {
        let router = Router()
        router.post("**") { [self] request, _ -> Response in
            let body = try await request.body.collect(upTo: 1 << 20)
            var headers: [String: String] = [:]
            for field in request.headers { headers[field.name.canonicalName] = field.value }
            let refuse = state.withLock { state -> Bool in
                if state.failing > 0 {
                    state.failing -= 1
                    state.refused += 1
                    return true
                }
                state.deliveries.append(Delivery(headers: headers, body: Array(body.readableBytesView)))
                return false
            }
            return Response(status: refuse ? .internalServerError : .noContent)
        }
        return Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { await onPort($0.localAddress?.port ?? 0) })
    }

    /// Waits, at most 10 s, until `condition` holds of the deliveries.
    func waitFor(_ what: String, _ condition: ([Delivery]) -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(10)
        while !condition(deliveries) {
            guard ContinuousClock.now < deadline else { throw HarnessError("\(what) did not arrive within 10 s: \(events())") }
            try await Task.sleep(for: .milliseconds(10))
        }
    }
}

func withReceiver<T>(_ receiver: WebhookReceiver, _ body: (Int) async throws -> T) async throws -> T {
    try await withRunning({ receiver.makeApplication(onPort: $0) }, body)
}
