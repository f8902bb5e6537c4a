import EndpointModel
import Synchronization

/// A streamed answer put together from its deltas: the text a prompt endpoint parses (the
/// model's content, or its forced tool's arguments) and the last token counts.
final class StreamedAnswer: Sendable {
    private struct State {
        var text = ""
        var usage = TokenUsage()
    }

    private let state = Mutex(State())

    /// Adds `deltas`; returns the pieces of answer text they carried.
    func apply(_ deltas: [StreamDelta]) -> [String] {
        state.withLock { state in
            var pieces: [String] = []
            for delta in deltas {
                switch delta {
                case .content(let text), .toolCall(_, _, _, let text):
                    guard !text.isEmpty else { continue }
                    state.text += text
                    pieces.append(text)
                case .usage(let usage):
                    state.usage = usage
                case .finish:
                    break
                }
            }
            return pieces
        }
    }

    var modelAnswer: ModelAnswer {
        state.withLock { ModelAnswer(text: $0.text, usage: $0.usage) }
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
