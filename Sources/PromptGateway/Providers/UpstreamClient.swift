import AsyncHTTPClient
import EndpointModel
import Foundation
import NIOCore
import NIOHTTP1
import Synchronization

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
    func send(_ request: ProviderRequest, timeout: Duration) async throws(AttemptFailure) -> [UInt8] {
        var outgoing = HTTPClientRequest(url: request.url)
        outgoing.method = .POST
        for (name, value) in request.headers { outgoing.headers.add(name: name, value: value) }
        outgoing.body = .bytes(ByteBuffer(bytes: request.body))
        let prepared = outgoing
        do {
            return try await Self.withTimeout(timeout, on: http.eventLoopGroup.any()) { [http] in
                let response = try await http.execute(prepared, timeout: .nanoseconds(Int64(timeout.nanoseconds)))
                let body = try await response.body.collect(upTo: Self.maximumAnswerBytes)
                let bytes = Array(body.readableBytesView)
                if (200..<300).contains(response.status.code) { return bytes }
                throw Self.classify(status: response.status.code, headers: response.headers, body: bytes)
            }
        } catch let failure as AttemptFailure {
            throw failure
        } catch is UpstreamTimeout {
            throw AttemptFailure(.timeout, "no complete answer within \(timeout.milliseconds) ms")
        } catch is CancellationError {
            throw AttemptFailure(.connection, "cancelled")
        } catch let error as HTTPClientError {
            throw Self.classify(error, timeout: timeout)
        } catch let error as NIOTooManyBytesError {
            throw AttemptFailure(.invalidOutput, "the answer is larger than \(error.maxBytes ?? Self.maximumAnswerBytes) bytes")
        } catch {
            throw AttemptFailure(.connection, "\(type(of: error))")
        }
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

    struct UpstreamTimeout: Error {}

    /// Runs `operation` as a task of its own, which a timer on `eventLoop` cancels after
    /// `timeout`; then throws `UpstreamTimeout`. (A task group racing a sleeping task did the
    /// same with three tasks per attempt.)
    static func withTimeout<T: Sendable>(
        _ timeout: Duration, on eventLoop: any EventLoop, _ operation: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        let task = Task { try await operation() }
        let fired = Mutex(false)
        let timer = eventLoop.scheduleTask(in: .nanoseconds(timeout.nanoseconds)) {
            fired.withLock { $0 = true }
            task.cancel()
        }
        defer { timer.cancel() }
        do {
            return try await withTaskCancellationHandler { try await task.value } onCancel: { task.cancel() }
        } catch {
            if fired.withLock({ $0 }) { throw UpstreamTimeout() }
            throw error
        }
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
