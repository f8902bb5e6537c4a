import Dispatch
import Foundation
import Synchronization

/// Decodes `Decodable` types from JSON parsed by `JSONParser`: how `serve` reads routes.json.
///
/// Written by hand because JSONDecoder decodes the route table's many `JSONValue` subtrees
/// (schemas, examples, defaults) by trying each type in turn and throwing on every miss; for
/// 1,000 endpoints that was 300 ms of start-up. Here a `JSONValue` inside a Decodable is the
/// parsed value itself, taken whole.
public struct JSONValueDecoder {
    public init() {}

    public func decode<T: Decodable>(_ type: T.Type, from value: JSONValue) throws -> T {
        try T(from: JSONValueDecoding(value: value, codingPath: []))
    }

    /// Parses `bytes` (a `JSONParser.Error` when they are not JSON), then decodes.
    public func decode<T: Decodable>(_ type: T.Type, from bytes: some Collection<UInt8>) throws -> T {
        try decode(type, from: try JSONParser.parse(bytes))
    }
}

/// One value being decoded, and where it is.
struct JSONValueDecoding: Decoder {
    let value: JSONValue
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        guard case .object(let members) = value else { throw mismatch([String: JSONValue].self, value, codingPath) }
        return KeyedDecodingContainer(KeyedContainer(members: members, codingPath: codingPath))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        guard case .array(let items) = value else { throw mismatch([JSONValue].self, value, codingPath) }
        return UnkeyedContainer(items: items, codingPath: codingPath)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer {
        SingleValueContainer(value: value, codingPath: codingPath)
    }
}

/// `value` as a `T`: numbers, strings and booleans directly, anything else through its own
/// `init(from:)`.
///
/// `codingPath` is only spelled out for an error or a nested value: scalars, most of a route
/// table, build no path arrays.
private func unbox<T: Decodable>(_ value: JSONValue, as type: T.Type, at codingPath: @autoclosure () -> [any CodingKey]) throws -> T {
    if T.self == JSONValue.self, let value = value as? T { return value }
    switch value {
    case .string(let string):
        if let string = string as? T { return string }
    case .bool(let bool):
        if let bool = bool as? T { return bool }
    case .integer(let integer):
        if let exact = exactInteger(integer, as: T.self) { return exact }
        if T.self == Double.self, let double = Double(integer) as? T { return double }
        if T.self == Float.self, let float = Float(integer) as? T { return float }
    case .number(let number):
        if T.self == Double.self, let double = number as? T { return double }
        if T.self == Float.self, let float = Float(number) as? T { return float }
        if number == number.rounded(), abs(number) < 1e18, let exact = exactInteger(Int(number), as: T.self) { return exact }
    default:
        break
    }
    if T.self is any FixedWidthInteger.Type || T.self == Double.self || T.self == Float.self || T.self == String.self || T.self == Bool.self {
        throw mismatch(T.self, value, codingPath())
    }
    return try T(from: JSONValueDecoding(value: value, codingPath: codingPath()))
}

private func exactInteger<T>(_ integer: Int, as type: T.Type) -> T? {
    guard let integerType = T.self as? any FixedWidthInteger.Type else { return nil }
    return integerType.init(exactly: integer) as? T
}

private func mismatch(_ type: Any.Type, _ value: JSONValue, _ codingPath: [any CodingKey]) -> DecodingError {
    .typeMismatch(type, .init(codingPath: codingPath, debugDescription: "expected \(type), found \(value.typeName)"))
}

/// A coding path element: an array index (spelled as JSONDecoder spells it) or a key.
private struct PathKey: CodingKey {
    var intValue: Int?
    var stringValue: String
    init(intValue: Int) {
        self.intValue = intValue
        stringValue = "Index \(intValue)"
    }
    init(stringValue: String) { self.stringValue = stringValue }
}

private struct KeyedContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let members: [String: JSONValue]
    let codingPath: [any CodingKey]

    var allKeys: [Key] { members.keys.compactMap { Key(stringValue: $0) } }

    func contains(_ key: Key) -> Bool { members[key.stringValue] != nil }

    private func member(_ key: Key) throws -> JSONValue {
        guard let value = members[key.stringValue] else {
            throw DecodingError.keyNotFound(key, .init(codingPath: codingPath, debugDescription: "no value for '\(key.stringValue)'"))
        }
        return value
    }

    func decodeNil(forKey key: Key) throws -> Bool { try member(key) == .null }

    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        try unbox(try member(key), as: type, at: codingPath + [key])
    }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
        try JSONValueDecoding(value: try member(key), codingPath: codingPath + [key]).container(keyedBy: type)
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        try JSONValueDecoding(value: try member(key), codingPath: codingPath + [key]).unkeyedContainer()
    }

    func superDecoder() throws -> any Decoder {
        JSONValueDecoding(value: .object(members), codingPath: codingPath)
    }

    func superDecoder(forKey key: Key) throws -> any Decoder {
        JSONValueDecoding(value: members[key.stringValue] ?? .null, codingPath: codingPath + [key])
    }
}

