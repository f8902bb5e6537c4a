import FuzzSupport
import EndpointModel

/// Any bytes through `JSONParser`: it must return a value or throw, never crash or hang; and a
/// value it returns must survive a round trip through the canonical writer. The same bytes
/// through `PartialJSON` (streaming's snapshots): never a crash, and for a complete object
/// the snapshot is the object itself.
@_cdecl("FuzzJSONParser_main")
public func fuzzJSONParserMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runLibFuzzer(argc, argv) { fuzzJSONParser(UnsafeRawBufferPointer(start: $0, count: $1)) }
}

func fuzzJSONParser(_ bytes: UnsafeRawBufferPointer) -> CInt {
    let snapshot = PartialJSON.snapshot(bytes: bytes.bindMemory(to: UInt8.self))
    guard let value = try? JSONParser.parse(bytes) else { return 0 }
    if case .object = value, bytes.first == UInt8(ascii: "{"), snapshot != value {
        fatalError("the snapshot of a complete object is not the object")
    }
    let rendered = CanonicalJSON.render(value, pretty: false)
    guard let again = try? JSONParser.parse(Array(rendered.utf8)) else {
        fatalError("the canonical rendering of a parsed value does not parse: \(rendered.prefix(200))")
    }
    guard CanonicalJSON.render(again, pretty: false) == rendered else {
        fatalError("the canonical rendering is not stable: \(rendered.prefix(200))")
    }
    return 0
}
