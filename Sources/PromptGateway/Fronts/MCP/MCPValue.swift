import EndpointModel
import Foundation
import MCP

/// Between promptc's `JSONValue` and the MCP SDK's `Value`.
enum MCPValue {
    static func value(_ json: JSONValue) -> Value {
        switch json {
        case .null: .null
        case .bool(let bool): .bool(bool)
        case .integer(let integer): .int(integer)
        case .number(let number): .double(number)
        case .string(let string): .string(string)
        case .array(let items): .array(items.map(value))
        case .object(let members): .object(members.mapValues(value))
        }
    }

    static func json(_ value: Value) -> JSONValue {
        switch value {
        case .null: .null
        case .bool(let bool): .bool(bool)
        case .int(let integer): .integer(integer)
        case .double(let number): .number(number)
        case .string(let string): .string(string)
        // The SDK decodes a string that looks like a `data:` URL as data; the caller sent a
        // string, so it goes back to one (in base64, whatever encoding the caller's URL used).
        case .data(let mimeType, let data): .string(data.dataURLEncoded(mimeType: mimeType))
        case .array(let items): .array(items.map(json))
        case .object(let members): .object(members.mapValues(json))
        }
    }
}
