import Foundation
import HTTPTypes
import Logging
import NIOCore

/// One request from arrival to its record, whichever server answers it (Hummingbird's router
/// through `RequestRecorder`, or `DirectFrontHandler`): its id (the client's `x-request-id` when
/// usable), the core it runs on whatever reloads happen meanwhile, and its `RequestOutcome`;
/// then the headers every answer carries, errors included, and the one record.
struct RequestRecording: Sendable {
    static let requestIDHeader = HTTPField.Name("x-request-id")!

    let seen: OutcomeRecorder.Request
    /// The request takes the current core here, and every later stage uses that one.
    let core: GatewayCore
    let outcome: RequestOutcome

    var requestID: String { seen.requestID }

    /// `peer` is the connection's remote address.
    init(core: GatewayCore, headers: HTTPFields, method: HTTPRequest.Method, path: String, peer: SocketAddress?) {
        self.core = core
        seen = OutcomeRecorder.Request(
            requestID: headers.value(Self.requestIDHeader).flatMap(Self.usable) ?? RequestID.make(),
            method: method.rawValue, path: path, startedAt: Date(), started: .now)
        let endpoint = core.recordNames[path]
        // A path that names no endpoint is the client's text: the span is named by the method alone.
        outcome = RequestOutcome(
            front: "rest", endpoint: endpoint,
            trace: core.runtime.tracing?.startRequest(method: method.rawValue, path: path, route: endpoint == nil ? nil : path, headers: headers),
            client: ClientIdentity(peer: peer, headers: headers, trustedProxies: core.trustedProxies))
    }

    /// The contract's answer for whatever a stage threw; an unexpected error is logged, without
    /// its text (it could carry anything).
    func failure(_ error: any Error, logger: Logger) -> GatewayError {
        let gatewayError = GatewayError.from(error)
        if gatewayError.status == .internalServerError {
            logger.error("unexpected error", metadata: ["request_id": .string(requestID), "error": .string("\(type(of: error))")])
        }
        return gatewayError
    }

    /// Puts on `headers` what every answer carries (request id, rate limits, lifecycle, cache)
    /// and records the request: now, or for a stream still being sent, when it ends (with the
    /// status its last event says). A plain answer's log line is left to the caller to write (see
    /// `OutcomeRecorder.recordLeavingLogLine`).
    func finish(_ headers: inout HTTPFields, status: Int, errorType: String?) -> RequestLogLine? {
        let fields = outcome.snapshot
        headers[Self.requestIDHeader] = requestID
        if let decision = fields.rateLimit {
            for field in ConsumerStage.headers(decision) where headers.value(field.name) == nil { headers.append(field) }
        }
        if let lifecycle = core.lifecycles[seen.path] {
            for field in lifecycle.headers(at: EndpointLifecycle.now()) { headers[field.name] = field.value }
        }
        if core.cachedPaths.contains(seen.path), headers.value(PromptHeaders.cache) == nil {
            headers[PromptHeaders.cache] = fields.cache ?? "miss"
        }
        let (recorder, seen, outcome) = (core.recorder, seen, outcome)
        if fields.streamed, errorType == nil {
            outcome.recordWhenFinished { status, errorType in
                recorder.record(seen, status: status, outcome: outcome.snapshot, errorType: errorType)
            }
            return nil
        }
        return recorder.recordLeavingLogLine(seen, status: status, outcome: fields, errorType: errorType)
    }

    /// A client id is echoed when it is short, visible ASCII; anything else gets a new id, so
    /// no header injection or log forging rides on it.
    static func usable(_ value: String) -> String? {
        guard !value.isEmpty, value.utf8.count <= 128, value.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else { return nil }
        return value
    }
}

/// The headers promptc adds to answers.
enum PromptHeaders {
    static let model = HTTPField.Name("x-promptc-model")!
    static let attempts = HTTPField.Name("x-promptc-attempts")!
    static let cache = HTTPField.Name("x-promptc-cache")!
}
