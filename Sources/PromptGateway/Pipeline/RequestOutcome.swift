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
        var tokens = TokenUsage()
        /// `hit`, `miss` or `stale`, for an endpoint with a cache.
        var cache: String?
        /// The consumer's limits as they stood for this request, for the `RateLimit-*` headers.
        var rateLimit: ConsumerLimits.Decision?

        var calls: Int { attempts.count { $0.isCall } }
        /// Whether a model other than the chain's first answered.
        var fellBack: Bool { model.map { model in attempts.contains { $0.model != model } } ?? false }
    }

    private let fields: Mutex<Fields>

    init(front: String, endpoint: String? = nil) {
        fields = Mutex(Fields(front: front, endpoint: endpoint))
    }

    func update(_ change: (inout Fields) -> Void) {
        fields.withLock { change(&$0) }
    }

    var snapshot: Fields { fields.withLock { $0 } }
}
