/// One Server-Sent Event as a provider sent it.
struct ServerSentEvent: Sendable, Equatable {
    /// The `event:` field; nil when the event had none (the default, `message`).
    var event: String?
    /// The `data:` lines joined with newlines.
    var data: String
}

/// Reads a `text/event-stream` body as it arrives, in chunks cut anywhere (the WHATWG HTML
/// standard's event stream format): lines end with LF, CR or CRLF; `data:` lines add up; a blank
/// line ends an event; comments and `id:`/`retry:` are ignored. A provider controls the stream,
/// so an event (or a line on its way to one) longer than `maximumEventBytes` is an error.
struct ServerSentEventParser: Sendable {
    struct Oversized: Error {}

    static let defaultMaximumEventBytes = 1 << 20

    let maximumEventBytes: Int
    private var line: [UInt8] = []
    private var eventName: String?
    private var data: [UInt8] = []
    private var hasData = false
    /// A CR ended the last line; an LF right after it belongs to it.
    private var afterCR = false

    init(maximumEventBytes: Int = defaultMaximumEventBytes) {
        self.maximumEventBytes = maximumEventBytes
    }

    /// The events that `bytes` completes.
    mutating func feed(_ bytes: some Sequence<UInt8>) throws(Oversized) -> [ServerSentEvent] {
        var events: [ServerSentEvent] = []
        for byte in bytes {
            if afterCR {
                afterCR = false
                if byte == 0x0A { continue }
            }
            if byte == 0x0A || byte == 0x0D {
                afterCR = byte == 0x0D
                if let event = endLine() { events.append(event) }
                continue
            }
            line.append(byte)
            if line.count + data.count > maximumEventBytes { throw Oversized() }
        }
        return events
    }

    /// The event still open when the stream ends, if the provider did not end it with a blank line.
    mutating func finish() -> ServerSentEvent? {
        if !line.isEmpty { _ = endLine() }
        return dispatch()
    }

    private mutating func endLine() -> ServerSentEvent? {
        defer { line.removeAll(keepingCapacity: true) }
        guard !line.isEmpty else { return dispatch() }
        guard line[0] != UInt8(ascii: ":") else { return nil }
        let colon = line.firstIndex(of: UInt8(ascii: ":")) ?? line.count
        let field = line[..<colon]
        var valueStart = colon < line.count ? colon + 1 : colon
        if valueStart < line.count, line[valueStart] == 0x20 { valueStart += 1 }
        let value = line[valueStart...]
        if field.elementsEqual("data".utf8) {
            if hasData { data.append(0x0A) }
            data.append(contentsOf: value)
            hasData = true
        } else if field.elementsEqual("event".utf8) {
            eventName = String(decoding: value, as: UTF8.self)
        }
        return nil
    }

    private mutating func dispatch() -> ServerSentEvent? {
        defer {
            eventName = nil
            data.removeAll(keepingCapacity: true)
            hasData = false
        }
        guard hasData else { return nil }
        return ServerSentEvent(event: eventName, data: String(decoding: data, as: UTF8.self))
    }
}
