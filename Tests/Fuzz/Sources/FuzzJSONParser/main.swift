import FuzzSupport
import EndpointModel

/// Any bytes through `JSONParser`: it must return a value or throw, never crash or hang; and a
/// value it returns must survive a round trip through the canonical writer.
@_cdecl("FuzzJSONParser_main")
public func fuzzJSONParserMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runLibFuzzer(argc, argv) { fuzzJSONParser(UnsafeRawBufferPointer(start: $0, count: $1)) }
}

func fuzzJSONParser(_ bytes: UnsafeRawBufferPointer) -> CInt {
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
