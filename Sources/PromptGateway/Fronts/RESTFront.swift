import EndpointModel
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// The REST front (gateway-contract.md, Request pipeline): `POST` a JSON body to an endpoint's
/// path, get its output as the JSON body. It decodes the wire format (media type, size, JSON)
/// for the core, calls `PromptPipeline`, and encodes its answer with the `x-promptc-*` headers.
///
/// Endpoints are found by exact path in a dictionary: Hummingbird's trie searched its children
/// one by one as routes were added, 50 ms of start-up for 1,000 endpoints. `RouteGuardMiddleware`
/// runs first and has already answered unknown paths and wrong methods.
///
/// Most plain requests never reach it: `DirectFrontHandler` answers them before the router with
/// this front's pieces (`checkJSONHeaders`, `parseJSON`, `plainAnswer`). It sees streams, and
/// pages' requests under `cors:`.
struct RESTFront: RouterMiddleware {
    typealias Context = GatewayRequestContext

    let cores: CoreHolder
    let watches: ConnectionWatchRegistry
    let maxBodyBytes: Int
    let stream: SSEFront

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let core = cores.core(for: context)
        guard request.method == .post, let endpoint = core.endpointsByPath[request.uri.path] else { return try await next(request, context) }
        let pipeline = core.prompts
        let limit = maxBodyBytes
        let pipelineRequest = PipelineRequest(
            endpoint: endpoint, requestID: context.requestID, key: ConsumerStage.presentedKey(request.headers),
            noCache: Self.asksNoCache(request.headers), eventLoop: context.channel.eventLoop,
            readInput: { try await Self.readJSON(request, limit: limit) })
        let outcome = context.outcome
        if SSEFront.wantsStream(request.headers) {
            return try await stream.respond(pipelineRequest, pipeline: pipeline, outcome: outcome, channel: context.channel)
        }
        let answer = try await watches.cancellingOnDisconnect(context.channel) { [pipeline] in
            try await pipeline.run(pipelineRequest, outcome: outcome)
        }
        return Self.plainAnswer(answer).response
    }

    /// The pipeline's answer on the wire: its JSON, and which model answered after how many calls.
    static func plainAnswer(_ answer: PipelineAnswer) -> PlainAnswer {
        var headers: HTTPFields = [:]
        headers[PromptHeaders.model] = answer.model
        headers[PromptHeaders.attempts] = String(answer.calls)
        if let cache = answer.cache { headers[PromptHeaders.cache] = cache }
        return PlainAnswer(headers: headers, json: answer.body)
    }

    /// The body as JSON, or the 4xx that says why not: 415 for a media type that is not JSON,
    /// 413 over the size limit, 400 for JSON that does not parse.
    static func readJSON(_ request: Request, limit: Int) async throws -> JSONValue {
        try checkJSONHeaders(request.headers, limit: limit)
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: limit)
        } catch is NIOTooManyBytesError {
            throw GatewayError.payloadTooLarge(limit: limit)
        } catch let error as HTTPError where error.status == .contentTooLarge {
            throw GatewayError.payloadTooLarge(limit: limit)
        }
        return try parseJSON(body)
    }

    /// What the head alone tells of a JSON body: 415 for a media type that is not JSON, 413 for
    /// an announced length over the limit.
    static func checkJSONHeaders(_ headers: HTTPFields, limit: Int) throws(GatewayError) {
        let contentType = headers.value(.contentType)
        guard let contentType, isJSON(contentType) else { throw GatewayError.unsupportedMediaType(contentType) }
        if let length = headers.value(.contentLength).flatMap(Int.init), length > limit {
            throw GatewayError.payloadTooLarge(limit: limit)
        }
    }

    /// A whole body as JSON, or 400.
    static func parseJSON(_ body: ByteBuffer) throws(GatewayError) -> JSONValue {
        do {
            return try JSONParser.parse(body.readableBytesView)
        } catch {
            throw GatewayError.invalidRequest("the body is not valid JSON: \(error)")
        }
    }

    /// `application/json`, with parameters, or any `+json` type.
    static func isJSON(_ contentType: String) -> Bool {
        if contentType == "application/json" { return true }  // nearly every request: skip the parsing below
        let mediaType = contentType.split(separator: ";", maxSplits: 1).first?.trimmingCharacters(in: .whitespaces).lowercased() ?? ""
        return mediaType == "application/json" || (mediaType.hasPrefix("application/") && mediaType.hasSuffix("+json"))
    }

    /// `Cache-Control: no-cache`: the client wants a fresh answer, not one from the cache.
    static func asksNoCache(_ headers: HTTPFields) -> Bool {
        guard let value = headers.value(.cacheControl)?.lowercased() else { return false }
        return value.split(separator: ",").contains { $0.trimmingCharacters(in: .whitespaces) == "no-cache" }
    }
}
