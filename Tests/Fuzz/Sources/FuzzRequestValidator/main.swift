import FuzzSupport
import EndpointModel

/// Any bytes as a request body: parsed, then checked against a schema with every kind of field
/// (strings with lengths, patterns and formats, numbers with bounds, enums, nested objects and
/// arrays), as the gateway checks inputs. Never a crash; never more violations listed than the
/// bound; defaults fill in without a crash.
let schema: FieldSchema? = {
    let text = #"""
        {"type": "object", "additionalProperties": false, "required": ["text", "items"],
         "properties": {
           "text": {"type": "string", "minLength": 1, "maxLength": 50, "pattern": "^[a-z ]+$"},
           "email": {"type": "string", "format": "email"},
           "when": {"type": "string", "format": "date-time"},
           "language": {"type": "string", "enum": ["en", "de"], "default": "en"},
           "score": {"type": "number", "minimum": -1, "maximum": 1},
           "count": {"type": "integer", "minimum": 0},
           "flag": {"type": "boolean"},
           "items": {"type": "array", "minItems": 1, "maxItems": 5,
                     "items": {"type": "object", "additionalProperties": false, "required": ["name"],
                               "properties": {"name": {"type": "string"}, "tags": {"type": "array", "items": {"type": "string"}}}}}
         }}
        """#
    guard let json = try? JSONParser.parse(Array(text.utf8)) else { return nil }
    return try? FieldSchema(jsonSchema: json)
}()
let validator = schema.map(SchemaValidator.init)

@_cdecl("FuzzRequestValidator_main")
public func fuzzRequestValidatorMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runLibFuzzer(argc, argv) { fuzzRequestValidator(UnsafeRawBufferPointer(start: $0, count: $1)) }
}

func fuzzRequestValidator(_ bytes: UnsafeRawBufferPointer) -> CInt {
    guard let schema, let validator else { fatalError("the fuzz schema does not load") }
    guard let value = try? JSONParser.parse(bytes) else { return 0 }
    let (violations, _) = validator.validate(value, reportingAtMost: 10)
    if violations.count > 10 { fatalError("more violations listed than the bound") }
    if violations.isEmpty {
        let filled = schema.fillingDefaults(value)
        if !validator.validate(filled).isEmpty { fatalError("filling defaults made a valid input invalid") }
    }
    return 0
}
