import EndpointModel
import Synchronization

/// The failures `promptc drill` injects inside the gateway (gateway-contract.md, promptc drill):
/// for one endpoint at a time, one step of its chain fails every try with one failure class,
/// without calling its provider. Nil in a served gateway, so serving pays one nil check.
public final class FaultInjector: Sendable {
    public struct Fault: Sendable, Hashable {
        public var endpoint: String
        /// The index of the failing step in the endpoint's chain.
        public var step: Int
        public var failure: FailureClass

        public init(endpoint: String, step: Int, failure: FailureClass) {
            self.endpoint = endpoint
            self.step = step
            self.failure = failure
        }
    }

    private let current = Mutex<Fault?>(nil)

    public init() {}

    /// The fault for the next requests; nil for none.
    public func inject(_ fault: Fault?) {
        current.withLock { $0 = fault }
    }

    /// How step `index` of `endpoint`'s chain fails now, if it does.
    func failure(endpoint: String, step index: Int) -> FailureClass? {
        current.withLock { fault in
            guard let fault, fault.endpoint == endpoint, fault.step == index else { return nil }
            return fault.failure
        }
    }

    /// An injected failure as the chain sees it: a timeout takes the attempt's whole timeout,
    /// as a real one does, so the drill measures the chain against its deadline.
    static func fail(_ failure: FailureClass, timeout: Duration) async throws -> AttemptFailure {
        if failure == .timeout { try await Task.sleep(for: timeout) }
        return AttemptFailure(failure, "injected by promptc drill")
    }
}
