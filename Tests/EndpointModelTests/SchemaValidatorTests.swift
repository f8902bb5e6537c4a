import EndpointModel
import Testing

/// Each keyword accepts what it should and rejects what it should, at the right pointer.
@Suite("Schema checker")
struct SchemaValidatorTests {
    func object(_ name: String, _ field: FieldSchema, optional: Bool = false) -> SchemaValidator {
        SchemaValidator(.object([.init(name: name, schema: field, isOptional: optional)]))
    }

    func string(_ configure: (inout FieldSchema) -> Void) -> FieldSchema {
        var schema = FieldSchema(type: .string)
        configure(&schema)
        return schema
    }

    func paths(_ violations: [Violation]) -> [String] { violations.map(\.path) }

    @Test func types() {
        for (type, good, bad) in [
            (FieldType.string, JSONValue.string("a"), JSONValue.integer(1)),
            (.integer, 3, 3.5), (.integer, 3.0, "3"), (.number, 3.5, "3.5"), (.boolean, true, 1),
            (.array, [], [:]), (.object, [:], []),
        ] {
            var schema = FieldSchema(type: type)
            if type == .array { schema.items = FieldSchema(type: .string) }
            let validator = object("f", schema)
            #expect(validator.validate(["f": good]).isEmpty, "\(type) should accept \(good)")
            #expect(paths(validator.validate(["f": bad])) == ["/f"], "\(type) should reject \(bad)")
        }
    }

    @Test func requiredOptionalAndUnknownFields() {
        let validator = SchemaValidator(.object([
            .init(name: "a", schema: FieldSchema(type: .string), isOptional: false),
            .init(name: "b", schema: FieldSchema(type: .string), isOptional: true),
        ]))
        #expect(validator.validate(["a": "x"]).isEmpty)
        #expect(validator.validate(["b": "x"]) == [Violation(path: "/a", message: "is required")])
        #expect(validator.validate(["a": "x", "c/d~": 1]) == [Violation(path: "/c~1d~0", message: "is not a field of this object")])
        #expect(validator.validate("not an object") == [Violation(path: "", message: "must be an object, not a string")])
    }

    @Test func lengthsCountUnicodeScalars() {
        let validator = object("s", string { $0.minLength = 2; $0.maxLength = 3 })
        #expect(validator.validate(["s": "éé"]).isEmpty)
        #expect(validator.validate(["s": "🙂🙂🙂"]).isEmpty)
        #expect(validator.validate(["s": "é"]).map(\.message) == ["must be at least 2 characters long"])
        #expect(validator.validate(["s": "abcd"]).map(\.message) == ["must be at most 3 characters long"])
    }

    @Test func pattern() {
        let validator = object("s", string { $0.pattern = "^[a-z]{2}(-[A-Z]{2})?$" })
        #expect(validator.validate(["s": "pt-BR"]).isEmpty)
        #expect(validator.validate(["s": "PT"]).map(\.message) == ["must match the pattern ^[a-z]{2}(-[A-Z]{2})?$"])
    }

