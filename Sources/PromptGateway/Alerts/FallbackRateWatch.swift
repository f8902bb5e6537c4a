import Synchronization

/// Each endpoint's share of answers that fell back, over the last `over` (gateway-contract.md,
/// Alerts: `fallback_rate`). Answers are counted in ten buckets of a tenth of the window each,
/// so the memory per endpoint is fixed and old answers leave as their bucket is reused.
final class FallbackRateWatch: Sendable {
    /// Fewer answers than this in the window say nothing yet (one fallback in two answers is
    /// not a trend).
    static let minimumAnswers = 10
    static let buckets = 10

    private struct Bucket {
        var start: ContinuousClock.Instant
        var answers = 0
        var fallbacks = 0
    }

    /// The buckets of one endpoint, oldest first; at most `buckets` + 1 of them.
    private struct Window {
        var buckets: [Bucket] = []

        /// Counts one answer at `now`, drops buckets older than `over`, and returns the totals.
        mutating func add(fellBack: Bool, now: ContinuousClock.Instant, width: Duration, over: Duration) -> (answers: Int, fallbacks: Int) {
            if let last = buckets.indices.last, now - buckets[last].start < width {
                buckets[last].answers += 1
                if fellBack { buckets[last].fallbacks += 1 }
            } else {
                buckets.append(Bucket(start: now, answers: 1, fallbacks: fellBack ? 1 : 0))
            }
            buckets.removeAll { now - $0.start >= over }
            return buckets.reduce((0, 0)) { ($0.0 + $1.answers, $0.1 + $1.fallbacks) }
        }
    }

    let above: Double
    let over: Duration
    private let windows = Mutex<[String: Window]>([:])

    init(above: Double, over: Duration) {
        self.above = above
        self.over = over
    }

    /// Counts one answer of `endpoint`; returns the window's figures when its rate is now above
    /// the threshold.
    func observe(_ endpoint: String, fellBack: Bool, now: ContinuousClock.Instant = .now) -> (rate: Double, answers: Int, fallbacks: Int)? {
        let (width, over) = (over / Self.buckets, over)
        // Changed where it stands in the map: taking the window out would copy its buckets.
        let (answers, fallbacks) = windows.withLock { windows in
            windows[endpoint, default: Window()].add(fellBack: fellBack, now: now, width: width, over: over)
        }
        guard answers >= Self.minimumAnswers else { return nil }
        let rate = Double(fallbacks) / Double(answers)
        return rate > above ? (rate, answers, fallbacks) : nil
    }
}
