/// Prometheus alerting rules over the gateway's own metrics (gateway-contract.md, Alerts:
/// `promptc alert-rules`): error rate, fallback rate, open circuits, latency, dropped usage
/// records and the shared database, for an operator who alerts from Prometheus rather than
/// (or as well as) from webhooks. The output is valid for `promtool check rules`.
public struct PrometheusAlertRules: Sendable {
    /// Alert when more than this share of an endpoint's requests end in a 5xx.
    public var errorRate: Double = 0.05
    /// Alert when more than this share of an endpoint's answers come from a fallback model.
    public var fallbackRate: Double = 0.2
    /// Alert when an endpoint's p95 latency is above this many seconds.
    public var p95Seconds: Double = 10
    /// The rate window, in Prometheus's duration syntax.
    public var window = "5m"

    public init() {}

    /// Whether `text` is a Prometheus duration promtool takes: digits and a unit, such as 5m.
    public static func isDuration(_ text: String) -> Bool {
        guard let unit = text.last, "smhdwy".contains(unit) else { return false }
        let digits = text.dropLast()
        return !digits.isEmpty && digits.allSatisfy(\.isASCII) && digits.allSatisfy(\.isNumber) && Int(digits).map { $0 > 0 } == true
    }

    public var yaml: String {
        let w = window
        return """
            # Prometheus alerting rules for promptc, from `promptc alert-rules`.
            groups:
              - name: promptc
                rules:
                  - alert: PromptcHighErrorRate
                    expr: |
                      sum by (endpoint) (rate(promptc_requests_total{status=~"5.."}[\(w)]))
                        / sum by (endpoint) (rate(promptc_requests_total[\(w)])) > \(errorRate)
                    for: \(w)
                    labels:
                      severity: critical
                    annotations:
                      summary: "{{ $labels.endpoint }}: {{ $value | humanizePercentage }} of requests end in a 5xx"
                  - alert: PromptcHighFallbackRate
                    expr: |
                      sum by (endpoint) (rate(promptc_fallbacks_total[\(w)]))
                        / sum by (endpoint) (rate(promptc_requests_total{status="200"}[\(w)])) > \(fallbackRate)
                    for: \(w)
                    labels:
                      severity: warning
                    annotations:
                      summary: "{{ $labels.endpoint }}: {{ $value | humanizePercentage }} of answers come from a fallback model"
                  - alert: PromptcCircuitOpen
                    expr: max by (model) (promptc_circuit_open) == 1
                    for: 1m
                    labels:
                      severity: critical
                    annotations:
                      summary: "{{ $labels.model }}: its circuit is open, calls go to the next model"
                  - alert: PromptcSlowEndpoint
                    expr: |
                      histogram_quantile(0.95, sum by (endpoint, le) (rate(promptc_request_duration_seconds_bucket[\(w)]))) > \(p95Seconds)
                    for: \(w)
                    labels:
                      severity: warning
                    annotations:
                      summary: "{{ $labels.endpoint }}: p95 latency {{ $value | humanizeDuration }}"
                  - alert: PromptcUsageRecordsDropped
                    expr: increase(promptc_usage_records_dropped_total[\(w)]) > 0
                    labels:
                      severity: critical
                    annotations:
                      summary: "usage records were dropped: the usage store did not keep up"
                  - alert: PromptcSharedStateDown
                    expr: promptc_shared_state_up == 0
                    for: 1m
                    labels:
                      severity: critical
                    annotations:
                      summary: "{{ $labels.instance }}: the shared database does not answer, limits are counted per replica"

            """
    }
}
