import EndpointModel
import Foundation
import HTTPTypes
import NIOCore
import PromptCompiler
import Testing
@testable import PromptGateway

/// Latency-aware pools and what `hash` goes by (gateway-contract.md, Tail latency: hedged
/// requests and latency-aware pools).
@Suite("Latency-aware pools")
struct LatencyAwarePoolTests {
    static let breakers = CircuitBreakerRegistry(settings: CircuitBreakerSettings())

    static func choose(_ pool: Pool, _ affinity: ChainAffinity = "") -> Int? {
        guard case .member(let index, _, _) = pool.choose(affinity: affinity, breakers: breakers) else { return nil }
        return index
    }

    /// `lowest_latency`: the member with the lower peak-EWMA latency times its calls in flight
    /// goes first; a fast member loaded with calls gives way to a slow idle one.
    @Test func lowestLatencyWeighsLatencyByCallsInFlight() {
        let slow = PoolTests.step("a/slow")
        let fast = PoolTests.step("b/fast")
        for _ in 0..<5 {
            slow.latency.record(205)
            fast.latency.record(10)
        }
        let pool = Pool(name: "fast", strategy: .lowestLatency, members: [slow, fast], weights: [1, 1])
        for _ in 0..<50 {
            #expect(Self.choose(pool) == 1)
            pool.finished(1)
        }
        // With 20 calls in flight on the fast member, 10 ms × 21 > 205 ms × 1: the 21st call goes to the slow one.
        var chosen: [Int] = []
        for _ in 0..<25 { chosen.append(Self.choose(pool) ?? -1) }
        #expect(chosen.firstIndex(of: 0) == 20, "\(chosen)")
    }

    /// A slower answer is taken at once; a faster one only gradually; an idle model's estimate
    /// decays, so it is tried again.
    @Test func peakEWMA() {
        let window = LatencyWindow()
        window.record(10, now: 0)
        window.record(500, now: 1)
        #expect(window.estimateMs(now: 1) == 500)
        window.record(10, now: 2)
        #expect(window.estimateMs(now: 2) > 400)
        #expect(window.estimateMs(now: 120) < 1)
    }

    /// The p95 is the nearest rank over the last 200 calls, and none until 20 are known.
    @Test func p95OverTheRing() {
        let window = LatencyWindow()
        for ms in 1...19 { window.record(ms) }
        #expect(window.p95Ms == nil)
        window.record(20)
        #expect(window.p95Ms == 19)
        for _ in 0..<300 { window.record(7) }
        #expect(window.p95Ms == 7, "only the last 200 calls count")
    }

