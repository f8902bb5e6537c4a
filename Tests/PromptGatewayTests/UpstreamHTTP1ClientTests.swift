import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import Testing
@testable import PromptGateway

/// The gateway's own HTTP/1.1 client against real servers on loopback that frame, keep and
/// close connections the ways providers do.
@Suite("Upstream HTTP/1.1 client")
struct UpstreamHTTP1ClientTests {
    static let bounds = UpstreamBounds(answerBytes: 1 << 20, errorBytes: 1 << 10)

    static func target(_ port: Int, tls: Bool = false, host: String = "127.0.0.1") throws -> UpstreamTarget {
        try #require(UpstreamTarget(url: "\(tls ? "https" : "http")://\(host):\(port)/v1/chat/completions?x=1", headers: [("Authorization", "Bearer k")]))
    }

    static func client(maximumConnections: Int = 8, tls: TLSConfiguration = .makeClientConfiguration()) -> UpstreamHTTP1Client {
        UpstreamHTTP1Client(maximumConnectionsPerOrigin: maximumConnections, connectTimeout: .seconds(2), tlsConfiguration: tls)
    }

    /// Deadlines are generous: the suite runs beside hundreds of other tests on two cores, and a
    /// call that should succeed must not fail for a slow scheduler.
    static let patience: Int64 = 60

    static func collect(_ client: UpstreamHTTP1Client, _ target: UpstreamTarget, body: String = #"{"a":1}"#, seconds: Int64 = patience) async throws -> UpstreamResponse {
        try await client.collect(target, body: Array(body.utf8), deadline: .now() + .seconds(seconds), bounds: bounds)
    }

    static func text(_ response: UpstreamResponse) -> String { String(decoding: response.body, as: UTF8.self) }

    @Test func theRequestIsFramedOnceWithItsHeadersAndLength() throws {
        let target = try #require(UpstreamTarget(url: "https://api.example.com/v1/messages?beta=true", headers: [("X-Api-Key", "k"), ("Content-Type", "application/json")]))
        #expect(target.origin == UpstreamTarget.Origin(tls: true, host: "api.example.com", port: 443))
        let framed = UpstreamHTTP1Client.frame(target, body: Array("{}".utf8), allocator: ByteBufferAllocator())
        #expect(String(buffer: framed) == "POST /v1/messages?beta=true HTTP/1.1\r\nhost: api.example.com\r\nx-api-key: k\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}")
        let ipv6 = try #require(UpstreamTarget(url: "http://[::1]:8080/x", headers: []))
        #expect(ipv6.origin.host == "::1")
        #expect(String(decoding: ipv6.headPrefix, as: UTF8.self).contains("host: [::1]:8080\r\n"))
        // A header value with a line break would smuggle a header or a request: refused.
        #expect(UpstreamTarget(url: "http://h/x", headers: [("authorization", "Bearer k\r\nx-evil: 1")]) == nil)
        #expect(UpstreamTarget(url: "ftp://h/x", headers: []) == nil)
        #expect(UpstreamTarget(url: "http:///x", headers: []) == nil)
        #expect(UpstreamTarget(url: "http://user:pw@h/x", headers: []) == nil)
    }

