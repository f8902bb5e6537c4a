import EndpointModel
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// The OpenAI-compatible front (gateway-contract.md, The OpenAI-compatible API):
/// `POST /v1/chat/completions`, plain and streamed, and `GET /v1/models`. It decodes OpenAI's
/// request for `ChatPipeline` and encodes the answer, the chunks and the errors in OpenAI's
/// shapes. A request whose chain was exhausted says `x-should-retry: false`, so SDKs do not run
/// the whole chain again.
struct ChatFront: RouterMiddleware {
    typealias Context = GatewayRequestContext

    static let completionsPath = "/v1/chat/completions"
    static let modelsPath = "/v1/models"
    static let shouldRetryHeader = HTTPField.Name("x-should-retry")!

    let cores: CoreHolder
    let responder: EventStreamResponder
    let watches: ConnectionWatchRegistry
    let maxBodyBytes: Int

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        switch (request.method, request.uri.path) {
        case (.post, Self.completionsPath):
            do {
                return try await completions(request, context: context)
            } catch {
                throw Self.openAI(GatewayError.from(error))
            }
        case (.get, Self.modelsPath), (.head, Self.modelsPath):
            do {
                return try models(request, core: cores.core(for: context))
            } catch {
                throw Self.openAI(GatewayError.from(error))
            }
        default:
            return try await next(request, context)
        }
    }

    private func completions(_ request: Request, context: Context) async throws -> Response {
        context.outcome.update { $0.front = "openai" }
        let chat = try ChatRequestDecoder.decode(try await RESTFront.readJSON(request, limit: maxBodyBytes))
        let key = ConsumerStage.presentedKey(request.headers)
        let requestID = context.requestID
        let outcome = context.outcome
        let pipeline = cores.core(for: context).chat
        if chat.stream {
            let planner = ChatChunkPlanner(
                id: Self.completionID(requestID), model: chat.model, created: Int(Date().timeIntervalSince1970), includeUsage: chat.includeUsage)
            return try await responder.respond(planner: planner, outcome: outcome, channel: context.channel, requestID: requestID) { progress in
                try await pipeline.run(chat, key: key, requestID: requestID, progress: progress, outcome: outcome)
            }
        }
        return try await watches.cancellingOnDisconnect(context.channel) {
            try await Self.completion(chat, pipeline: pipeline, key: key, requestID: requestID, outcome: outcome)
        }.response
    }

    /// A completion that is not streamed, answered whole in OpenAI's shape.
    static func completion(
        _ chat: ChatRequest, pipeline: ChatPipeline, key: String?, requestID: String, outcome: RequestOutcome
    ) async throws -> PlainAnswer {
        let created = Int(Date().timeIntervalSince1970)
        let answer = try await pipeline.run(chat, key: key, requestID: requestID, progress: nil, outcome: outcome)
        var headers: HTTPFields = [:]
        headers[PromptHeaders.model] = answer.model
        headers[PromptHeaders.attempts] = String(answer.calls)
        return PlainAnswer(headers: headers, json: answer.answer.completion(id: completionID(requestID), model: chat.model, created: created))
    }

    /// OpenAI's completion id, from the request id.
    static func completionID(_ requestID: String) -> String {
        "chatcmpl-" + requestID.replacingOccurrences(of: "-", with: "")
    }

    /// The names this caller may send as `model`: groups and pools (those on its allow-list, for
    /// a consumer with one), and, for callers without one, the models the configuration names.
    private func models(_ request: Request, core: GatewayCore) throws(GatewayError) -> Response {
        let pipeline = core.chat, consumers = core.consumers
        var names = pipeline.targets.names
        if !consumers.isEmpty {
            guard let key = ConsumerStage.presentedKey(request.headers) else {
                throw ConsumerStage.unauthorized("send a consumer key: Authorization: Bearer KEY or x-api-key: KEY")
            }
            guard let entry = consumers.entry(forKey: key) else { throw ConsumerStage.unauthorized("the key is not a consumer's key") }
            if let allowed = entry.endpoints { names = names.filter(allowed.contains) } else { names += pipeline.targets.knownModels }
        } else {
            names += pipeline.targets.knownModels
        }
        let data: [JSONValue] = names.map { ["id": .string($0), "object": "model", "created": 0, "owned_by": "promptc"] }
        return Response(status: .ok, headers: [.contentType: "application/json"], body: .json(["object": "list", "data": .array(data)]))
    }

    /// An error in OpenAI's shape; a chain that ran out says not to retry it.
    static func openAI(_ error: GatewayError) -> GatewayError {
        var error = error
        error.openAIShape = true
        if ["upstream_failed", "no_healthy_upstream", "deadline_exceeded"].contains(error.type) {
            error.headers[shouldRetryHeader] = "false"
        }
        return error
    }
}
