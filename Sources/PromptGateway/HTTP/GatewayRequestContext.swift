import Hummingbird
import NIOCore

/// Per-request state: the request id every answer carries, and the connection, so a model
/// call can be cancelled when the client goes away.
public struct GatewayRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public var requestID: String
    let channel: any Channel
    /// The consumer whose key the request carried, when consumers are configured.
    var consumer: ConsumerDirectory.Entry?
    /// What happened to the request, filled in as it goes; set by `RequestRecorder`.
    var outcome: RequestOutcome
    /// The core the request runs on from start to end, whatever reloads happen meanwhile; set
    /// by `RequestRecorder`.
    var core: GatewayCore?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
        requestID = ""
        outcome = RequestOutcome(front: "rest")
    }
}
