import Foundation

/// A horizontal bar chart as SVG, drawn by the server: one row per group, one bar per series,
/// with the values written beside the bars, so the chart reads without scripts or colours.
struct SVGBarChart {
    struct Series {
        var name: String
        /// A CSS colour.
        var color: String
    }

    struct Row {
        var label: String
        var values: [Double]
    }

    var title: String
    var series: [Series]
    var rows: [Row]
    /// How a value is written beside its bar.
    var format: (Double) -> String = { value in
        value == value.rounded() ? String(Int(value)) : String(format: "%.2f", value)
    }

    static let width = 360.0
    static let labelWidth = 110.0
    static let valueWidth = 58.0
    static let barHeight = 12.0
    static let rowGap = 8.0

    var svg: String {
        let scale = rows.flatMap(\.values).max().map { $0 > 0 ? $0 : 1 } ?? 1
        let barsWidth = Self.width - Self.labelWidth - Self.valueWidth
        let rowHeight = Double(series.count) * Self.barHeight + Self.rowGap
        let legendHeight = 18.0
        let height = legendHeight + max(1, Double(rows.count)) * rowHeight + 4
        var parts: [String] = [
            ##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 \##(Int(Self.width)) \##(Int(height))" role="img" aria-label="\##(XMLText.escape(title))">"##,
            "<title>\(XMLText.escape(title))</title>",
        ]
        var legendX = 0.0
        for entry in series {
            parts.append(##"<rect x="\##(legendX)" y="3" width="10" height="10" fill="\##(entry.color)"/>"##)
            parts.append(##"<text x="\##(legendX + 14)" y="12" font-size="11" fill="#5b6475">\##(XMLText.escape(entry.name))</text>"##)
            legendX += 24 + Double(entry.name.count) * 6.5
        }
        if rows.isEmpty {
            parts.append(##"<text x="0" y="\##(legendHeight + 14)" font-size="12" fill="#5b6475">no requests</text>"##)
        }
        for (index, row) in rows.enumerated() {
            let top = legendHeight + Double(index) * rowHeight
            let label = row.label.count > 18 ? String(row.label.prefix(17)) + "…" : row.label
            parts.append(##"<text x="0" y="\##(top + Double(series.count) * Self.barHeight / 2 + 4)" font-size="11" fill="#1d2330">\##(XMLText.escape(label))</text>"##)
            for (position, value) in row.values.enumerated() where position < series.count {
                let y = top + Double(position) * Self.barHeight
                let length = max(value > 0 ? 1 : 0, barsWidth * value / scale)
                parts.append(##"<rect class="bar" x="\##(Self.labelWidth)" y="\##(y)" width="\##(Self.round(length))" height="\##(Self.barHeight - 2)" fill="\##(series[position].color)"><title>\##(XMLText.escape("\(row.label) \(series[position].name): \(format(value))"))</title></rect>"##)
                parts.append(##"<text x="\##(Self.round(Self.labelWidth + length + 4))" y="\##(y + Self.barHeight - 3)" font-size="10" fill="#1d2330">\##(XMLText.escape(format(value)))</text>"##)
            }
        }
        parts.append("</svg>")
        return parts.joined(separator: "\n")
    }

    private static func round(_ value: Double) -> String {
        String(format: "%.1f", value)
    }
}
