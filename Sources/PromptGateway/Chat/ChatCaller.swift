import EndpointModel
import Logging
import Synchronization

/// Calls one model for a chat completion: the request translated for its provider, sent plain
/// or streamed, the answer translated back and, for `response_format: json_schema`, checked
/// against the caller's schema (a model that breaks it is `invalid_output`, and the chain moves on).
struct ChatCaller: Sendable {
    let runtime: GatewayRuntime

    func call(_ step: ChainStep, _ chat: ChatRequest, timeout: Duration, streaming: StreamedAttempt?, requestID: String) async throws(AttemptFailure) -> ChatAnswer {
        let started = ContinuousClock.now
        runtime.upstreams.began(step.model)
        streaming?.progress(.began(model: step.model))
        let seen = StreamedChat()
        do throws(AttemptFailure) {
            let answer = try await exchange(step, chat, timeout: timeout, streaming: streaming, seen: seen, requestID: requestID)
            try check(answer, against: chat.responseFormat)
            runtime.upstreams.ended(step.model, outcome: "ok", ms: (ContinuousClock.now - started).milliseconds)
            return answer
        } catch {
            var failure = error
            // Once the client has part of this answer, no other model may continue it.
            if seen.sentTokens { failure.endsChain = true }
            let ms = (ContinuousClock.now - started).milliseconds
            streaming?.progress(.failed(model: step.model, outcome: failure.failureClass.rawValue))
            runtime.upstreams.ended(step.model, outcome: failure.failureClass.rawValue, ms: ms)
            runtime.logger.notice("attempt failed", metadata: [
                "request_id": .string(requestID), "endpoint": .string("chat:" + chat.model), "model": .string(step.model),
                "outcome": .string(failure.failureClass.rawValue), "ms": .stringConvertible(ms), "reason": .string(failure.message),
            ])
            throw failure
        }
    }

    private func exchange(
        _ step: ChainStep, _ chat: ChatRequest, timeout: Duration, streaming: StreamedAttempt?, seen: StreamedChat, requestID: String
    ) async throws(AttemptFailure) -> ChatAnswer {
        if step.provider.api == .mock {
            let answer = try MockChat.answer(chat, model: step.modelName)
            if let streaming { try await Self.streamMock(answer, to: streaming.progress, seen: seen) }
            return answer
        }
        guard let wire = ChatWires.wire(for: step.provider.api), let baseURL = step.provider.baseURL else {
            throw AttemptFailure(.connection, "provider '\(step.provider.name)' has no base_url")
        }
        var translated = chat
        translated.stream = streaming != nil
        let (request, dropped) = wire.request(translated, model: step.modelName, baseURL: baseURL, apiKey: step.apiKey)
        if !dropped.isEmpty {
            runtime.logger.info("fields not sent to this provider", metadata: [
                "request_id": .string(requestID), "model": .string(step.model), "fields": .string(dropped.joined(separator: ",")),
            ])
        }
        guard let streaming else {
            return try wire.answer(from: try await runtime.upstream.send(request, timeout: timeout))
        }
        let progress = streaming.progress
        try await runtime.upstream.stream(request, limits: streaming.limits, decoder: wire.streamDecoder()) { deltas in
            seen.add(deltas)
            progress(.stream(deltas))
        }
        return seen.answer
    }

    private func check(_ answer: ChatAnswer, against format: ChatRequest.ResponseFormat) throws(AttemptFailure) {
        guard case .jsonSchema(_, _, let validator) = format, answer.toolCalls.isEmpty else { return }
        _ = try AnswerParser.output(from: answer.content ?? "", validator: validator)
    }

    /// The mock's answer in a few pieces, as a provider would stream it.
    private static func streamMock(_ answer: ChatAnswer, to progress: ChainProgressSink, seen: StreamedChat) async throws(AttemptFailure) {
        var deltas: [[StreamDelta]] = []
        for piece in answer.content?.pieces(4) ?? [] { deltas.append([.content(piece)]) }
        for (index, call) in answer.toolCalls.enumerated() {
            deltas.append([.toolCall(index: index, id: call.id, name: call.name, arguments: call.arguments)])
        }
        deltas.append([.finish(reason: answer.finishReason), .usage(answer.usage)])
        for (index, batch) in deltas.enumerated() {
            if index > 0 {
                do { try await Task.sleep(for: .milliseconds(30)) } catch { throw AttemptFailure(.connection, "cancelled") }
            }
            seen.add(batch)
            progress(.stream(batch))
        }
    }
}

/// A streamed chat answer as it adds up, and whether any of it was a token the client was sent.
final class StreamedChat: Sendable {
    private let deltas = Mutex<[StreamDelta]>([])

    func add(_ batch: [StreamDelta]) {
        deltas.withLock { $0.append(contentsOf: batch) }
    }

    var sentTokens: Bool { deltas.withLock { $0.contains(where: \.isToken) } }
    var answer: ChatAnswer { ChatAnswer(deltas: deltas.withLock { $0 }) }
}
