import HTTPTypes
import Hummingbird

/// With consumers configured, a prompt endpoint answers only a consumer's key, sent as
/// `Authorization: Bearer KEY` or `x-api-key: KEY`: 401 `unauthorized` without a known key, 403
/// `forbidden` for an endpoint outside the consumer's list, 429 `rate_limited` over its limits.
/// Answers to a consumer with a limit carry `RateLimit-Limit`, `-Remaining` and `-Reset`.
/// The operational routes stay open: health checks and scrapers carry no keys.
struct ConsumerAuthMiddleware: RouterMiddleware {
    typealias Context = GatewayRequestContext

    static let apiKeyHeader = HTTPField.Name("x-api-key")!
    static let limitHeader = HTTPField.Name("RateLimit-Limit")!
    static let remainingHeader = HTTPField.Name("RateLimit-Remaining")!
    static let resetHeader = HTTPField.Name("RateLimit-Reset")!

    let directory: ConsumerDirectory
    /// Endpoint names by path.
    let endpoints: [String: String]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let endpoint = endpoints[request.uri.path] else { return try await next(request, context) }
        guard let key = Self.presentedKey(request.headers) else {
            throw Self.unauthorized("this endpoint needs a consumer key: send Authorization: Bearer KEY or x-api-key: KEY")
        }
        guard let entry = directory.entry(forKey: key) else { throw Self.unauthorized("the key is not a consumer's key") }
        guard entry.endpoints?.contains(endpoint) ?? true else {
            throw GatewayError(status: .forbidden, type: "forbidden", message: "consumer '\(entry.consumer.name)' may not call \(endpoint)")
        }
        var context = context
        context.consumer = entry
        guard let limits = entry.limits else { return try await next(request, context) }
        let decision = limits.admit()
        guard decision.allowed else {
            var error = GatewayError(
                status: .tooManyRequests, type: "rate_limited",
                message: "consumer '\(entry.consumer.name)' is over its limit; retry in \(decision.resetSeconds) s")
            error.headers = Self.headers(decision)
            error.headers[.retryAfter] = String(decision.resetSeconds)
            throw error
        }
        var response = try await next(request, context)
        for field in Self.headers(decision) { response.headers.append(field) }
        return response
    }

    static func presentedKey(_ headers: HTTPFields) -> String? {
        if let authorization = headers[.authorization] {
            let parts = authorization.split(separator: " ", maxSplits: 1)
            if parts.count == 2, parts[0].lowercased() == "bearer" {
                let key = parts[1].trimmingCharacters(in: .whitespaces)
                if !key.isEmpty { return key }
            }
        }
        if let key = headers[apiKeyHeader], !key.isEmpty { return key }
        return nil
    }

    static func headers(_ decision: ConsumerLimits.Decision) -> HTTPFields {
        [limitHeader: String(decision.limit), remainingHeader: String(decision.remaining), resetHeader: String(decision.resetSeconds)]
    }

    static func unauthorized(_ message: String) -> GatewayError {
        var error = GatewayError(status: .unauthorized, type: "unauthorized", message: message)
        error.headers[.wwwAuthenticate] = "Bearer"
        return error
    }
}
