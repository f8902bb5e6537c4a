import EndpointModel
import Foundation

/// One alert (gateway-contract.md, Alerts): what happened, how bad, what it is about, when,
/// and the figures behind it. Sent as one JSON POST.
struct Alert: Sendable {
    enum Severity: String, Sendable {
        case critical
        case warning
        case info
    }

    var event: AlertSettings.Event
    var severity: Severity
    var summary: String
    var endpoint: String?
    var model: String?
    var consumer: String?
    /// Tells apart alerts of one event about one subject that are not repeats (a budget's 80 %
    /// and 95 %).
    var detail: String?
    var figures: [String: JSONValue] = [:]
    var time = Date()

    /// Repeats are judged by this: the event and what it is about.
    var key: String {
        [event.rawValue, endpoint ?? "", model ?? "", consumer ?? "", detail ?? ""].joined(separator: "\u{1F}")
    }

    func json(replica: String) -> JSONValue {
        var fields: [String: JSONValue] = [
            "event": .string(event.rawValue), "severity": .string(severity.rawValue), "summary": .string(summary),
            "time": .string(OperationalRoutes.timestamp(time)), "figures": .object(figures), "replica": .string(replica),
        ]
        if let endpoint { fields["endpoint"] = .string(endpoint) }
        if let model { fields["model"] = .string(model) }
        if let consumer { fields["consumer"] = .string(consumer) }
        return .object(fields)
    }
}
