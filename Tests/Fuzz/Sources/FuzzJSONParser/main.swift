import EndpointModel

/// Any bytes through `JSONParser`: it must return a value or throw, never crash or hang; and a
/// value it returns must survive a round trip through the canonical writer.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJSONParser(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let bytes = UnsafeRawBufferPointer(start: start, count: count)
    guard let value = try? JSONParser.parse(bytes) else { return 0 }
    let rendered = CanonicalJSON.render(value, pretty: false)
    guard let again = try? JSONParser.parse(Array(rendered.utf8)) else {
        fatalError("the canonical rendering of a parsed value does not parse: \(rendered.prefix(200))")
    }
    guard CanonicalJSON.render(again, pretty: false) == rendered else {
        fatalError("the canonical rendering is not stable: \(rendered.prefix(200))")
    }
    return 0
}
