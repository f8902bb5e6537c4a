import EndpointModel
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// The request pipeline of one endpoint (gateway-contract.md, Request pipeline): media type,
/// body limit, JSON, input validation, templates over the validated input with defaults, the
/// fallback chain, and the output.
struct EndpointHandler: Sendable {
    static let modelHeader = HTTPField.Name("x-promptc-model")!
    static let attemptsHeader = HTTPField.Name("x-promptc-attempts")!
    static let cacheHeader = HTTPField.Name("x-promptc-cache")!

    let endpoint: ServedEndpoint
    let runtime: GatewayRuntime
    let metrics: EndpointMetrics
    let usage: UsageRecorder?

    init(endpoint: ServedEndpoint, runtime: GatewayRuntime, usage: UsageRecorder? = nil) {
        self.endpoint = endpoint
        self.runtime = runtime
        self.usage = usage
        metrics = runtime.metrics.endpoint(endpoint.name, models: endpoint.chain.steps.flatMap { $0.pool?.members.map(\.model) ?? [$0.model] })
    }

    func handle(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let started = ContinuousClock.now
        var status = 500
        var model: String?
        var calls = 0
        // Set for an endpoint with a cache: the request's key, and whether it may read the cache.
        var cacheKey: [UInt8]?
        var mayReadCache = false
        // For the usage record.
        var tokens = TokenUsage()
        var cacheOutcome: String?
        var fellBack = false
        let startedAt = Date()
        defer {
            let nanoseconds = (ContinuousClock.now - started).nanoseconds
            metrics.request(status: status, nanoseconds: nanoseconds)
            if let usage {
                let cost = model.flatMap { runtime.pricing[$0] }?.cost(input: tokens.input, output: tokens.output) ?? 0
                usage.record(UsageRecord(
                    timeMs: Int64(startedAt.timeIntervalSince1970 * 1000), requestID: context.requestID, endpoint: endpoint.name,
                    consumer: context.consumer?.consumer.name, model: model, attempts: calls, status: status,
                    inputTokens: tokens.input, outputTokens: tokens.output, costUSD: cost, latencyMs: Int(nanoseconds / 1_000_000),
                    cache: cacheOutcome, fellBack: fellBack))
            }
            var metadata: Logger.Metadata = [
                "request_id": .string(context.requestID), "endpoint": .string(endpoint.name),
                "status": .stringConvertible(status), "latency_ms": .stringConvertible(nanoseconds / 1_000_000),
                "attempts": .stringConvertible(calls),
            ]
            if let model { metadata["model"] = .string(model) }
            runtime.logger.info("request", metadata: metadata)
        }
        do {
            let input = try await readInput(request, context: context)
            let rendered = endpoint.definition.input.fillingDefaults(input)
            if let policy = endpoint.definition.cache, policy.ttlMs != nil {
                let key = ResponseCache.key(endpoint: endpoint.name, specSHA256: endpoint.definition.specSHA256, input: rendered)
                cacheKey = key
                mayReadCache = !Self.asksNoCache(request.headers)
                if mayReadCache, case .fresh(let entry) = runtime.cache.lookup(key) {
                    status = 200
                    model = entry.model
                    cacheOutcome = "hit"
                    return cachedResponse(entry, outcome: "hit")
                }
            }
            let system = endpoint.systemTemplate?.render(rendered)
            let user = endpoint.userTemplate.render(rendered)
            if runtime.logPrompts {
                runtime.logger.info("prompt", metadata: [
                    "request_id": .string(context.requestID), "system": .string(system ?? ""), "user": .string(user),
                ])
            }
            let (requestID, eventLoop) = (context.requestID, context.channel.eventLoop)
            // A `hash` pool keeps a consumer on one member (and its prompt cache); without
            // consumers, requests spread by their id.
            let affinity = context.consumer?.consumer.name ?? requestID
            let answer = try await runtime.watches.cancellingOnDisconnect(context.channel) { [endpoint, runtime, metrics] in
                try await runtime.runChain(
                    endpoint, metrics: metrics, system: system, user: user, requestID: requestID, eventLoop: eventLoop,
                    affinity: affinity)
            }
            status = 200
            model = answer.model
            calls = answer.calls
            tokens = answer.usage
            fellBack = answer.attempts.contains { $0.model != answer.model }
            context.consumer?.limits?.spend(tokens: answer.usage.input + answer.usage.output)
            var headers: HTTPFields = [.contentType: "application/json"]
            headers[Self.modelHeader] = answer.model
            headers[Self.attemptsHeader] = String(answer.calls)
            let body = ByteBuffer(string: CanonicalJSON.render(answer.output, pretty: false))
            if let cacheKey, let policy = endpoint.definition.cache {
                runtime.cache.store(cacheKey, body: body, model: answer.model, policy: policy)
                headers[Self.cacheHeader] = "miss"
                cacheOutcome = "miss"
                metrics.cache(outcome: "miss")
            }
            return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: body))
        } catch let error as GatewayError {
            status = Int(error.status.code)
            calls = error.attempts?.count { $0.isCall } ?? 0
            throw error
        } catch let failure as ChainFailure {
            // stale_if_error: an expired answer stands in for a chain that failed.
            if mayReadCache, let cacheKey, case .stale(let entry) = runtime.cache.lookup(cacheKey) {
                status = 200
                model = entry.model
                cacheOutcome = "stale"
                return cachedResponse(entry, outcome: "stale")
            }
            let error = GatewayError.from(failure)
            status = Int(error.status.code)
            calls = error.attempts?.count { $0.isCall } ?? 0
            throw error
        } catch is ConnectionWatchRegistry.ClientGone {
            // Nobody is left to read an answer; 499 is nginx's name for this, used in logs and metrics.
            status = 499
            return Response(status: .init(code: 499, reasonPhrase: "Client Closed Request"))
        }
    }

    private func cachedResponse(_ entry: ResponseCache.Entry, outcome: String) -> Response {
        metrics.cache(outcome: outcome)
        var headers: HTTPFields = [.contentType: "application/json"]
        headers[Self.modelHeader] = entry.model
        headers[Self.attemptsHeader] = "0"
        headers[Self.cacheHeader] = outcome
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: entry.body))
    }

    /// `Cache-Control: no-cache`: the client wants a fresh answer, not one from the cache.
    static func asksNoCache(_ headers: HTTPFields) -> Bool {
        guard let value = headers[.cacheControl]?.lowercased() else { return false }
        return value.split(separator: ",").contains { directive in
            let name = directive.trimmingCharacters(in: .whitespaces)
            return name == "no-cache"
        }
    }

    /// The body as a JSON value that passed the input schema, or the 4xx that says why not.
    private func readInput(_ request: Request, context: GatewayRequestContext) async throws -> JSONValue {
        let contentType = request.headers[.contentType]
        guard let contentType, Self.isJSON(contentType) else { throw GatewayError.unsupportedMediaType(contentType) }
        let limit = runtime.maxBodyBytes
        if let length = request.headers[.contentLength].flatMap(Int.init), length > limit {
            throw GatewayError.payloadTooLarge(limit: limit)
        }
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: limit)
        } catch is NIOTooManyBytesError {
            throw GatewayError.payloadTooLarge(limit: limit)
        } catch let error as HTTPError where error.status == .contentTooLarge {
            throw GatewayError.payloadTooLarge(limit: limit)
        }
        let value: JSONValue
        do {
            value = try JSONParser.parse(body.readableBytesView)
        } catch {
            throw GatewayError.invalidRequest("the body is not valid JSON: \(error)")
        }
        let violations = endpoint.inputValidator.validate(value)
        guard violations.isEmpty else {
            let count = Set(violations.map(\.path)).count
            throw GatewayError.invalidRequest(count == 1 ? "1 field is invalid" : "\(count) fields are invalid", details: violations)
        }
        return value
    }

    /// `application/json`, with parameters, or any `+json` type.
    static func isJSON(_ contentType: String) -> Bool {
        if contentType == "application/json" { return true }  // nearly every request: skip the parsing below
        let mediaType = contentType.split(separator: ";", maxSplits: 1).first?.trimmingCharacters(in: .whitespaces).lowercased() ?? ""
        return mediaType == "application/json" || (mediaType.hasPrefix("application/") && mediaType.hasSuffix("+json"))
    }
}
