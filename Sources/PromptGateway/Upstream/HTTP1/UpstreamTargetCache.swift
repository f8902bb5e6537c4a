import Synchronization

/// Targets of requests made per call rather than from a route's template (the OpenAI-compatible
/// API's), by URL and headers: parsing the URL and encoding the head for every call cost more than
/// finding them here. Bounded: past `capacity` distinct targets the cache starts over.
final class UpstreamTargetCache: Sendable {
    static let shared = UpstreamTargetCache(capacity: 256)

    private let capacity: Int
    private let targets = Mutex<[String: UpstreamTarget]>([:])

    init(capacity: Int) {
        self.capacity = capacity
    }

    func target(url: String, headers: [(String, String)]) -> UpstreamTarget? {
        var key = url
        for (name, value) in headers {
            key += "\n\(name):\(value)"
        }
        if let found = targets.withLock({ $0[key] }) { return found }
        guard let made = UpstreamTarget(url: url, headers: headers) else { return nil }
        targets.withLock { targets in
            if targets.count >= capacity { targets.removeAll(keepingCapacity: true) }
            targets[key] = made
        }
        return made
    }
}
