import EndpointModel
import NIOHTTP1

/// Classifies a provider's non-2xx answer by its status, then by what the three wire formats
/// say in their error bodies (gateway-contract.md, Limits, timeouts and failure accounting):
/// Gemini's `API_KEY_INVALID` on a 400 is `auth`, Gemini's `RetryInfo.retryDelay` is read like
/// `Retry-After`, and OpenAI's `insufficient_quota` 429 moves on without retrying the model.
/// A redirect is never followed (a key must not reach another host): it is a `server_error`.
enum ProviderErrorClassifier {
    /// The longest provider message kept for logs and `attempts`.
    static let maximumMessageLength = 200

    static func classify(status: UInt, headers: HTTPHeaders, body: [UInt8]) -> AttemptFailure {
        let error = ProviderError(body)
        var failure = classify(status: status, error: error, retryAfterMs: retryAfterMs(headers) ?? error.retryDelayMs)
        failure.providerMessage = error.message
        return failure
    }

    private static func classify(status: UInt, error: ProviderError, retryAfterMs: Int?) -> AttemptFailure {
        let detail = "HTTP \(status)" + (error.code.map { " (\($0))" } ?? "")
        switch status {
        case 300..<400:
            return AttemptFailure(.serverError, "HTTP \(status): the provider redirected; redirects are not followed")
        case 429:
            var failure = AttemptFailure(.rateLimit, detail, retryAfterMs: retryAfterMs)
            if error.code == "insufficient_quota" {
                failure.retrySameModel = false
                failure.retryAfterMs = nil
            }
            return failure
        case 401, 403: return AttemptFailure(.auth, detail)
        case 408: return AttemptFailure(.timeout, detail)
        case 400 where error.reasons.contains("API_KEY_INVALID"): return AttemptFailure(.auth, detail)
        case 400..<500: return AttemptFailure(.badRequest, detail)
        default: return AttemptFailure(.serverError, detail, retryAfterMs: retryAfterMs)
        }
    }

    /// `retry-after-ms` (OpenAI) or `Retry-After` in seconds. HTTP-date values are not read:
    /// model providers send seconds. Values are capped at a day: the header comes from outside,
    /// and a deadline is far shorter.
    static func retryAfterMs(_ headers: HTTPHeaders) -> Int? {
        if let value = headers.first(name: "retry-after-ms").flatMap(Double.init) { return cappedMs(value) }
        if let value = headers.first(name: "retry-after").flatMap(Double.init) { return cappedMs(value * 1000) }
        return nil
    }

    static func cappedMs(_ value: Double) -> Int? {
        guard value.isFinite, value >= 0 else { return nil }
        return Int(min(value, 86_400_000))
    }

    /// What an error body says, in any of the three wire formats.
    struct ProviderError {
        /// `error.message`, cut short; it describes the request and never contains our key.
        var message: String?
        /// OpenAI's `error.code` or `error.type`.
        var code: String?
        /// Gemini's `ErrorInfo.reason`s.
        var reasons: Set<String> = []
        /// Gemini's `RetryInfo.retryDelay` (`"37s"`, `"1.5s"`), in milliseconds.
        var retryDelayMs: Int?

        init(_ body: [UInt8]) {
            guard !body.isEmpty, let value = try? JSONParser.parse(body), let error = value["error"] else { return }
            message = error["message"]?.stringValue.map { String($0.prefix(ProviderErrorClassifier.maximumMessageLength)) }
            code = (error["code"]?.stringValue ?? error["type"]?.stringValue).map { String($0.prefix(64)) }
            for detail in error["details"]?.arrayValue?.prefix(16) ?? [] {
                let type = detail["@type"]?.stringValue ?? ""
                if type.hasSuffix("ErrorInfo"), let reason = detail["reason"]?.stringValue { reasons.insert(reason) }
                if type.hasSuffix("RetryInfo"), let delay = detail["retryDelay"]?.stringValue, delay.hasSuffix("s"),
                   let seconds = Double(delay.dropLast()) {
                    retryDelayMs = ProviderErrorClassifier.cappedMs(seconds * 1000)
                }
            }
        }
    }
}
