import EndpointModel
import Foundation

/// `promptc drill`'s report: per endpoint, a row per run, then the coverage.
public enum DrillReport {
    public static func text(_ results: [DrillResult]) -> String {
        var text = ""
        var endpoints: [String] = []
        for result in results where !endpoints.contains(result.endpoint) { endpoints.append(result.endpoint) }
        for name in endpoints {
            let rows = results.filter { $0.endpoint == name }
            guard let first = rows.first else { continue }
            text += "\(name) (deadline \(first.deadlineMs) ms)\n"
            let stepWidth = rows.map { stepLabel($0).count }.max() ?? 0
            let classWidth = max(rows.map { ($0.failure?.rawValue ?? "-").count }.max() ?? 0, 5)
            text += "  " + pad("failing step", stepWidth) + "  " + pad("class", classWidth) + "  result\n"
            for row in rows {
                let outcome = if let model = row.answeredBy {
                    "answered by \(model) in \(row.milliseconds) ms (\(percent(row)) of the deadline)"
                } else {
                    "FAILED after \(row.milliseconds) ms: \(row.error ?? "no answer")"
                }
                text += "  " + pad(stepLabel(row), stepWidth) + "  " + pad(row.failure?.rawValue ?? "-", classWidth) + "  " + outcome + "\n"
            }
            text += "\n"
        }
        let drills = results.filter { $0.step != nil }
        let survived = drills.count(where: \.survived)
        text += "coverage: \(survived) of \(drills.count) single failures survived"
        let broken = results.filter { $0.step == nil && !$0.survived }.map(\.endpoint)
        if !broken.isEmpty { text += "; \(broken.joined(separator: ", ")) failed with nothing injected" }
        return text + "\n"
    }

    /// Whether every endpoint answered every run: the drill's exit 0.
    public static func passed(_ results: [DrillResult]) -> Bool {
        results.allSatisfy(\.survived)
    }

    private static func stepLabel(_ result: DrillResult) -> String {
        guard let step = result.step, let model = result.model else { return "none" }
        return "\(step + 1) \(model)"
    }

    private static func percent(_ result: DrillResult) -> String {
        guard result.deadlineMs > 0 else { return "-" }
        return "\(Int((Double(result.milliseconds) / Double(result.deadlineMs) * 100).rounded()))%"
    }

    private static func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
    }
}
