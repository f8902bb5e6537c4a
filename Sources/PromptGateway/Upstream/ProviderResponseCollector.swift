import AsyncHTTPClient
import NIOCore
import NIOHTTP1
import Synchronization

/// Collects a provider's answer with a bound that depends on its status: a 2xx body is read up
/// to `UpstreamClient.maximumAnswerBytes`, an error body only far enough to find the provider's
/// message. Past the bound the exchange is cut and the status is still reported, so an answer
/// is classified by its status whatever its size, and an oversized body is never parsed.
final class ProviderResponseCollector: HTTPClientResponseDelegate {
    struct Collected: Sendable {
        var status: UInt
        var headers: HTTPHeaders
        var body: [UInt8]
    }

    /// The answer's body was larger than its bound; the head is kept for classification.
    struct Oversized: Error {
        var status: UInt
        var headers: HTTPHeaders
    }

    /// An error body is read this far: the provider's message is near its start.
    static let maximumErrorBytes = 64 << 10

    private struct State {
        var requestSent = false
        var head: HTTPResponseHead?
        var body: [UInt8] = []
    }

    private let state = Mutex(State())
    let maximumAnswerBytes: Int

    init(maximumAnswerBytes: Int) {
        self.maximumAnswerBytes = maximumAnswerBytes
    }

    private func bound(for status: UInt) -> Int {
        (200..<300).contains(status) ? maximumAnswerBytes : Self.maximumErrorBytes
    }

    /// Whether the request's head went out: a deadline that passed before it did was spent
    /// waiting for one of the gateway's own connections.
    var requestSent: Bool { state.withLock { $0.requestSent } }

    func didSendRequestHead(task: HTTPClient.Task<Collected>, _ head: HTTPRequestHead) {
        state.withLock { $0.requestSent = true }
    }

    func didReceiveHead(task: HTTPClient.Task<Collected>, _ head: HTTPResponseHead) -> EventLoopFuture<Void> {
        state.withLock { $0.head = head }
        let status = head.status.code
        if let announced = head.headers.first(name: "content-length").flatMap(Int.init), announced > bound(for: status) {
            return task.eventLoop.makeFailedFuture(Oversized(status: status, headers: head.headers))
        }
        return task.eventLoop.makeSucceededVoidFuture()
    }

    func didReceiveBodyPart(task: HTTPClient.Task<Collected>, _ buffer: ByteBuffer) -> EventLoopFuture<Void> {
        let oversized: Oversized? = state.withLock { state in
            let status = state.head?.status.code ?? 200
            guard state.body.count + buffer.readableBytes <= bound(for: status) else {
                return Oversized(status: status, headers: state.head?.headers ?? [:])
            }
            state.body.append(contentsOf: buffer.readableBytesView)
            return nil
        }
        if let oversized { return task.eventLoop.makeFailedFuture(oversized) }
        return task.eventLoop.makeSucceededVoidFuture()
    }

    func didFinishRequest(task: HTTPClient.Task<Collected>) throws -> Collected {
        state.withLock { state in
            Collected(status: state.head?.status.code ?? 0, headers: state.head?.headers ?? [:], body: state.body)
        }
    }
}