    /// `hash_by: client_ip` keeps one client on one member whoever the consumer; behind a
    /// trusted proxy the client is `X-Forwarded-For`'s first address, and behind another it is
    /// the peer.
    @Test func hashByClientIP() throws {
        let members = (0..<8).map { PoolTests.step("p\($0)/m") }
        let pool = Pool(name: "sticky", strategy: .hash, members: members, weights: Array(repeating: 1, count: 8), hashBy: .clientIP)
        let proxy = try SocketAddress(ipAddress: "10.0.0.5", port: 40_000)
        let trusted = [try #require(AddressRange("10.0.0.0/8"))]
        func client(_ peer: SocketAddress, forwardedFor: String?) -> ClientIdentity {
            var headers = HTTPFields()
            if let forwardedFor { headers[ClientIdentity.forwardedFor] = forwardedFor }
            return ClientIdentity(peer: peer, headers: headers, trustedProxies: trusted)
        }
        let behindProxy = client(proxy, forwardedFor: "203.0.113.9, 10.0.0.5")
        #expect(behindProxy.address == "203.0.113.9")
        let direct = client(try SocketAddress(ipAddress: "198.51.100.1", port: 1), forwardedFor: "203.0.113.9")
        #expect(direct.address == "198.51.100.1", "an untrusted peer's X-Forwarded-For is ignored")
        #expect(client(proxy, forwardedFor: "not an address").address == "10.0.0.5")

        let chosen = Set((0..<20).map { index in Self.choose(pool, ChainAffinity(consumer: "consumer-\(index)", client: behindProxy)) })
        #expect(chosen.count == 1, "one client, many consumers: one member")
        let spread = Set((0..<40).map { index in
            Self.choose(pool, ChainAffinity(consumer: "same", client: client(proxy, forwardedFor: "203.0.113.\(index)")))
        })
        #expect(spread.count > 1, "different clients spread over the members")
    }

    /// `hash_by: header:X-Session-Id`: one session on one member; without the header, the consumer.
    @Test func hashByHeader() {
        let members = (0..<8).map { PoolTests.step("p\($0)/m") }
        let pool = Pool(
            name: "sticky", strategy: .hash, members: members, weights: Array(repeating: 1, count: 8), hashBy: .header("x-session-id"))
        func affinity(_ session: String?, consumer: String) -> ChainAffinity {
            var headers = HTTPFields()
            if let session { headers[HTTPField.Name("x-session-id")!] = session }
            return ChainAffinity(consumer: consumer, client: ClientIdentity(peer: nil, headers: headers, trustedProxies: []))
        }
        #expect(Set((0..<20).map { Self.choose(pool, affinity("s-1", consumer: "c\($0)")) }).count == 1)
        #expect(Set((0..<40).map { Self.choose(pool, affinity("s-\($0)", consumer: "same")) }).count > 1)
        #expect(Self.choose(pool, affinity(nil, consumer: "c-9")) == Self.choose(pool, ChainAffinity(consumer: "c-9")))
    }

    @Test func addressRanges() throws {
        let v4 = try #require(AddressRange("192.168.0.0/16"))
        #expect(v4.contains("192.168.7.1") && !v4.contains("192.169.0.1") && v4.contains("::ffff:192.168.1.1"))
        let v6 = try #require(AddressRange("fd00::/8"))
        #expect(v6.contains("fd12:3456::1") && !v6.contains("fe80::1") && !v6.contains("10.0.0.1"))
        #expect(try #require(AddressRange("2001:db8::1")).contains("2001:0db8:0:0:0:0:0:1"))
        for bad in ["10.0.0.0/33", "10.0.0.0/+8", "300.1.1.1", "10.0.0", "::1::2", "fd00::/129", "host.example", ""] {
            #expect(AddressRange(bad) == nil, "\(bad)")
        }
    }

    /// The compiler reads the new keys, and says where each mistake is.
    @Test func theCompilerChecksHedgingAndPools() {
        func diagnostics(spec: String, config: String) -> [String] {
            let compilation = PromptCompiler.compile(
                files: [(path: "Prompts/sentiment.yaml", contents: Data(spec.utf8))], config: (path: "promptc.yaml", contents: Data(config.utf8)))
            return compilation.diagnostics.map { "\($0.code.rawValue) \($0.message)" }
        }
        let providers = "providers:\n  openai: { base_url: \"http://127.0.0.1:1/v1\" }\n"
        let good = sentimentSpec(models: ["openai/gpt-4o-mini", "openai/gpt-4o"], fallback: "fallback: { hedge_after: p95 }")
        #expect(diagnostics(spec: good, config: providers + "hedge_budget: 10%\ntrusted_proxies: [10.0.0.0/8, \"::1\"]\n").isEmpty)
        #expect(diagnostics(spec: sentimentSpec(models: ["openai/a"], fallback: "fallback: { hedge_after: p99 }"), config: providers)
            .contains { $0.hasPrefix("E") && $0.contains("hedge_after") })
        #expect(diagnostics(spec: sentimentSpec(models: ["openai/a"], fallback: "fallback: { timeout: 1s, hedge_after: 2s }"), config: providers)
            .contains { $0.contains("hedge_after (2000 ms) is not shorter than the timeout") })
        #expect(diagnostics(spec: good, config: providers + "hedge_budget: 150%\n").contains { $0.contains("'hedge_budget' must be a percentage") })
        #expect(diagnostics(spec: good, config: providers + "trusted_proxies: [10.0.0.0/40]\n").contains { $0.contains("not an IP address or CIDR range") })
        let pool = "pools:\n  sticky: { strategy: round_robin, hash_by: client_ip, members: [openai/gpt-4o-mini] }\n"
        #expect(diagnostics(spec: good, config: providers + pool).contains { $0.contains("hash_by applies to strategy 'hash'") })
        let unknown = "pools:\n  sticky: { strategy: hash, hash_by: client-ip, members: [openai/gpt-4o-mini] }\n"
        #expect(diagnostics(spec: good, config: providers + unknown).contains { $0.contains("did you mean 'client_ip'") })
    }
}