    @Test func formats() {
        let cases: [(StringFormat, [String], [String])] = [
            (.email, ["a@b.co", "first.last@example.org"], ["a@", "@b.co", "a b@c.d", "a@b..c"]),
            (.uri, ["https://example.com/x?y=1", "urn:isbn:0451450523"], ["example.com", "http://a b", ":x"]),
            (.date, ["2024-02-29", "1999-12-31"], ["2023-02-29", "2024-13-01", "2024-1-01", "24-01-01"]),
            (.dateTime, ["2024-05-01T12:00:00Z", "2024-05-01T12:00:00.123+02:00"], ["2024-05-01 12:00:00Z", "2024-05-01T25:00:00Z", "2024-05-01T12:00:00"]),
            (.uuid, ["3f2c9a1e-6b1d-4c5e-9f0a-2b7d8e4c1a55"], ["3f2c9a1e6b1d4c5e9f0a2b7d8e4c1a55", "3f2c9a1e-6b1d-4c5e-9f0a-2b7d8e4c1a5g"]),
        ]
        for (format, good, bad) in cases {
            let validator = object("s", string { $0.format = format })
            for value in good { #expect(validator.validate(["s": .string(value)]).isEmpty, "\(format) should accept \(value)") }
            for value in bad { #expect(paths(validator.validate(["s": .string(value)])) == ["/s"], "\(format) should reject \(value)") }
        }
    }

    @Test func enums() {
        var strings = FieldSchema(type: .string)
        strings.enumValues = ["en", "de"]
        #expect(object("e", strings).validate(["e": "de"]).isEmpty)
        #expect(object("e", strings).validate(["e": "fr"]).map(\.message) == ["must be one of: en, de"])
        var integers = FieldSchema(type: .integer)
        integers.enumValues = [1, 2]
        #expect(object("e", integers).validate(["e": 2.0]).isEmpty)
        #expect(object("e", integers).validate(["e": 3]).map(\.message) == ["must be one of: 1, 2"])
    }

    @Test func bounds() {
        var number = FieldSchema(type: .number)
        number.minimum = -1
        number.maximum = 1
        let validator = object("n", number)
        #expect(validator.validate(["n": -1]).isEmpty && validator.validate(["n": 1.0]).isEmpty)
        #expect(validator.validate(["n": -1.5]).map(\.message) == ["must be at least -1"])
        #expect(validator.validate(["n": 1.01]).map(\.message) == ["must be at most 1"])
    }

    @Test func arraysReportEachItemByIndex() {
        var array = FieldSchema(type: .array)
        array.items = string { $0.minLength = 1 }
        array.minItems = 1
        array.maxItems = 2
        let validator = object("list", array)
        #expect(validator.validate(["list": ["a"]]).isEmpty)
        #expect(validator.validate(["list": []]).map(\.message) == ["must have at least 1 item"])
        #expect(paths(validator.validate(["list": ["a", ""]])) == ["/list/1"])
        // Once the length is wrong, the items are not checked.
        #expect(paths(validator.validate(["list": ["a", "", "b"]])) == ["/list"])
    }

    @Test func nestedObjectsAndEveryViolationAtOnce() {
        let inner = FieldSchema.object([.init(name: "x", schema: FieldSchema(type: .integer), isOptional: false)])
        var items = FieldSchema(type: .array)
        items.items = inner
        let validator = SchemaValidator(.object([
            .init(name: "items", schema: items, isOptional: false),
            .init(name: "name", schema: FieldSchema(type: .string), isOptional: false),
        ]))
        let violations = validator.validate(["items": [["x": 1], ["x": "no"], ["y": 2]]])
        #expect(paths(violations) == ["/items/1/x", "/items/2/x", "/items/2/y", "/name"])
    }

    @Test func defaultsMakeFieldsOptionalButNullIsAValue() {
        var language = FieldSchema(type: .string)
        language.defaultValue = "en"
        let validator = SchemaValidator(.object([
            .init(name: "language", schema: language, isOptional: false),
            .init(name: "note", schema: FieldSchema(type: .string), isOptional: true),
        ]))
        #expect(validator.validate([:]).isEmpty)
        // A field present with null is not absent: JSON Schema checks null against the type.
        #expect(validator.validate(["language": .null]) == [Violation(path: "/language", message: "must be a string, not null")])
        #expect(paths(validator.validate(["note": .null])) == ["/note"])
        // And null does not get the default filled in: it stays, and is refused.
        let schema = FieldSchema.object([.init(name: "language", schema: language, isOptional: false)])
        #expect(schema.fillingDefaults(["language": .null]) == ["language": .null])
    }

    @Test func reportsAtMostTheLimitAndCountsTheRest() {
        var items = FieldSchema(type: .array)
        items.items = FieldSchema(type: .integer)
        let validator = SchemaValidator(.object([.init(name: "list", schema: items, isOptional: false)]))
        let list = JSONValue.array((0..<10_000).map { _ in .string("x") })
        let (violations, more) = validator.validate(["list": list], reportingAtMost: 100)
        #expect(violations.count == 100)
        #expect(more == 9_900)
        #expect(violations.last?.path == "/list/99")
    }

    @Test func itemsOfAnArrayOfTheWrongLengthAreNotChecked() {
        var items = FieldSchema(type: .array)
        items.items = FieldSchema(type: .integer)
        items.maxItems = 3
        let validator = SchemaValidator(.object([.init(name: "list", schema: items, isOptional: false)]))
        let violations = validator.validate(["list": ["a", "b", "c", "d"]])
        #expect(violations == [Violation(path: "/list", message: "must have at most 3 items")])
    }

    @Test func jsonSchemaRoundTrips() throws {
        var field = string { $0.minLength = 1; $0.pattern = "^a"; $0.format = .email; $0.description = "d" }
        field.extensions["x-note"] = "kept"
        let schema = FieldSchema.object([.init(name: "a", schema: field, isOptional: false)])
        let decoded = try FieldSchema(jsonSchema: schema.jsonSchema)
        #expect(decoded == schema)
        #expect(schema.jsonSchema["additionalProperties"] == false)
    }
}
