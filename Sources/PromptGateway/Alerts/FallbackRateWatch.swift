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

    private struct Window {
        var buckets: [Bucket]
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
        let width = over / Self.buckets
        return windows.withLock { windows in
            var window = windows[endpoint] ?? Window(buckets: [])
            if let last = window.buckets.last, now - last.start < width {
                window.buckets[window.buckets.count - 1].answers += 1
                if fellBack { window.buckets[window.buckets.count - 1].fallbacks += 1 }
            } else {
                window.buckets.append(Bucket(start: now, answers: 1, fallbacks: fellBack ? 1 : 0))
            }
            window.buckets.removeAll { now - $0.start >= over }
            windows[endpoint] = window
            let answers = window.buckets.reduce(0) { $0 + $1.answers }
            let fallbacks = window.buckets.reduce(0) { $0 + $1.fallbacks }
            guard answers >= Self.minimumAnswers else { return nil }
            let rate = Double(fallbacks) / Double(answers)
            return rate > above ? (rate, answers, fallbacks) : nil
        }
    }
}
