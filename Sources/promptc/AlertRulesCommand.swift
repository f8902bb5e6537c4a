import ArgumentParser
import PromptGateway

struct AlertRulesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "alert-rules",
        abstract: "Print Prometheus alerting rules over the gateway's metrics.",
        discussion: """
            Error rate, fallback rate, open circuits, p95 latency, dropped usage records and the
            shared database, as one rules file for Prometheus (check it with promtool check rules).

            Examples:
              promptc alert-rules > promptc-rules.yml
              promptc alert-rules --error-rate 0.01 --window 10m
            """)

    @Option(help: "Alert when more than this share of an endpoint's requests end in a 5xx.")
    var errorRate: Double = 0.05

    @Option(help: "Alert when more than this share of an endpoint's answers come from a fallback model.")
    var fallbackRate: Double = 0.2

    @Option(help: "Alert when an endpoint's p95 latency is above this many seconds.")
    var p95Seconds: Double = 10

    @Option(help: "The window rates are taken over, as Prometheus writes durations (5m, 1h).")
    var window = "5m"

    func validate() throws {
        for (name, value) in [("--error-rate", errorRate), ("--fallback-rate", fallbackRate)] where !(value > 0 && value < 1) {
            throw ValidationError("\(name) must be a fraction between 0 and 1, not \(value)")
        }
        guard p95Seconds > 0, p95Seconds.isFinite else { throw ValidationError("--p95-seconds must be a positive number") }
        guard PrometheusAlertRules.isDuration(window) else { throw ValidationError("--window '\(window)' is not a duration such as 5m") }
    }

    func run() throws {
        var rules = PrometheusAlertRules()
        rules.errorRate = errorRate
        rules.fallbackRate = fallbackRate
        rules.p95Seconds = p95Seconds
        rules.window = window
        print(rules.yaml, terminator: "")
    }
}
