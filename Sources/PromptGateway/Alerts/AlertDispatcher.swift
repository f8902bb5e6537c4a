import Crypto
import EndpointModel
import Foundation
import Logging
import Synchronization

/// Sends alerts to the webhooks of `alerts:` (gateway-contract.md, Alerts), off the request
/// path: `raise` only takes a lock and hands the alert to a bounded queue, so it never slows or
/// fails a request.
///
/// - The same alert (event and subject) is sent at most once per `repeat_after`.
/// - Each webhook that wants the event gets one JSON POST, signed when it has a secret:
///   `x-promptc-signature: sha256=` and the hex HMAC-SHA256 of the body under the secret.
/// - A POST that fails (no answer within `timeout`, or not a 2xx) is tried again with doubling
///   waits, up to `attempts` tries; then it is logged and dropped.
/// - At most `maximumPending` alerts wait; past that the oldest are dropped and logged.
final class AlertDispatcher: Sendable {
    /// How deliveries are tried; tests shorten the waits.
    struct Delivery: Sendable {
        var attempts = 5
        var firstRetry: Duration = .seconds(1)
        var longestRetry: Duration = .seconds(30)
        var timeout: Duration = .seconds(10)
    }

    static let maximumPending = 1000
    static let signatureHeader = "x-promptc-signature"

    private struct Receiver: Sendable {
        let webhook: AlertSettings.Webhook
        let secret: SymmetricKey?
    }

    private struct State {
        var lastSent: [String: ContinuousClock.Instant] = [:]
    }

    let settings: AlertSettings
    /// Which process sent an alert: its host name and process id.
    let replica: String
    private let receivers: [Receiver]
    private let upstream: UpstreamClient
    private let logger: Logger
    private let delivery: Delivery
    private let state = Mutex(State())
    private let queue: AsyncStream<Alert>.Continuation
    private let worker: Task<Void, Never>

    init(settings: AlertSettings, environment: [String: String], upstream: UpstreamClient, logger: Logger, delivery: Delivery = Delivery()) {
        self.settings = settings
        self.upstream = upstream
        self.logger = logger
        self.delivery = delivery
        replica = "\(ProcessInfo.processInfo.hostName):\(ProcessInfo.processInfo.processIdentifier)"
        receivers = settings.webhooks.map { webhook in
            let secret = webhook.secretEnv.flatMap { environment[$0] }.flatMap { $0.isEmpty ? nil : SymmetricKey(data: Array($0.utf8)) }
            if let name = webhook.secretEnv, secret == nil {
                // Never the URL's query or the secret itself: only where it goes and what is missing.
                logger.warning("the secret of a webhook is not set: its alerts go unsigned", metadata: [
                    "webhook": .string(URLComponents(string: webhook.url)?.host ?? "?"), "secret_env": .string(name),
                ])
            }
            return Receiver(webhook: webhook, secret: secret)
        }
        let (stream, continuation) = AsyncStream<Alert>.makeStream(bufferingPolicy: .bufferingNewest(Self.maximumPending))
        queue = continuation
        let (receivers, upstream, replica) = (receivers, upstream, replica)
        worker = Task {
            await withTaskGroup(of: Void.self) { group in
                for await alert in stream {
                    for receiver in receivers where receiver.webhook.events.contains(alert.event) {
                        group.addTask { await Self.deliver(alert, to: receiver, replica: replica, upstream: upstream, delivery: delivery, logger: logger) }
                    }
                }
            }
        }
    }

    /// Whether any webhook wants `event`: producers of costly alerts ask first.
    func wants(_ event: AlertSettings.Event) -> Bool {
        receivers.contains { $0.webhook.events.contains(event) }
    }

    /// Queues `alert` for its webhooks, unless the same alert went out within `repeat_after`.
    func raise(_ alert: Alert, now: ContinuousClock.Instant = .now) {
        guard wants(alert.event) else { return }
        let repeatAfter = Duration.milliseconds(settings.repeatAfterMs)
        let send = state.withLock { state -> Bool in
            if let last = state.lastSent[alert.key], now - last < repeatAfter { return false }
            // Bounded: keys older than repeat_after are forgotten when the map grows.
            if state.lastSent.count >= 10_000 { state.lastSent = state.lastSent.filter { now - $0.value < repeatAfter } }
            state.lastSent[alert.key] = now
            return true
        }
        guard send else { return }
        if case .dropped = queue.yield(alert) {
            logger.error("an alert was dropped: more than \(Self.maximumPending) were waiting to be sent")
        }
    }

    /// Stops taking alerts and waits up to `timeout` for those being sent.
    func close(timeout: Duration = .seconds(5)) async {
        queue.finish()
        let worker = worker
        _ = try? await withTimeLimit(timeout, timedOut: CancellationError()) { await worker.value }
        worker.cancel()
    }

    static func signature(of body: [UInt8], secret: SymmetricKey) -> String {
        "sha256=" + HMAC<SHA256>.authenticationCode(for: body, using: secret).map { String(format: "%02x", $0) }.joined()
    }

    private static func deliver(
        _ alert: Alert, to receiver: Receiver, replica: String, upstream: UpstreamClient, delivery: Delivery, logger: Logger
    ) async {
        let body = Array(CanonicalJSON.render(alert.json(replica: replica), pretty: false).utf8)
        var headers = [("content-type", "application/json"), ("user-agent", "promptc/\(Gateway.version)")]
        if let secret = receiver.secret { headers.append((signatureHeader, signature(of: body, secret: secret))) }
        let request = ProviderRequest(url: receiver.webhook.url, headers: headers, body: body, prepared: nil)
        var wait = delivery.firstRetry
        for attempt in 1...max(1, delivery.attempts) {
            do {
                _ = try await upstream.send(request, timeout: delivery.timeout)
                return
            } catch {
                guard attempt < delivery.attempts, !Task.isCancelled else {
                    logger.error("an alert could not be delivered", metadata: [
                        "event": .string(alert.event.rawValue), "webhook": .string(URLComponents(string: receiver.webhook.url)?.host ?? "?"),
                        "tries": .stringConvertible(attempt), "error": .string(error.failureClass.rawValue),
                    ])
                    return
                }
                try? await Task.sleep(for: wait)
                wait = min(wait * 2, delivery.longestRetry)
            }
        }
    }
}
