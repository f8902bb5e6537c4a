import EndpointModel
import NIOCore
import Testing
@testable import PromptGateway

/// The response cache (gateway-contract.md, Response cache).
@Suite("Response cache", .serialized)
struct CacheTests {
    static let json = ("content-type", "application/json")

    static func cachedSpec(ttl: String, staleIfError: String? = nil) -> String {
        sentimentSpec(
            models: ["openai/gpt-4o-mini"], fallback: "fallback: { retries: 0 }",
            extra: "cache:\n  ttl: \(ttl)\n" + (staleIfError.map { "  stale_if_error: \($0)\n" } ?? ""))
    }

    @Test func sameInputIsAHitWhateverItsKeyOrderOrDefaults() async throws {
        let fake = FakeProvider()
        try await withFake(fake) { port in
            try await withGateway(specs: [Self.cachedSpec(ttl: "10m")], fakePort: port) { client, _ in
                let first = try await client.post("/v1/sentiment", json: #"{"text": "I loved it"}"#)
                #expect(first.status == 200)
                #expect(first.header("x-promptc-cache") == "miss")
                // The same input: keys in another order, the default spelled out.
                let second = try await client.post("/v1/sentiment", json: #"{"language": "en", "text": "I loved it"}"#)
                #expect(second.status == 200)
                #expect(second.header("x-promptc-cache") == "hit")
                #expect(second.body == first.body)
                #expect(second.header("x-promptc-model") == "openai/gpt-4o-mini")
                #expect(second.header("x-promptc-attempts") == "0")
                // Another input is another entry.
                let other = try await client.post("/v1/sentiment", json: #"{"text": "I loved it", "language": "de"}"#)
                #expect(other.header("x-promptc-cache") == "miss")
                #expect(fake.received.count == 2)

                let metrics = try await client.get("/metrics").text
                #expect(metrics.contains(#"promptc_cache_total{endpoint="sentiment",outcome="hit"} 1"#))
                #expect(metrics.contains(#"promptc_cache_total{endpoint="sentiment",outcome="miss"} 2"#))
            }
        }
    }

    @Test func noCacheSkipsTheLookup() async throws {
        let fake = FakeProvider()
        try await withFake(fake) { port in
            try await withGateway(specs: [Self.cachedSpec(ttl: "10m")], fakePort: port) { client, _ in
                _ = try await client.post("/v1/sentiment", json: #"{"text": "x"}"#)
                let fresh = try await client.post("/v1/sentiment", json: #"{"text": "x"}"#, headers: [Self.json, ("cache-control", "no-cache")])
                #expect(fresh.header("x-promptc-cache") == "miss")
                #expect(fake.received.count == 2)
            }
        }
    }

    @Test func expiredAnswersAreNotServedButStandInWhenTheChainFails() async throws {
        let fake = FakeProvider()
        try await withFake(fake) { port in
            try await withGateway(specs: [Self.cachedSpec(ttl: "200ms", staleIfError: "1h")], fakePort: port) { client, _ in
                let first = try await client.post("/v1/sentiment", json: #"{"text": "x"}"#)
                #expect(first.header("x-promptc-cache") == "miss")
                try await Task.sleep(for: .milliseconds(300))
                // Expired: the chain is asked again.
                let again = try await client.post("/v1/sentiment", json: #"{"text": "x"}"#)
                #expect(again.header("x-promptc-cache") == "miss")
                #expect(fake.received.count == 2)
                try await Task.sleep(for: .milliseconds(300))
                fake.enqueue(.status(500))
                let stale = try await client.post("/v1/sentiment", json: #"{"text": "x"}"#)
                #expect(stale.status == 200)
                #expect(stale.header("x-promptc-cache") == "stale")
                #expect(stale.body == first.body)
                // Without stale_if_error a failing chain is a failure.
                fake.enqueue(.status(500))
                let uncached = try await client.post("/v1/sentiment", json: #"{"text": "never seen"}"#)
                #expect(uncached.status == 502)
            }
        }
    }

    @Test func leastRecentlyUsedGoesFirstWhenFull() {
        let body = ByteBuffer(string: String(repeating: "x", count: 100))
        let perEntry = 100 + "m/x".utf8.count + ResponseCache.entryOverhead
        let cache = ResponseCache(maximumBytes: perEntry * 3)
        let policy = CachePolicy(ttlMs: 60_000)
        let keys = (0..<4).map { ResponseCache.key(endpoint: "e", specSHA256: "h", input: .integer($0)) }
        for key in keys.prefix(3) { cache.store(key, body: body, model: "m/x", policy: policy) }
        // Reading the first makes the second the least recently used.
        guard case .fresh = cache.lookup(keys[0]) else { Issue.record("the first entry is missing"); return }
        cache.store(keys[3], body: body, model: "m/x", policy: policy)
        #expect(cache.count == 3)
        #expect(cache.usedBytes <= perEntry * 3)
        if case .none = cache.lookup(keys[1]) {} else { Issue.record("the least recently used entry was kept") }
        for key in [keys[0], keys[2], keys[3]] {
            if case .fresh = cache.lookup(key) {} else { Issue.record("a recently used entry was evicted") }
        }
    }

    @Test func manyTouchesOfFewKeysStayBounded() {
        let cache = ResponseCache(maximumBytes: 1 << 20)
        let key = ResponseCache.key(endpoint: "e", specSHA256: "h", input: "one")
        cache.store(key, body: ByteBuffer(string: "{}"), model: "m/x", policy: CachePolicy(ttlMs: 60_000))
        for _ in 0..<10_000 { _ = cache.lookup(key) }
        #expect(cache.count == 1)
    }
}
