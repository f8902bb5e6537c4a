import Foundation
import EndpointModel

/// `promptc usage`: records grouped by endpoint, model, consumer or front (`via`), with the keys the contract
/// names for `--format json`.
public enum UsageReport {
    public enum Grouping: String, CaseIterable, Sendable {
        case endpoint, model, consumer, via
    }

    public struct Row: Sendable, Equatable {
        public var group: String
        public var requests = 0
        public var errors = 0
        public var fallbacks = 0
        public var inputTokens = 0
        public var outputTokens = 0
        public var costUSD = 0.0
        public var p50Ms = 0
        public var p95Ms = 0
    }

    /// What a record without a model, consumer or front is grouped under.
    public static let none = "(none)"

    public static func rows(_ records: [UsageRecord], by grouping: Grouping) -> [Row] {
        var groups: [String: [UsageRecord]] = [:]
        for record in records {
            let key: String? = switch grouping {
            case .endpoint: record.endpoint
            case .model: record.model
            case .consumer: record.consumer
            case .via: record.via
            }
            groups[key ?? none, default: []].append(record)
        }
        return groups.keys.sorted().map { key in
            let members = groups[key] ?? []
            var row = Row(group: key)
            for record in members {
                row.requests += 1
                if record.status >= 400 { row.errors += 1 }
                if record.fellBack { row.fallbacks += 1 }
                row.inputTokens += record.inputTokens
                row.outputTokens += record.outputTokens
                row.costUSD += record.costUSD
            }
            let latencies = members.map(\.latencyMs).sorted()
            row.p50Ms = percentile(latencies, 0.50)
            row.p95Ms = percentile(latencies, 0.95)
            return row
        }
    }

    /// The nearest-rank percentile.
    static func percentile(_ sorted: [Int], _ p: Double) -> Int {
        guard !sorted.isEmpty else { return 0 }
        let rank = Int((p * Double(sorted.count)).rounded(.up))
        return sorted[min(max(rank, 1), sorted.count) - 1]
    }

    public static func json(_ rows: [Row]) -> String {
        CanonicalJSON.render(.array(rows.map { row in
            [
                "group": .string(row.group), "requests": .integer(row.requests), "errors": .integer(row.errors),
                "fallbacks": .integer(row.fallbacks), "input_tokens": .integer(row.inputTokens),
                "output_tokens": .integer(row.outputTokens), "cost_usd": .number(row.costUSD), "p50_ms": .integer(row.p50Ms),
                "p95_ms": .integer(row.p95Ms),
            ]
        }))
    }

    public static func table(_ rows: [Row], groupTitle: String) -> String {
        let header = [groupTitle, "requests", "errors", "fallbacks", "input_tokens", "output_tokens", "cost_usd", "p50_ms", "p95_ms"]
        let cells = rows.map { row in
            [row.group, String(row.requests), String(row.errors), String(row.fallbacks), String(row.inputTokens),
             String(row.outputTokens), String(format6(row.costUSD)), String(row.p50Ms), String(row.p95Ms)]
        }
        let widths = header.indices.map { column in ([header] + cells).map { $0[column].count }.max() ?? 0 }
        return ([header] + cells).map { line in
            line.enumerated().map { column, text in
                column == 0 ? text.padding(toLength: widths[column], withPad: " ", startingAt: 0)
                    : String(repeating: " ", count: widths[column] - text.count) + text
            }.joined(separator: "  ")
        }.joined(separator: "\n") + "\n"
    }

    private static func format6(_ value: Double) -> String {
        let scaled = (value * 1_000_000).rounded()
        let whole = Int(scaled) / 1_000_000
        let fraction = String(Int(scaled) % 1_000_000)
        return "\(whole)." + String(repeating: "0", count: 6 - fraction.count) + fraction
    }
}
