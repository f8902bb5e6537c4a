/// Lets a test's reader pace a fake provider's stream by what the gateway has sent, not by the
/// clock. After each piece of the answer that gives the gateway a new partial, the fake waits
/// until the reader has seen that partial and then let `StreamEventPlanner.partialInterval`
/// pass; so the next piece reaches the gateway later than the interval after its last partial
/// and is a partial of its own, however late a busy machine runs either side, and a fault comes
/// after the partial before it. Gaps of time alone merged pieces when a loaded CI run held the
/// gateway's reads back longer than the gap.
final class StreamPacer: Sendable {
    private let permits: AsyncStream<Void>
    private let continuation: AsyncStream<Void>.Continuation

    init() {
        (permits, continuation) = AsyncStream.makeStream()
    }

    /// The reader's word that the next piece may go.
    func release() {
        continuation.yield()
    }

    /// Waits for the reader's word; returns at once on cancellation (the caller went away).
    /// One stream at a time: AsyncStream traps on two tasks waiting at once, so a pacer is for
    /// tests whose fake streams one answer after another (not hedged races).
    func next() async {
        for await _ in permits { return }
    }
}
