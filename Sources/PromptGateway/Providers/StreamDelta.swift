import EndpointModel

/// One piece of a model's streamed answer, in the same terms for every wire format.
enum StreamDelta: Sendable, Equatable {
    /// Text the model wrote.
    case content(String)
    /// A piece of tool call `index`: its id and name come with its first piece, then the
    /// arguments' JSON text a fragment at a time.
    case toolCall(index: Int, id: String?, name: String?, arguments: String)
    /// Why the model stopped, in OpenAI's words: `stop`, `length`, `tool_calls`, `content_filter`.
    case finish(reason: String)
    /// The tokens the provider counted; a later count replaces an earlier one.
    case usage(TokenUsage)
}

/// Reads one provider's stream events into `StreamDelta`s. A decoder is a value with the
/// little state its format needs; `isComplete` says whether the provider marked the answer's end,
/// so a stream that just stops is a failure, not an answer.
protocol ProviderStreamDecoder: Sendable {
    mutating func decode(_ event: ServerSentEvent) throws(AttemptFailure) -> [StreamDelta]
    var isComplete: Bool { get }
}

extension ProviderErrorClassifier {
    /// An error sent inside a 200 stream (`{"error": {...}}`, or Anthropic's `error` event),
    /// classified by its type or code as the status would have been.
    static func classifyStreamError(_ error: JSONValue?) -> AttemptFailure {
        let type = (error?["type"]?.stringValue ?? error?["status"]?.stringValue ?? error?["code"]?.stringValue ?? "").lowercased()
        let code = error?["code"]?.intValue
        var failure: AttemptFailure
        if type.contains("rate_limit") || type.contains("resource_exhausted") || code == 429 {
            failure = AttemptFailure(.rateLimit, "the provider sent an error inside the stream (\(type))")
        } else if type.contains("authentication") || type.contains("permission") || type.contains("unauthenticated") || code == 401 || code == 403 {
            failure = AttemptFailure(.auth, "the provider sent an error inside the stream (\(type))")
        } else if type.contains("invalid_request") || type == "invalid_argument" || code == 400 {
            failure = AttemptFailure(.badRequest, "the provider sent an error inside the stream (\(type))")
        } else {
            failure = AttemptFailure(.serverError, "the provider sent an error inside the stream\(type.isEmpty ? "" : " (\(type))")")
        }
        failure.providerMessage = error?["message"]?.stringValue.map { String($0.prefix(maximumMessageLength)) }
        return failure
    }
}

extension ServerSentEvent {
    /// The event's data as JSON; `invalid_output` when a provider sends anything else.
    func json() throws(AttemptFailure) -> JSONValue {
        guard let value = try? JSONParser.parse(data) else {
            throw AttemptFailure(.invalidOutput, "a stream event's data is not JSON")
        }
        return value
    }
}