    /// Content-length, chunked and close-delimited bodies are read whole; the first two keep the
    /// connection, so the second call reuses it.
    @Test func bodiesOfEveryFramingAreReadWhole() async throws {
        let server = try await ScriptedHTTPServer.start { request in
            switch request.indexOnConnection {
            case 1: .json(#"{"framing":"length"}"#)
            case 2: .bytes("HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5\r\n{\"fra\r\n9\r\nming\":\"ch\r\n7\r\nunked\"}\r\n0\r\n\r\n")
            default: .bytes("HTTP/1.1 200 OK\r\nconnection: close\r\n\r\n{\"framing\":\"close\"}", close: true)
            }
        }
        defer { Task { await server.stop() } }
        let client = Self.client()
        defer { client.shutdown() }
        let target = try Self.target(server.port)
        #expect(Self.text(try await Self.collect(client, target)) == #"{"framing":"length"}"#)
        #expect(Self.text(try await Self.collect(client, target)) == #"{"framing":"chunked"}"#)
        let third = try await Self.collect(client, target)
        #expect(third.status == 200)
        #expect(Self.text(third) == #"{"framing":"close"}"#)
        #expect(server.seen == .init(connections: 1, requests: 3))
    }

    /// A streamed chunked body arrives piece by piece and ends with the response.
    @Test func aStreamedBodyArrivesAsItComes() async throws {
        let events = ["data: {\"n\":1}\n\n", "data: {\"n\":2}\n\n", "data: [DONE]\n\n"]
        let chunked = events.map { String($0.utf8.count, radix: 16) + "\r\n" + $0 + "\r\n" }.joined() + "0\r\n\r\n"
        let server = try await ScriptedHTTPServer.start { _ in
            .bytes("HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n" + chunked)
        }
        defer { Task { await server.stop() } }
        let client = Self.client()
        defer { client.shutdown() }
        let (head, body) = try await client.stream(try Self.target(server.port), body: [], deadline: .now() + .seconds(Self.patience), bounds: Self.bounds)
        #expect(head.status == .ok)
        var text = ""
        for try await piece in body { text += String(buffer: piece) }
        #expect(text == events.joined())
        // The connection went back to the pool for the next call.
        _ = try await client.stream(try Self.target(server.port), body: [], deadline: .now() + .seconds(Self.patience), bounds: Self.bounds)
        #expect(server.seen.connections == 1)
    }

    /// TLS to a server whose certificate the client trusts, by name (SNI and the certificate's
    /// name checked); the same server is refused by a client that does not trust it.
    @Test func tlsWithASelfSignedCertificate() async throws {
        let certificate = try await SelfSignedCertificate()
        let serverContext = try NIOSSLContext(configuration: .makeServerConfiguration(
            certificateChain: [.certificate(certificate.certificate)], privateKey: .privateKey(certificate.key)))
        let server = try await ScriptedHTTPServer.start(tls: serverContext) { _ in .json(#"{"over":"tls"}"#) }
        defer { Task { await server.stop() } }

        var trusting = TLSConfiguration.makeClientConfiguration()
        trusting.trustRoots = .certificates([certificate.certificate])
        let client = Self.client(tls: trusting)
        defer { client.shutdown() }
        let target = try Self.target(server.port, tls: true, host: "localhost")
        #expect(Self.text(try await Self.collect(client, target)) == #"{"over":"tls"}"#)
        #expect(Self.text(try await Self.collect(client, target)) == #"{"over":"tls"}"#)
        #expect(server.seen == .init(connections: 1, requests: 2))

        let wary = Self.client()
        defer { wary.shutdown() }
        await #expect {
            try await Self.collect(wary, target)
        } throws: { error in
            guard case UpstreamHTTPError.connect = error else { return false }
            return UpstreamClient.classify(error, timeout: .seconds(1), streaming: false).failureClass == .connection
        }
        #expect(server.seen.requests == 2, "a request went out over a connection whose certificate was not trusted")
    }

    /// A provider that closed a pooled connection without saying so: the call written on it gets
    /// nothing back and is sent once more on a fresh connection.
    @Test func aStaleConnectionIsTriedOnceMoreOnAFreshOne() async throws {
        let server = try await ScriptedHTTPServer.start { request in
            request.indexOnConnection == 1 ? .json(#"{"connection":\#(request.connection)}"#) : .close
        }
        defer { Task { await server.stop() } }
        let client = Self.client()
        defer { client.shutdown() }
        let target = try Self.target(server.port)
        #expect(Self.text(try await Self.collect(client, target)) == #"{"connection":1}"#)
        #expect(Self.text(try await Self.collect(client, target)) == #"{"connection":2}"#)
        #expect(server.seen == .init(connections: 2, requests: 3))
    }

    /// A fresh connection closed without an answer is the provider's failure: not tried again.
    @Test func aFreshConnectionClosedWithoutAnAnswerIsNotRetried() async throws {
        let server = try await ScriptedHTTPServer.start { _ in .close }
        defer { Task { await server.stop() } }
        let client = Self.client()
        defer { client.shutdown() }
        await #expect(throws: UpstreamHTTPError.self) { try await Self.collect(client, try Self.target(server.port)) }
        #expect(server.seen == .init(connections: 1, requests: 1))
    }

    /// A server that closes idle connections: the closed connection leaves the pool as it
    /// closes, and the next call opens a new one without a failed try.
    @Test func aConnectionTheServerClosesWhileIdleLeavesThePool() async throws {
        let server = try await ScriptedHTTPServer.start(closeIdleAfter: .milliseconds(50)) { request in
            .json(#"{"connection":\#(request.connection)}"#)
        }
        defer { Task { await server.stop() } }
        let client = Self.client()
        defer { client.shutdown() }
        let target = try Self.target(server.port)
        #expect(Self.text(try await Self.collect(client, target)) == #"{"connection":1}"#)
        let pool = client.pool(for: target.origin)
        let until = ContinuousClock.now + .seconds(Self.patience)
        while pool.counts.open > 0, ContinuousClock.now < until { try await Task.sleep(for: .milliseconds(5)) }
        #expect(pool.counts.open == 0, "the closed connection stayed in the pool")
        #expect(Self.text(try await Self.collect(client, target)) == #"{"connection":2}"#)
        #expect(server.seen == .init(connections: 2, requests: 2))
    }

    /// A server that answers as soon as it has the head, before it reads the body: the answer is
    /// taken, and the connection serves the next call once the body is out.
    @Test func aServerThatAnswersBeforeReadingTheBody() async throws {
        let server = try await ScriptedHTTPServer.start(answerOnHead: true) { request in .json(#"{"early":\#(request.indexOnConnection)}"#) }
        defer { Task { await server.stop() } }
        let client = Self.client()
        defer { client.shutdown() }
        let target = try Self.target(server.port)
        let large = String(repeating: "x", count: 4 << 20)
        #expect(Self.text(try await Self.collect(client, target, body: large)) == #"{"early":1}"#)
        let second = try await Self.collect(client, target)
        #expect(second.status == 200)
        #expect(server.seen.requests == 2)

        let refusing = try await ScriptedHTTPServer.start(answerOnHead: true) { _ in
            .bytes("HTTP/1.1 413 Payload Too Large\r\ncontent-length: 13\r\nconnection: close\r\n\r\n{\"error\":413}", close: true)
        }
        defer { Task { await refusing.stop() } }
        let refused = try await Self.collect(client, try Self.target(refusing.port), body: large)
        #expect(refused.status == 413)
        #expect(Self.text(refused) == #"{"error":413}"#)
    }

    /// A 2xx body past its bound fails the call; an error body past its bound is cut there and
    /// still answers with its status.
    @Test func bodiesAreBoundedByStatus() async throws {
        let big = String(repeating: "y", count: (1 << 20) + 1)
        let server = try await ScriptedHTTPServer.start { request in
            // The oversized answer closes its connection: the error comes on the second.
            switch request.connection {
            case 1: .json(big)
            default: .bytes("HTTP/1.1 500 Internal Server Error\r\ntransfer-encoding: chunked\r\n\r\n" + String(2048, radix: 16) + "\r\n" + String(repeating: "e", count: 2048) + "\r\n0\r\n\r\n")
            }
        }
        defer { Task { await server.stop() } }
        let client = Self.client()
        defer { client.shutdown() }
        let target = try Self.target(server.port)
        await #expect {
            try await Self.collect(client, target)
        } throws: { error in
            if case UpstreamHTTPError.oversized(200, _) = error { true } else { false }
        }
        let error = try await Self.collect(client, target)
        #expect(error.status == 500)
        #expect(error.body.count == 1 << 10)
    }

    /// With every connection busy a call waits in line and takes the one that comes back; a call
    /// whose deadline passes in line fails as the pool's own wait, and none of them opened a
    /// connection past the bound.
    @Test func callsWaitInLineForTheBoundedPool() async throws {
        let server = try await ScriptedHTTPServer.start { request in .json(#"{"n":\#(request.indexOnConnection)}"#, delay: .milliseconds(300)) }
        defer { Task { await server.stop() } }
        let client = Self.client(maximumConnections: 1)
        defer { client.shutdown() }
        let target = try Self.target(server.port)
        async let first = Self.collect(client, target)
        async let second = Self.collect(client, target)
        let pool = client.pool(for: target.origin)
        let until = ContinuousClock.now + .seconds(Self.patience)
        while server.seen.requests < 1, ContinuousClock.now < until { try await Task.sleep(for: .milliseconds(5)) }
        await #expect {
            try await client.collect(target, body: [], deadline: .now() + .milliseconds(50), bounds: Self.bounds)
        } throws: { error in
            let failure = UpstreamClient.classify(error, timeout: .milliseconds(50), streaming: false)
            return failure.failureClass == .timeout && !failure.countsTowardsCircuit
        }
        let answers = Set([Self.text(try await first), Self.text(try await second)])
        #expect(answers == [#"{"n":1}"#, #"{"n":2}"#])
        #expect(server.seen.connections == 1)
        #expect(pool.counts.open == 1 && pool.counts.idle == 1)
    }

    /// A call made on an event loop takes an idle connection of that loop, else opens one there
    /// while the pool has room (the exchange then stays on one thread), and takes another
    /// loop's idle connection only when the pool is full.
    @Test func aCallKeepsToItsOwnLoopWhileThePoolHasRoom() async throws {
        let server = try await ScriptedHTTPServer.start { _ in .json("{}") }
        defer { Task { await server.stop() } }
        let loops = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        let (a, b) = (loops.next(), loops.next())
        #expect(a !== b)
        let target = try Self.target(server.port)
        func call(_ client: UpstreamHTTP1Client, on loop: any EventLoop) async throws {
            _ = try await client.collect(target, body: [], deadline: .now() + .seconds(Self.patience), bounds: Self.bounds, on: loop)
        }
        let roomy = UpstreamHTTP1Client(group: loops, maximumConnectionsPerOrigin: 2, connectTimeout: .seconds(2), tlsConfiguration: .makeClientConfiguration())
        try await call(roomy, on: a)
        try await call(roomy, on: b)
        try await call(roomy, on: a)
        try await call(roomy, on: b)
        #expect(server.seen.connections == 2, "each loop opened one connection and reused it")
        roomy.shutdown()
        let full = UpstreamHTTP1Client(group: loops, maximumConnectionsPerOrigin: 1, connectTimeout: .seconds(2), tlsConfiguration: .makeClientConfiguration())
        try await call(full, on: a)
        try await call(full, on: b)
        #expect(server.seen.connections == 3, "a full pool lends its one connection across loops")
        full.shutdown()
        try await loops.shutdownGracefully()
    }

    /// The deadline covers the whole exchange: a call on a pooled connection to a server that
    /// stops answering fails as a timeout at its deadline, and the connection is not reused.
    @Test func theDeadlineEndsAnExchangeThatNeverAnswers() async throws {
        let server = try await ScriptedHTTPServer.start { request in
            request.indexOnConnection == 1 ? .json("{}") : .json("{}", delay: .seconds(30))
        }
        defer { Task { await server.stop() } }
        let client = Self.client()
        defer { client.shutdown() }
        let target = try Self.target(server.port)
        _ = try await Self.collect(client, target)
        let started = ContinuousClock.now
        await #expect {
            try await client.collect(target, body: [], deadline: .now() + .milliseconds(200), bounds: Self.bounds)
        } throws: { error in
            if case UpstreamHTTPError.timeout = error { true } else { false }
        }
        #expect(ContinuousClock.now - started < .seconds(10))
        _ = try await Self.collect(client, target)
        #expect(server.seen == .init(connections: 2, requests: 3))
    }

    /// A call cancelled after its connection was opened but before its exchange began gives the
    /// connection back: with room for one connection, the next call still gets it.
    @Test func aCallCancelledBeforeItsExchangeGivesItsConnectionBack() async throws {
        let server = try await ScriptedHTTPServer.start { _ in .json("{}") }
        defer { Task { await server.stop() } }
        let client = Self.client(maximumConnections: 1)
        defer { client.shutdown() }
        let target = try Self.target(server.port)
        let cancelled = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return try await Self.collect(client, target)
        }
        await #expect(throws: CancellationError.self) { try await cancelled.value }
        let pool = client.pool(for: target.origin)
        #expect(pool.counts.open == 1 && pool.counts.idle == 1, "the connection was kept by the cancelled call")
        #expect(try await Self.collect(client, target, seconds: 10).status == 200)
        #expect(server.seen == .init(connections: 1, requests: 1))
    }

    /// Nothing listens: the call fails at once as a connection failure.
    @Test func aRefusedConnectionFailsAtOnce() async throws {
        let client = Self.client()
        defer { client.shutdown() }
        let closed = try await ScriptedHTTPServer.start { _ in .close }
        let port = closed.port
        await closed.stop()
        await #expect {
            try await Self.collect(client, try Self.target(port))
        } throws: { error in
            UpstreamClient.classify(error, timeout: .seconds(5), streaming: false).message.hasPrefix("could not connect")
        }
    }
}

/// A certificate and key for `localhost` and 127.0.0.1, made by openssl for one test.
struct SelfSignedCertificate {
    let certificate: NIOSSLCertificate
    let key: NIOSSLPrivateKey

    init() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("promptc-tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let openssl = Process()
        openssl.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        openssl.arguments = [
            "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1",
            "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
            "-keyout", folder.appendingPathComponent("key.pem").path, "-out", folder.appendingPathComponent("cert.pem").path,
        ]
        openssl.standardOutput = FileHandle.nullDevice
        openssl.standardError = FileHandle.nullDevice
        // Waited for without blocking one of the two cooperative threads the tests share.
        let status: Int32 = await withCheckedContinuation { done in
            openssl.terminationHandler = { done.resume(returning: $0.terminationStatus) }
            do { try openssl.run() } catch { done.resume(returning: -1) }
        }
        guard status == 0 else { throw CocoaError(.fileWriteUnknown) }
        guard let first = try NIOSSLCertificate.fromPEMFile(folder.appendingPathComponent("cert.pem").path).first else {
            throw CocoaError(.fileReadCorruptFile)
        }
        certificate = first
        key = try NIOSSLPrivateKey(file: folder.appendingPathComponent("key.pem").path, format: .pem)
    }
}
