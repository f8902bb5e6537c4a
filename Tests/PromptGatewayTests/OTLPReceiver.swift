import EndpointModel
import Foundation
import Hummingbird
import Synchronization

/// An OTLP/HTTP trace receiver on loopback, as a collector would be: takes `POST /v1/traces` in
/// the JSON encoding and keeps every span it is sent.
final class OTLPReceiver: Sendable {
    struct ReceivedSpan: Sendable, CustomStringConvertible {
        var traceID: String
        var spanID: String
        var parentSpanID: String
        var name: String
        /// OTLP's SpanKind: 2 server, 3 client.
        var kind: Int
        /// OTLP's status code: 0 unset, 1 ok, 2 error.
        var statusCode: Int
        var startNanoseconds: UInt64
        var endNanoseconds: UInt64
        var attributes: [String: JSONValue]

        func string(_ key: String) -> String? { attributes[key]?.stringValue }
        func int(_ key: String) -> Int? { OTLPReceiver.integer(attributes[key]) }
        var description: String { "\(name) \(spanID)<-\(parentSpanID) \(attributes)" }
    }

    private let received = Mutex<[ReceivedSpan]>([])
    private let posts = Mutex<[String]>([])

    var spans: [ReceivedSpan] { received.withLock { $0 } }
    /// The paths and content types of the requests, to see what the exporter sent.
    var requests: [String] { posts.withLock { $0 } }

    func makeApplication(onPort: @escaping @Sendable (Int) async -> Void) -> some ApplicationProtocol {
        let router = Router()
        router.post("**") { [self] request, _ -> Response in
            let body = try await request.body.collect(upTo: 1 << 22)
            posts.withLock { $0.append("\(request.uri.path) \(request.headers[.contentType] ?? "")") }
            let json = (try? JSONDecoder().decode(JSONValue.self, from: Data(body.readableBytesView))) ?? .null
            let spans = Self.spans(in: json)
            received.withLock { $0.append(contentsOf: spans) }
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: "{}")))
        }
        return Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { await onPort($0.localAddress?.port ?? 0) })
    }

    /// Waits, at most 10 s, until `condition` holds of the spans received.
    func waitFor(_ what: String, _ condition: ([ReceivedSpan]) -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(10)
        while !condition(spans) {
            guard ContinuousClock.now < deadline else { throw HarnessError("\(what) did not arrive within 10 s: \(spans)") }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    /// The spans of an `ExportTraceServiceRequest` in OTLP's JSON encoding.
    static func spans(in request: JSONValue) -> [ReceivedSpan] {
        var spans: [ReceivedSpan] = []
        for resource in request["resourceSpans"]?.arrayValue ?? [] {
            for scope in resource["scopeSpans"]?.arrayValue ?? [] {
                for span in scope["spans"]?.arrayValue ?? [] {
                    var attributes: [String: JSONValue] = [:]
                    for attribute in span["attributes"]?.arrayValue ?? [] {
                        guard let key = attribute["key"]?.stringValue, case .object(let value)? = attribute["value"], let first = value.first else { continue }
                        attributes[key] = first.value
                    }
                    spans.append(ReceivedSpan(
                        traceID: hex(span["traceId"]), spanID: hex(span["spanId"]), parentSpanID: hex(span["parentSpanId"]),
                        name: span["name"]?.stringValue ?? "", kind: integer(span["kind"]) ?? 0,
                        statusCode: integer(span["status"]?["code"]) ?? 0,
                        startNanoseconds: span["startTimeUnixNano"]?.stringValue.flatMap { UInt64($0) } ?? 0,
                        endNanoseconds: span["endTimeUnixNano"]?.stringValue.flatMap { UInt64($0) } ?? 0,
                        attributes: attributes))
                }
            }
        }
        return spans
    }

    /// An integer as OTLP's JSON has it: a number, or a string for 64-bit values.
    static func integer(_ value: JSONValue?) -> Int? {
        switch value {
        case .integer(let number): number
        case .number(let number): Int(exactly: number)
        case .string(let text): Int(text)
        default: nil
        }
    }

    /// An id as lowercase hex. The OTLP specification says hex; protobuf's own JSON mapping,
    /// which swift-otel uses, says base64: both are read.
    static func hex(_ value: JSONValue?) -> String {
        guard let text = value?.stringValue, !text.isEmpty else { return "" }
        if text.count % 2 == 0, text.allSatisfy(\.isHexDigit), text.count == 16 || text.count == 32 { return text.lowercased() }
        guard let bytes = Data(base64Encoded: text) else { return text }
        return bytes.map { String(format: "%02x", $0) }.joined()
    }
}
