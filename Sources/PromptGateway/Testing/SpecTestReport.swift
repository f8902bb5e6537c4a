import EndpointModel
import Foundation

/// `promptc test`'s output: a line per case, the `--each-model` table, and JUnit XML.
public enum SpecTestReport {
    /// `PASS sentiment › example 1 (openai/gpt-4o-mini, 812 ms)`, then each failure indented,
    /// then the counts.
    public static func text(_ results: [SpecTestResult]) -> String {
        var text = ""
        for result in results {
            let on = result.modelUnderTest.map { " [\($0)]" } ?? ""
            let by = result.answeredBy.map { "\($0), " } ?? ""
            let unchecked = result.unchecked == 0 ? "" : ", \(result.unchecked) assert\(result.unchecked == 1 ? "" : "s") not checked under --mock"
            text += "\(result.passed ? "PASS" : "FAIL") \(result.endpoint) › \(result.caseName)\(on) (\(by)\(result.milliseconds) ms\(unchecked))\n"
            for failure in result.failures { text += "     \(failure)\n" }
        }
        let failed = results.count { !$0.passed }
        text += "\(results.count - failed) passed, \(failed) failed\n"
        return text
    }

    /// `--each-model`: per endpoint and model, the pass rate, p50 latency and cost of its cases.
    public static func modelTable(_ results: [SpecTestResult]) -> String {
        var rows: [[String]] = [["endpoint", "model", "passed", "pass rate", "p50 latency", "cost"]]
        var order: [String] = []
        var groups: [String: [SpecTestResult]] = [:]
        for result in results {
            let key = result.endpoint + "\u{0}" + (result.modelUnderTest ?? "chain")
            if groups[key] == nil { order.append(key) }
            groups[key, default: []].append(result)
        }
        for key in order {
            guard let group = groups[key], let first = group.first else { continue }
            let passed = group.count(where: \.passed)
            let latencies = group.map(\.milliseconds).sorted()
            rows.append([
                first.endpoint, first.modelUnderTest ?? "chain", "\(passed)/\(group.count)",
                "\(Int((Double(passed) / Double(group.count) * 100).rounded()))%",
                "\(latencies[(latencies.count - 1) / 2]) ms", String(format: "$%.6f", group.reduce(0) { $0 + $1.costUSD }),
            ])
        }
        let widths = (0..<6).map { column in rows.map { $0[column].count }.max() ?? 0 }
        return rows.map { row in
            row.enumerated().map { column, cell in
                column == 5 ? cell : cell + String(repeating: " ", count: widths[column] - cell.count + 2)
            }.joined()
        }.joined(separator: "\n") + "\n"
    }

    /// JUnit XML, as CI systems read it: a `testsuite` per endpoint (per endpoint and model
    /// with `--each-model`), a `testcase` per case with its `failure`.
    public static func junit(_ results: [SpecTestResult]) -> String {
        var suites: [String] = []
        var groups: [String: [SpecTestResult]] = [:]
        for result in results {
            let name = result.modelUnderTest.map { "\(result.endpoint) [\($0)]" } ?? result.endpoint
            if groups[name] == nil { suites.append(name) }
            groups[name, default: []].append(result)
        }
        let failures = results.count { !$0.passed }
        var xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        xml += "<testsuites name=\"promptc test\" tests=\"\(results.count)\" failures=\"\(failures)\" errors=\"0\" time=\"\(seconds(results))\">\n"
        for suite in suites {
            let group = groups[suite] ?? []
            xml += "  <testsuite name=\"\(XMLText.escape(suite))\" tests=\"\(group.count)\" failures=\"\(group.count { !$0.passed })\" errors=\"0\" skipped=\"0\" time=\"\(seconds(group))\">\n"
            for result in group {
                xml += "    <testcase classname=\"\(XMLText.escape(suite))\" name=\"\(XMLText.escape(result.caseName))\" time=\"\(seconds([result]))\""
                guard !result.passed else {
                    xml += "/>\n"
                    continue
                }
                xml += ">\n      <failure message=\"\(XMLText.escape(result.failures.first ?? ""))\" type=\"promptc.test\">\(XMLText.escape(result.failures.joined(separator: "\n")))</failure>\n    </testcase>\n"
            }
            xml += "  </testsuite>\n"
        }
        return xml + "</testsuites>\n"
    }

    private static func seconds(_ results: [SpecTestResult]) -> String {
        String(format: "%.3f", Double(results.reduce(0) { $0 + $1.milliseconds }) / 1000)
    }
}
