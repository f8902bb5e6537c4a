import Foundation

/// The types a field can have (spec-format.md, Field schemas).
public enum FieldType: String, Sendable, Codable, CaseIterable {
    case string, integer, number, boolean, array, object
}

/// String formats a field may require.
public enum StringFormat: String, Sendable, Codable, CaseIterable {
    case email, uri, date
    case dateTime = "date-time"
    case uuid
}

/// One field's schema, already checked by the compiler: the IR of the spec's `input` and
/// `output`. It encodes as normalised JSON Schema (every object closed with
/// `additionalProperties: false`, `required` listing the fields without `optional` or
/// `default`), which is what routes.json and openapi.json carry.
public struct FieldSchema: Sendable, Hashable {
    public var type: FieldType
    public var description: String?
    public var enumValues: [JSONValue]?
    public var defaultValue: JSONValue?
    public var minLength: Int?
    public var maxLength: Int?
    public var pattern: String?
    public var format: StringFormat?
    public var minimum: Double?
    public var maximum: Double?
    public var minItems: Int?
    public var maxItems: Int?
    /// The fields of an object, in the order the spec declares them.
    public var properties: [Property]
    /// `x-` keys, carried through untouched.
    public var extensions: [String: JSONValue]
    /// An object that takes members it does not list. Specs never make one (their objects are
    /// closed); a caller's JSON Schema without `additionalProperties: false` does.
    public var allowsOtherMembers = false
    // An array keeps the recursive value out of line.
    private var itemStorage: [FieldSchema]

    public struct Property: Sendable, Hashable {
        public var name: String
        public var schema: FieldSchema
        public var isOptional: Bool

        public init(name: String, schema: FieldSchema, isOptional: Bool) {
            self.name = name
            self.schema = schema
            self.isOptional = isOptional
        }

        /// A field is required unless it is optional or has a default.
        public var isRequired: Bool { !isOptional && schema.defaultValue == nil }
    }

    public init(type: FieldType, description: String? = nil) {
        self.type = type
        self.description = description
        self.properties = []
        self.extensions = [:]
        self.itemStorage = []
    }

    /// An object schema with these fields: the shape of every input and output.
    public static func object(_ properties: [Property], description: String? = nil) -> FieldSchema {
        var schema = FieldSchema(type: .object, description: description)
        schema.properties = properties
        return schema
    }

    public var items: FieldSchema? {
        get { itemStorage.first }
        set { itemStorage = newValue.map { [$0] } ?? [] }
    }

    public func property(named name: String) -> Property? {
        properties.first { $0.name == name }
    }
}

// MARK: - JSON Schema

extension FieldSchema {
    /// This schema as normalised JSON Schema (draft 2020-12, the dialect of OpenAPI 3.1).
    public var jsonSchema: JSONValue {
        var schema: [String: JSONValue] = ["type": .string(type.rawValue)]
        if let description { schema["description"] = .string(description) }
        if let enumValues { schema["enum"] = .array(enumValues) }
        if let defaultValue { schema["default"] = defaultValue }
        if let minLength { schema["minLength"] = .integer(minLength) }
        if let maxLength { schema["maxLength"] = .integer(maxLength) }
        if let pattern { schema["pattern"] = .string(pattern) }
        if let format { schema["format"] = .string(format.rawValue) }
        if let minimum { schema["minimum"] = Self.number(minimum) }
        if let maximum { schema["maximum"] = Self.number(maximum) }
        if let items { schema["items"] = items.jsonSchema }
        if let minItems { schema["minItems"] = .integer(minItems) }
        if let maxItems { schema["maxItems"] = .integer(maxItems) }
        if type == .object {
            var members: [String: JSONValue] = [:]
            for property in properties { members[property.name] = property.schema.jsonSchema }
            schema["properties"] = .object(members)
            schema["required"] = .array(properties.filter(\.isRequired).map { .string($0.name) })
            schema["additionalProperties"] = .bool(allowsOtherMembers)
        }
        for (key, value) in extensions { schema[key] = value }
        return .object(schema)
    }

    private static func number(_ value: Double) -> JSONValue {
        value == value.rounded() && abs(value) < 1e15 ? .integer(Int(value)) : .number(value)
    }

    public struct JSONSchemaError: Error, CustomStringConvertible, Sendable {
        public var pointer: String
        public var problem: String
        public var description: String { "\(pointer.isEmpty ? "/" : pointer): \(problem)" }
    }

    /// Reads back what `jsonSchema` wrote, as the gateway does when it loads routes.json.
    /// Object properties come back in name order; JSON objects keep no order.
    /// `pointer` is only spelled out when the schema is broken.
    public init(jsonSchema: JSONValue, pointer: @autoclosure () -> String = "") throws(JSONSchemaError) {
        guard let object = jsonSchema.objectValue else {
            throw JSONSchemaError(pointer: pointer(), problem: "a schema must be an object")
        }
        guard let typeName = object["type"]?.stringValue, let type = FieldType(rawValue: typeName) else {
            throw JSONSchemaError(pointer: pointer(), problem: "missing or unknown 'type'")
        }
        self.init(type: type, description: object["description"]?.stringValue)
        enumValues = object["enum"]?.arrayValue
        defaultValue = object["default"]
        minLength = object["minLength"].flatMap(Self.integer)
        maxLength = object["maxLength"].flatMap(Self.integer)
        pattern = object["pattern"]?.stringValue
        format = object["format"]?.stringValue.flatMap(StringFormat.init(rawValue:))
        minimum = object["minimum"]?.doubleValue
        maximum = object["maximum"]?.doubleValue
        minItems = object["minItems"].flatMap(Self.integer)
        maxItems = object["maxItems"].flatMap(Self.integer)
        if let items = object["items"] {
            self.items = try FieldSchema(jsonSchema: items, pointer: pointer() + "/items")
        }
        if type == .object {
            let required = Set((object["required"]?.arrayValue ?? []).compactMap(\.stringValue))
            let members = object["properties"]?.objectValue ?? [:]
            for name in members.keys.sorted() {
                guard let member = members[name] else { continue }
                let schema = try FieldSchema(jsonSchema: member, pointer: pointer() + "/properties/" + JSONPointer.escape(name))
                properties.append(Property(name: name, schema: schema, isOptional: !required.contains(name)))
            }
            allowsOtherMembers = object["additionalProperties"] != .bool(false)
        }
        for (key, value) in object where key.hasPrefix("x-") { extensions[key] = value }
    }

    private static func integer(_ value: JSONValue) -> Int? {
        if case .integer(let integer) = value { return integer }
        return nil
    }
}

extension FieldSchema: Codable {
    public init(from decoder: Decoder) throws {
        try self.init(jsonSchema: JSONValue(from: decoder))
    }

    public func encode(to encoder: Encoder) throws {
        try jsonSchema.encode(to: encoder)
    }
}

/// JSON Pointers (RFC 6901), the paths of validation violations.
public enum JSONPointer {
    public static func escape(_ token: String) -> String {
        guard token.utf8.contains(where: { $0 == UInt8(ascii: "~") || $0 == UInt8(ascii: "/") }) else { return token }
        return token.replacingOccurrences(of: "~", with: "~0").replacingOccurrences(of: "/", with: "~1")
    }

    public static func appending(_ token: String, to pointer: String) -> String {
        pointer + "/" + escape(token)
    }

    public static func appending(_ index: Int, to pointer: String) -> String {
        pointer + "/" + String(index)
    }
}