private struct UnkeyedContainer: UnkeyedDecodingContainer {
    let items: [JSONValue]
    let codingPath: [any CodingKey]
    var currentIndex = 0

    init(items: [JSONValue], codingPath: [any CodingKey]) {
        self.items = items
        self.codingPath = codingPath
    }

    var count: Int? { items.count }
    var isAtEnd: Bool { currentIndex >= items.count }

    private func path(_ index: Int) -> [any CodingKey] {
        codingPath + [PathKey(intValue: index)]
    }

    private mutating func next() throws -> (JSONValue, Int) {
        guard !isAtEnd else {
            throw DecodingError.valueNotFound(JSONValue.self, .init(codingPath: path(currentIndex), debugDescription: "the array has no more items"))
        }
        defer { currentIndex += 1 }
        return (items[currentIndex], currentIndex)
    }

    mutating func decodeNil() throws -> Bool {
        guard !isAtEnd, items[currentIndex] == .null else { return false }
        currentIndex += 1
        return true
    }

    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
        let (value, index) = try next()
        return try unbox(value, as: type, at: path(index))
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
        let (value, index) = try next()
        return try JSONValueDecoding(value: value, codingPath: path(index)).container(keyedBy: type)
    }

    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
        let (value, index) = try next()
        return try JSONValueDecoding(value: value, codingPath: path(index)).unkeyedContainer()
    }

    mutating func superDecoder() throws -> any Decoder {
        let (value, index) = try next()
        return JSONValueDecoding(value: value, codingPath: path(index))
    }
}

private struct SingleValueContainer: SingleValueDecodingContainer {
    let value: JSONValue
    let codingPath: [any CodingKey]

    func decodeNil() -> Bool { value == .null }

    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try unbox(value, as: type, at: codingPath)
    }
}

extension RouteTable {
    /// Reads routes.json as `serve` does: its endpoints parsed and decoded side by side, one lane
    /// per core. For 1,000 endpoints reading the table was most of start-up, and the endpoints are
    /// independent of each other.
    public static func read(from bytes: some Collection<UInt8>) throws -> RouteTable {
        let contiguous = Array(bytes)
        return try contiguous.withUnsafeBufferPointer { buffer in
            guard let split = JSONParser.splitArrayMember("endpoints", of: buffer), split.elements.count > 1 else {
                return try JSONValueDecoder().decode(RouteTable.self, from: try JSONParser.parse(buffer, range: 0..<buffer.count))
            }
            var table = try JSONValueDecoder().decode(RouteTable.self, from: .object(split.members.merging(["endpoints": .array([])]) { $1 }))
            let elements = split.elements
            let lanes = min(max(ProcessInfo.processInfo.activeProcessorCount, 1), elements.count)
            let decoded = Mutex<[Int: [Result<EndpointDefinition, any Error>]]>([:])
            let endpointsKey = PathKey(stringValue: "endpoints")
            // Lives as long as `withUnsafeBufferPointer`, which outlasts concurrentPerform.
            nonisolated(unsafe) let shared = buffer
            DispatchQueue.concurrentPerform(iterations: lanes) { lane in
                let results = stride(from: lane, to: elements.count, by: lanes).map { index in
                    Result {
                        let value = try JSONParser.parse(shared, range: elements[index])
                        return try EndpointDefinition(from: JSONValueDecoding(value: value, codingPath: [endpointsKey, PathKey(intValue: index)]))
                    }
                }
                decoded.withLock { $0[lane] = results }
            }
            let lanesResults = decoded.withLock { $0 }
            table.endpoints = try (0..<elements.count).map { index in
                guard let result = lanesResults[index % lanes]?[index / lanes] else {
                    throw DecodingError.dataCorrupted(.init(codingPath: [endpointsKey], debugDescription: "endpoint \(index) was not decoded"))
                }
                return try result.get()
            }
            return table
        }
    }
}
