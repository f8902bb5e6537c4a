import EndpointModel
import Logging

/// Calls one model for a chat completion: the request translated for its provider, sent plain
/// or streamed, the answer translated back and, for `response_format: json_schema`, checked
/// against the caller's schema (a model that breaks it is `invalid_output`, and the chain moves on).
struct ChatCaller: Sendable {
    let runtime: GatewayRuntime

    /// `label` names the group in logs (`chat:GROUP`).
    func call(
        _ step: ChainStep, _ chat: ChatRequest, timeout: Duration, streaming: StreamedAttempt?, label: String, requestID: String,
        trace: RequestTrace?
    ) async throws(AttemptFailure) -> ChatAnswer {
        try await runtime.tracked(step, label: label, requestID: requestID, streaming: streaming, trace: trace, tokens: \.usage) {
            () throws(AttemptFailure) in
            let seen = StreamedAnswer()
            do throws(AttemptFailure) {
                let answer = try await exchange(step, chat, timeout: timeout, streaming: streaming, seen: seen, requestID: requestID)
                try check(answer, against: chat.responseFormat)
                return answer
            } catch {
                // Once the client has part of this answer, no other model may continue it.
                var failure = error
                if seen.sentTokens { failure.endsChain = true }
                throw failure
            }
        }
    }

    private func exchange(
        _ step: ChainStep, _ chat: ChatRequest, timeout: Duration, streaming: StreamedAttempt?, seen: StreamedAnswer, requestID: String
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
            _ = seen.apply(deltas)
            progress(.stream(deltas))
        }
        return seen.chatAnswer
    }

    private func check(_ answer: ChatAnswer, against format: ChatRequest.ResponseFormat) throws(AttemptFailure) {
        guard case .jsonSchema(_, _, let validator) = format, answer.toolCalls.isEmpty else { return }
        _ = try AnswerParser.output(from: answer.content ?? "", validator: validator)
    }

    /// The mock's answer in a few pieces, as a provider would stream it.
    private static func streamMock(_ answer: ChatAnswer, to progress: ChainProgressSink, seen: StreamedAnswer) async throws(AttemptFailure) {
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
            _ = seen.apply(batch)
            progress(.stream(batch))
        }
    }
}
