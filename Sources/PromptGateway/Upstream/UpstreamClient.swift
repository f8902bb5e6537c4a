import AsyncHTTPClient
import EndpointModel
import Foundation
import NIOCore
import NIOHTTP1

/// Sends provider requests over one shared, pooled AsyncHTTPClient and classifies every way
/// a call can fail (gateway-contract.md, Limits, timeouts and failure accounting):
/// - a large pool per host (`upstream.max_connections_per_host`); a call that waits out its
///   timeout for a free connection fails as `timeout` but never counts towards the circuit,
///   because the gateway's own queue is not the provider's failure;
/// - a refused connection fails at once (no retrying until the connect timeout);
/// - redirects are never followed, so a key never reaches another host;
/// - the per-attempt timeout covers the whole exchange, body included (AsyncHTTPClient's
///   async API stops its deadline at the response head).
final class UpstreamClient: Sendable {
    /// The largest provider answer read; a bigger one is a failed attempt, not a memory spike.
    static let maximumAnswerBytes = 8 << 20

    let http: HTTPClient

    init(settings: UpstreamSettings = UpstreamSettings()) {
        var configuration = HTTPClient.Configuration()
        configuration.timeout = HTTPClient.Configuration.Timeout(connect: .milliseconds(Int64(settings.connectTimeoutMs)))
        var pool = HTTPClient.Configuration.ConnectionPool(
            idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: settings.maxConnectionsPerHost)
        pool.retryConnectionEstablishment = false
        configuration.connectionPool = pool
        configuration.redirectConfiguration = .disallow
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
    /// at any point, body included.
    func send(_ request: ProviderRequest, timeout: Duration, on eventLoop: (any EventLoop)? = nil) async throws(AttemptFailure) -> [UInt8] {
        guard var outgoing = request.prepared ?? Self.request(url: request.url, headers: request.headers) else {
            throw AttemptFailure(.connection, "the provider URL is not usable")
        }
        outgoing.body = .bytes(request.body)
        let preference: HTTPClient.EventLoopPreference =
            if let eventLoop, http.eventLoopGroup.makeIterator().contains(where: { $0 === eventLoop }) {
                .delegate(on: eventLoop)
            } else {
                .indifferent
            }
        let deadline = NIODeadline.now() + .nanoseconds(timeout.nanoseconds)
        while true {
            do {
                return try await exchange(outgoing, preference: preference, deadline: deadline, timeout: timeout)
            } catch let failure as PoolWaitEnded where NIODeadline.now() < deadline {
                // AsyncHTTPClient bounds a wait for a connection by the connect timeout; the
                // contract bounds it by the attempt's timeout. Queue again for what is left.
                _ = failure
                continue
            } catch is PoolWaitEnded {
                throw Self.poolWaitTimeout(timeout)
            } catch let failure as AttemptFailure {
                throw failure
            } catch {
                throw AttemptFailure(.connection, "\(type(of: error))")
            }
        }
    }

    /// The wait for a free connection ran past AsyncHTTPClient's own bound.
    private struct PoolWaitEnded: Error {}

    /// One try at the exchange: the 2xx body, a classified failure, or `PoolWaitEnded`.
    private func exchange(
        _ outgoing: HTTPClient.Request, preference: HTTPClient.EventLoopPreference, deadline: NIODeadline, timeout: Duration
    ) async throws -> [UInt8] {
        let collector = ProviderResponseCollector(maximumAnswerBytes: Self.maximumAnswerBytes)
        let task = http.execute(request: outgoing, delegate: collector, eventLoop: preference, deadline: deadline, logger: nil)
        let response: ProviderResponseCollector.Collected
        do {
            response = try await withTaskCancellationHandler {
                try await task.futureResult.get()
            } onCancel: {
                task.cancel()
            }
        } catch let error as HTTPClientError where error == .getConnectionFromPoolTimeout {
            throw PoolWaitEnded()
        } catch let error as HTTPClientError where error == .deadlineExceeded && !collector.requestSent {
            throw Self.poolWaitTimeout(timeout)
        } catch let error as HTTPClientError {
            throw Self.classify(error, timeout: timeout)
        } catch let oversized as ProviderResponseCollector.Oversized {
            guard (200..<300).contains(oversized.status) else {
                throw ProviderErrorClassifier.classify(status: oversized.status, headers: oversized.headers, body: [])
            }
            throw AttemptFailure(.invalidOutput, "the answer is larger than \(Self.maximumAnswerBytes) bytes")
        } catch is CancellationError {
            throw AttemptFailure(.connection, "cancelled")
        } catch let error as IOError {
            throw AttemptFailure(.connection, "could not connect: \(error.description)")
        } catch let error as ChannelError {
            throw AttemptFailure(.connection, "the connection failed: \(error)")
        }
        if (200..<300).contains(response.status) { return response.body }
        throw ProviderErrorClassifier.classify(status: response.status, headers: response.headers, body: response.body)
    }

    /// The attempt's time ran out before its request went out: every connection to the host
    /// was busy (or still connecting). That is the gateway's queue, not the provider's failure.
    static func poolWaitTimeout(_ timeout: Duration) -> AttemptFailure {
        var failure = AttemptFailure(.timeout, "no upstream connection became free within \(timeout.milliseconds) ms")
        failure.countsTowardsCircuit = false
        return failure
    }

    /// A POST to `url` with `headers` and no body yet; nil when the URL does not parse.
    static func request(url: String, headers: [(String, String)]) -> HTTPClient.Request? {
        var fields = HTTPHeaders()
        for (name, value) in headers { fields.add(name: name, value: value) }
        return try? HTTPClient.Request(url: url, method: .POST, headers: fields)
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
