/// What a streamed chain tells its front as it runs: an attempt began, its model wrote more of
/// the answer, it failed. The front turns these into `partial` and `fallback` events.
enum ChainProgress: Sendable, Equatable {
    /// An attempt on `model` (a pool's member, when the step is a pool) began.
    case began(model: String)
    /// The model wrote this much more of its answer's text.
    case delta(String)
    /// The model sent these pieces of a chat answer (the OpenAI-compatible API streams them as they are).
    case stream([StreamDelta])
    /// The attempt on `model` failed with `outcome` (a failure class).
    case failed(model: String, outcome: String)
}

typealias ChainProgressSink = @Sendable (ChainProgress) -> Void
