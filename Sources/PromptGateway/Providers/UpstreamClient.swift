import AsyncHTTPClient
import EndpointModel
import Foundation
import NIOCore
import NIOHTTP1

/// Sends provider requests over one shared, pooled AsyncHTTPClient and classifies every way
/// a call can fail. The per-attempt timeout covers the whole exchange, body included:
/// AsyncHTTPClient's own deadline stops at the response head.
final class UpstreamClient: Sendable {
    /// The largest provider answer read; a bigger one is a failed attempt, not a memory spike.
    static let maximumAnswerBytes = 8 << 20

    let http: HTTPClient

    /// `connectTimeout` is short on purpose: a refused connection is retried by the client until
    /// the connect timeout, and fallback should not wait on a provider that is not there.
    init(connectTimeout: TimeAmount = .seconds(2)) {
        var configuration = HTTPClient.Configuration()
        configuration.timeout = HTTPClient.Configuration.Timeout(connect: connectTimeout)
        configuration.connectionPool = HTTPClient.Configuration.ConnectionPool(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 64)
        configuration.httpVersion = .automatic
        // No Accept-Encoding, so providers answer uncompressed: their answers are small, and the
        // decompressor cost more per request than it saved (and a zip bomb cannot reach us).
        configuration.decompression = .disabled
        http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    func shutdown() async {
        try? await http.shutdown()
    }

    /// Sends `request` and returns the 2xx body, or throws a classified `AttemptFailure`.
    ///
    /// `eventLoop` is the loop of the client connection the request came in on: the pool prefers
    /// an idle connection of that same loop, so the exchange mostly stays on one thread.
    /// (`.delegateAndChannel` would insist on it, but AsyncHTTPClient then opens a one-use
    /// "overflow" connection whenever that loop has no idle one: a new TCP connection per request
    /// under load.) The future-based API used here also fails the request when `deadline` passes
    /// at any point, body included (the async API's deadline stops at the response head), and
    /// collects at most `maximumAnswerBytes`.
    func send(_ request: ProviderRequest, timeout: Duration, on eventLoop: (any EventLoop)? = nil) async throws(AttemptFailure) -> [UInt8] {
        guard var outgoing = request.prepared ?? Self.request(url: request.url, headers: request.headers) else {
            throw AttemptFailure(.connection, "the provider URL is not usable: \(request.url)")
        }
        outgoing.body = .bytes(request.body)
        let preference: HTTPClient.EventLoopPreference =
            if let eventLoop, http.eventLoopGroup.makeIterator().contains(where: { $0 === eventLoop }) {
                .delegate(on: eventLoop)
            } else {
                .indifferent
            }
        let task = http.execute(
            request: outgoing, delegate: ResponseAccumulator(request: outgoing, maxBodySize: Self.maximumAnswerBytes),
            eventLoop: preference, deadline: .now() + .nanoseconds(timeout.nanoseconds), logger: nil)
        let response: HTTPClient.Response
        do {
            response = try await withTaskCancellationHandler {
                try await task.futureResult.get()
            } onCancel: {
                task.cancel()
            }
        } catch let error as HTTPClientError {
            throw Self.classify(error, timeout: timeout)
        } catch is ResponseAccumulator.ResponseTooBigError {
            throw AttemptFailure(.invalidOutput, "the answer is larger than \(Self.maximumAnswerBytes) bytes")
        } catch is CancellationError {
            throw AttemptFailure(.connection, "cancelled")
        } catch {
            throw AttemptFailure(.connection, "\(type(of: error))")
        }
        let bytes = response.body.map { Array($0.readableBytesView) } ?? []
        if (200..<300).contains(response.status.code) { return bytes }
        throw Self.classify(status: response.status.code, headers: response.headers, body: bytes)
    }

    /// A POST to `url` with `headers` and no body yet; nil when the URL does not parse.
    static func request(url: String, headers: [(String, String)]) -> HTTPClient.Request? {
        var fields = HTTPHeaders()
        for (name, value) in headers { fields.add(name: name, value: value) }
        return try? HTTPClient.Request(url: url, method: .POST, headers: fields)
    }

    static func classify(status: UInt, headers: HTTPHeaders, body: [UInt8]) -> AttemptFailure {
        let detail = "HTTP \(status)" + (providerMessage(body).map { ": \($0)" } ?? "")
        switch status {
        case 429: return AttemptFailure(.rateLimit, detail, retryAfterMs: retryAfterMs(headers))
        case 401, 403: return AttemptFailure(.auth, detail)
        case 408: return AttemptFailure(.timeout, detail)
        case 400..<500: return AttemptFailure(.badRequest, detail, retryAfterMs: nil)
        default: return AttemptFailure(.serverError, detail, retryAfterMs: retryAfterMs(headers))
        }
    }

    static func classify(_ error: HTTPClientError, timeout: Duration) -> AttemptFailure {
        switch error {
        case .deadlineExceeded, .readTimeout, .writeTimeout:
            return AttemptFailure(.timeout, "no complete answer within \(timeout.milliseconds) ms")
        case .connectTimeout:
            return AttemptFailure(.connection, "could not connect (connect timeout)")
        case .remoteConnectionClosed:
            return AttemptFailure(.connection, "the provider closed the connection")
        case .cancelled:
            return AttemptFailure(.connection, "cancelled")
        default:
            return AttemptFailure(.connection, "\(error)")
        }
    }

    /// The provider's own error message (OpenAI, Anthropic and Gemini all put it at
    /// `error.message`), cut short; it describes the request, never contains our key.
    static func providerMessage(_ body: [UInt8]) -> String? {
        guard let value = try? JSONParser.parse(body),
              let message = value["error"]?["message"]?.stringValue else { return nil }
        return String(message.prefix(200))
    }

    /// `retry-after-ms` (OpenAI) or `Retry-After` in seconds. HTTP-date values are not read:
    /// model providers send seconds.
    /// Values are capped at a day: the header comes from outside, and a deadline is far shorter.
    static func retryAfterMs(_ headers: HTTPHeaders) -> Int? {
        let dayMs = 86_400_000.0
        if let value = headers.first(name: "retry-after-ms").flatMap(Double.init), value.isFinite, value >= 0 {
            return Int(min(value, dayMs))
        }
        if let value = headers.first(name: "retry-after").flatMap(Double.init), value.isFinite, value >= 0 {
            return Int(min(value * 1000, dayMs))
        }
        return nil
    }

}

extension Duration {
    var milliseconds: Int {
        let (seconds, attoseconds) = components
        return Int(seconds) * 1000 + Int(attoseconds / 1_000_000_000_000_000)
    }

    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
