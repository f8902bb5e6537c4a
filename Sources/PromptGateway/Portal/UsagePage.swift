import EndpointModel
import Foundation

/// `GET /portal/usage`, for the admin: requests, errors, fallbacks, latency, tokens and cost per
/// endpoint, model and consumer over the last hour, day or week, as charts drawn here.
struct UsagePage {
    enum Window: String, CaseIterable {
        case hour, day, week

        var seconds: Int64 {
            switch self {
            case .hour: 3_600
            case .day: 86_400
            case .week: 604_800
            }
        }
    }

    struct WindowLink {
        var id: String
        var label: String
        var current: Bool
    }

    struct Chart {
        var title: String
        var svg: String
    }

    struct Group {
        var id: String
        var charts: [Chart]
    }

    var authorized: Bool
    var message: String?
    var windowName = ""
    var windows: [WindowLink] = []
    var empty = false
    var groups: [Group] = []

    /// The page that asks for the admin key, saying why when there is a reason.
    static func login(message: String?) -> UsagePage {
        UsagePage(authorized: false, message: message)
    }

    init(authorized: Bool, message: String?) {
        self.authorized = authorized
        self.message = message
    }

    init(records: [UsageRecord], window: Window) {
        authorized = true
        windowName = window.rawValue
        windows = Window.allCases.map { WindowLink(id: $0.rawValue, label: "last \($0.rawValue)", current: $0 == window) }
        empty = records.isEmpty
        guard !records.isEmpty else { return }
        groups = UsageReport.Grouping.allCases.filter { $0 != .via || records.contains { $0.via != nil } }.map { grouping in
            let rows = UsageReport.rows(records, by: grouping)
            return Group(id: grouping.rawValue, charts: Self.charts(rows, grouping: grouping))
        }
    }

    static let blue = "#2457c5", red = "#b3261e", amber = "#c27c0e", green = "#1c7c43", gray = "#8a93a6"

    static func charts(_ rows: [UsageReport.Row], grouping: UsageReport.Grouping) -> [Chart] {
        let by = grouping.rawValue
        let charts = [
            SVGBarChart(
                title: "Requests, errors and fallbacks by \(by)",
                series: [.init(name: "requests", color: blue), .init(name: "errors", color: red), .init(name: "fallbacks", color: amber)],
                rows: rows.map { .init(label: $0.group, values: [Double($0.requests), Double($0.errors), Double($0.fallbacks)]) }),
            SVGBarChart(
                title: "Latency by \(by) (ms)", series: [.init(name: "p50", color: green), .init(name: "p95", color: gray)],
                rows: rows.map { .init(label: $0.group, values: [Double($0.p50Ms), Double($0.p95Ms)]) }),
            SVGBarChart(
                title: "Tokens by \(by)", series: [.init(name: "input", color: blue), .init(name: "output", color: green)],
                rows: rows.map { .init(label: $0.group, values: [Double($0.inputTokens), Double($0.outputTokens)]) }),
            SVGBarChart(
                title: "Cost by \(by) (USD)", series: [.init(name: "cost", color: amber)],
                rows: rows.map { .init(label: $0.group, values: [$0.costUSD]) },
                format: { String(format: "%.4f", $0) }),
        ]
        return charts.map { Chart(title: $0.title, svg: $0.svg) }
    }
}
