import Foundation
import Synchronization

/// Who has given the portal the admin key: a browser cannot send a header when it follows a
/// link, so the usage page knows its admin by a cookie. The cookie holds a random token, never
/// the key. At most `maximum` tokens live, each for `lifetime`; the oldest goes first.
final class PortalSessions: Sendable {
    static let cookieName = "promptc_portal"

    private let tokens = Mutex<[String: ContinuousClock.Instant]>([:])
    private let maximum: Int
    private let lifetime: Duration

    init(maximum: Int = 256, lifetime: Duration = .seconds(12 * 3_600)) {
        self.maximum = maximum
        self.lifetime = lifetime
    }

    /// A new token, valid from now.
    func open() -> String {
        let token = RandomToken.make()
        let now = ContinuousClock.now
        tokens.withLock { tokens in
            tokens = tokens.filter { now - $0.value < lifetime }
            while tokens.count >= maximum, let oldest = tokens.min(by: { $0.value < $1.value })?.key { tokens[oldest] = nil }
            tokens[token] = now
        }
        return token
    }

    func isOpen(_ token: String?) -> Bool {
        guard let token else { return false }
        let now = ContinuousClock.now
        return tokens.withLock { tokens in tokens[token].map { now - $0 < lifetime } ?? false }
    }

    func close(_ token: String?) {
        guard let token else { return }
        tokens.withLock { _ = $0.removeValue(forKey: token) }
    }

    /// The token in a `Cookie` header, if any.
    static func token(inCookie header: String?) -> String? {
        guard let header else { return nil }
        for pair in header.split(separator: ";") {
            let parts = pair.split(separator: "=", maxSplits: 1)
            if parts.count == 2, parts[0].trimmingCharacters(in: .whitespaces) == cookieName {
                let value = parts[1].trimmingCharacters(in: .whitespaces)
                return value.utf8.count <= 64 ? value : nil
            }
        }
        return nil
    }
}
