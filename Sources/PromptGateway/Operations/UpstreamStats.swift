import Synchronization

/// Per model, what `/admin/upstreams` shows: calls in flight, and the outcome and latency of
/// the most recent calls.
final class UpstreamStats: Sendable {
    static let window = 100

    struct Call: Sendable {
        var outcome: String
        var ms: Int
        var at: ContinuousClock.Instant
    }

    private struct Model {
        var inFlight = 0
        var recent: [Call] = []
        var next = 0
    }

    private let models = Mutex<[String: Model]>([:])

    func began(_ model: String) {
        models.withLock { $0[model, default: Model()].inFlight += 1 }
    }

    func ended(_ model: String, outcome: String, ms: Int, now: ContinuousClock.Instant = .now) {
        models.withLock { models in
            var entry = models[model, default: Model()]
            entry.inFlight = max(0, entry.inFlight - 1)
            let call = Call(outcome: outcome, ms: ms, at: now)
            if entry.recent.count < Self.window {
                entry.recent.append(call)
            } else {
                entry.recent[entry.next] = call
            }
            entry.next = (entry.next + 1) % Self.window
            models[model] = entry
        }
    }

    struct Summary: Sendable {
        var inFlight: Int
        var recentCalls: Int
        var recentFailures: Int
        var lastFailure: (outcome: String, secondsAgo: Int)?
        var p50Ms: Int?
        var p95Ms: Int?
    }

    func summary(of model: String, now: ContinuousClock.Instant = .now) -> Summary {
        let entry = models.withLock { $0[model] } ?? Model()
        let failures = entry.recent.filter { $0.outcome != "ok" }
        let latencies = entry.recent.map(\.ms).sorted()
        func percentile(_ p: Double) -> Int? {
            latencies.isEmpty ? nil : latencies[min(latencies.count - 1, Int(Double(latencies.count) * p))]
        }
        let last = failures.max { $0.at < $1.at }
        return Summary(
            inFlight: entry.inFlight, recentCalls: entry.recent.count, recentFailures: failures.count,
            lastFailure: last.map { ($0.outcome, Int((now - $0.at).milliseconds / 1000)) }, p50Ms: percentile(0.5), p95Ms: percentile(0.95))
    }
}
