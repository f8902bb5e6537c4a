import EndpointModel
import NIOCore
import NIOSSL

/// Sends provider requests over the gateway's own pooled HTTP/1.1 client
/// (`UpstreamHTTP1Client`) and classifies every way a call can fail (gateway-contract.md,
/// Limits, timeouts and failure accounting):
/// - a large pool per host (`upstream.max_connections_per_host`); a call that waits out its
///   timeout for a free connection fails as `timeout` but never counts towards the circuit,
///   because the gateway's own queue is not the provider's failure;
/// - a refused connection fails at once (no retrying until the connect timeout);
/// - redirects are never followed, so a key never reaches another host;
/// - the per-attempt timeout covers the whole exchange, body included.
final class UpstreamClient: Sendable {
    /// The largest provider answer read; a bigger one is a failed attempt, not a memory spike.
    static let maximumAnswerBytes = 8 << 20
    /// An error body is read this far: the provider's message is near its start.
    static let maximumErrorBytes = 64 << 10
    static let bounds = UpstreamBounds(answerBytes: maximumAnswerBytes, errorBytes: maximumErrorBytes)

    let http: UpstreamHTTP1Client

    init(settings: UpstreamSettings = UpstreamSettings(), tlsConfiguration: TLSConfiguration = .makeClientConfiguration()) {
        http = UpstreamHTTP1Client(
            maximumConnectionsPerOrigin: settings.maxConnectionsPerHost, connectTimeout: .milliseconds(Int64(settings.connectTimeoutMs)),
            tlsConfiguration: tlsConfiguration)
    }

    func shutdown() async {
        http.shutdown()
    }

    /// Sends `request` and returns the 2xx body, or throws a classified `AttemptFailure`.
    ///
    /// `eventLoop` is the loop of the client connection the request came in on: an idle
    /// connection of that same loop is preferred, so the exchange mostly stays on one thread.
    func send(_ request: ProviderRequest, timeout: Duration, on eventLoop: (any EventLoop)? = nil) async throws(AttemptFailure) -> [UInt8] {
        let target = try Self.target(of: request)
        let deadline = NIODeadline.now() + .nanoseconds(timeout.nanoseconds)
        let response: UpstreamResponse
        do {
            response = try await http.collect(
                target, body: request.body, traceHeaders: UpstreamTraceHeaders.current, deadline: deadline, bounds: Self.bounds, on: eventLoop)
        } catch {
            throw Self.classify(error, timeout: timeout, streaming: false)
        }
        if (200..<300).contains(response.status) { return response.body }
        throw ProviderErrorClassifier.classify(status: response.status, headers: response.headers, body: response.body)
    }

    /// Where `request` goes: the target its template prepared, else its URL parsed now.
    static func target(of request: ProviderRequest) throws(AttemptFailure) -> UpstreamTarget {
        guard let target = request.prepared ?? UpstreamTarget(url: request.url, headers: request.headers) else {
            throw AttemptFailure(.connection, "the provider URL is not usable")
        }
        return target
    }

    /// The attempt's time ran out before its request went out: every connection to the host
    /// was busy (or still connecting). That is the gateway's queue, not the provider's failure.
    static func poolWaitTimeout(_ timeout: Duration) -> AttemptFailure {
        var failure = AttemptFailure(.timeout, "no upstream connection became free within \(timeout.milliseconds) ms")
        failure.countsTowardsCircuit = false
        return failure
    }

    /// The failure class of anything an exchange throws.
    static func classify(_ error: any Error, timeout: Duration, streaming: Bool) -> AttemptFailure {
        switch error {
        case let failure as AttemptFailure:
            return failure
        case let error as UpstreamHTTPError:
            switch error {
            case .stale, .connectionClosed:
                return AttemptFailure(.connection, streaming ? "the stream was cut off mid-answer" : "the provider closed the connection")
            case .connect(let reason):
                return AttemptFailure(.connection, "could not connect: \(reason)")
            case .connectTimeout:
                return AttemptFailure(.connection, "could not connect (connect timeout)")
            case .timeout:
                return AttemptFailure(.timeout, "no complete answer within \(timeout.milliseconds) ms")
            case .poolWaitTimeout:
                return poolWaitTimeout(timeout)
            case .oversized(let status, let headers):
                guard (200..<300).contains(status) else { return ProviderErrorClassifier.classify(status: status, headers: headers, body: []) }
                return AttemptFailure(.invalidOutput, "the answer is larger than \(maximumAnswerBytes) bytes")
            case .invalidResponse(let reason):
                return AttemptFailure(.connection, streaming ? "the stream was cut off mid-answer" : "the answer is not HTTP/1.1: \(reason)")
            case .errorStatus(let response):
                return ProviderErrorClassifier.classify(status: response.status, headers: response.headers, body: response.body)
            case .cancelled:
                return AttemptFailure(.connection, "cancelled")
            case .shutDown:
                return AttemptFailure(.connection, "the gateway is shutting down")
            }
        case is CancellationError:
            return AttemptFailure(.connection, "cancelled")
        default:
            return AttemptFailure(.connection, "\(type(of: error))")
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
