import EndpointModel
import Synchronization

/// What happened to one request, filled in by the pipeline's stages as they run and recorded
/// once, by `OutcomeRecorder`, however the request ended (architecture.md, One core, many
/// fronts). That is what makes "every request leaves a trace" true by construction.
final class RequestOutcome: Sendable {
    struct Fields: Sendable {
        /// The front the request came in by (`rest`, …).
        var front: String
        /// The endpoint whose path was asked for, once routing knows it.
        var endpoint: String?
        var consumer: String?
        /// The model that answered.
        var model: String?
        var attempts: [AttemptRecord] = []
        /// The tokens of the answer.
        var tokens = TokenUsage()
        /// The call that lost a hedged race: the request paid for it too.
        var hedgeLoser: CallUsage?
        /// `hit`, `miss` or `stale`, for an endpoint with a cache.
        var cache: String?
        /// The consumer's limits as they stood for this request, for the `RateLimit-*` headers.
        var rateLimit: ConsumerLimits.Decision?
        /// The answer is a stream: it is recorded when the stream ends, not when its head goes out.
        var streamed = false
        /// The request's span, when traces are exported.
        var trace: RequestTrace?

        var calls: Int { attempts.count { $0.isCall } }
        /// The tokens and cost of every call the request pays for.
        func billed(_ pricing: [String: ModelPrice]) -> (tokens: TokenUsage, cost: Double) {
            CallUsage.total(model.map { CallUsage(model: $0, tokens: tokens) }, hedgeLoser, pricing: pricing)
        }
        /// Whether a model other than the chain's first answered.
        var fellBack: Bool { model.map { model in attempts.contains { $0.model != model } } ?? false }
    }

    private let fields: Mutex<Fields>
    /// For a streamed answer: records it, once, when the stream ends.
    private let recordLater = Mutex<(@Sendable (Int, String?) -> Void)?>(nil)

    /// The request's span, when traces are exported (also in `Fields`, for the recorder).
    let trace: RequestTrace?

    /// Where the request came from, for pools that hash by client address or header.
    let client: ClientIdentity

    init(front: String, endpoint: String? = nil, trace: RequestTrace? = nil, client: ClientIdentity = .unknown) {
        self.trace = trace
        self.client = client
        var fields = Fields(front: front, endpoint: endpoint)
        fields.trace = trace
        self.fields = Mutex(fields)
    }

    func update(_ change: (inout Fields) -> Void) {
        fields.withLock { change(&$0) }
    }

    var snapshot: Fields { fields.withLock { $0 } }

    /// Called by the outermost layer for a streamed answer, in place of recording it.
    func recordWhenFinished(_ record: @escaping @Sendable (Int, String?) -> Void) {
        recordLater.withLock { $0 = record }
    }

    /// The stream ended with `status` (200, or the status of its `error` event): recorded now, once.
    func finishStream(status: Int, errorType: String?) {
        let record = recordLater.withLock { record in
            defer { record = nil }
            return record
        }
        record?(status, errorType)
    }
}
