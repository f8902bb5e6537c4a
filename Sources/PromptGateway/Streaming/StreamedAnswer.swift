import EndpointModel
import Synchronization

/// A streamed answer put together from its deltas, read two ways: the text a prompt endpoint
/// parses (the model's content and its forced tool's arguments, in order) with the last token
/// counts, and the chat answer the deltas add up to.
final class StreamedAnswer: Sendable {
    private let deltas = Mutex<[StreamDelta]>([])

    /// Adds `deltas`; returns the pieces of answer text they carried.
    func apply(_ batch: [StreamDelta]) -> [String] {
        deltas.withLock { $0.append(contentsOf: batch) }
        return batch.compactMap(\.text)
    }

    /// Whether any delta was something the model wrote (as the client may have seen it).
    var sentTokens: Bool { deltas.withLock { $0.contains(where: \.isToken) } }

    var modelAnswer: ModelAnswer {
        deltas.withLock { deltas in
            var usage = TokenUsage()
            for case .usage(let counted) in deltas { usage = counted }
            return ModelAnswer(text: deltas.compactMap(\.text).joined(), usage: usage)
        }
    }

    var chatAnswer: ChatAnswer { ChatAnswer(deltas: deltas.withLock { $0 }) }
}

extension StreamDelta {
    /// The answer text the delta carries, if any.
    var text: String? {
        switch self {
        case .content(let text), .toolCall(_, _, _, let text): text.isEmpty ? nil : text
        case .finish, .usage: nil
        }
    }
}

extension String {
    /// The text cut into at most `count` pieces of about equal length (the mock's streamed answers).
    func pieces(_ count: Int) -> [String] {
        let characters = Array(self)
        let size = Swift.max(1, (characters.count + count - 1) / Swift.max(count, 1))
        return stride(from: 0, to: characters.count, by: size).map { String(characters[$0..<Swift.min($0 + size, characters.count)]) }
    }
}
