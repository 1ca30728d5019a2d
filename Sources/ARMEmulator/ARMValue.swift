import Foundation

/// A JSON value as ARM reads it: member names match case-insensitively (ARM's deserializers ignore case), while
/// the spelling a client sent is kept, so that every member a client writes comes back on GET, modelled or not.
public enum ARMValue: Sendable, Hashable {
    case null
    case bool(Bool)
    case integer(Int64)
    case double(Double)
    case string(String)
    case array([ARMValue])
    case object([String: ARMValue])

    /// The member named `key`: the exact spelling first, then any spelling that differs only in case.
    public subscript(key: String) -> ARMValue? {
        get {
            guard case .object(let members) = self else { return nil }
            if let exact = members[key] { return exact }
            return members.first { $0.key.caseInsensitiveCompare(key) == .orderedSame }?.value
        }
        set {
            var members = objectValue ?? [:]
            // One member per name whatever its case; the canonical spelling given here wins.
            for existing in members.keys where existing.caseInsensitiveCompare(key) == .orderedSame {
                members[existing] = nil
            }
            members[key] = newValue
            self = .object(members)
        }
    }

    /// The value at a member path, each step matched case-insensitively.
    public subscript(path path: String...) -> ARMValue? {
        get { self[path: path] }
        set { self[path: path] = newValue }
    }

    public subscript(path path: [String]) -> ARMValue? {
        get {
            var current = self
            for key in path {
                guard let next = current[key] else { return nil }
                current = next
            }
            return current
        }
        set {
            guard let key = path.first else {
                self = newValue ?? .null
                return
            }
            if path.count == 1 {
                self[key] = newValue
                return
            }
            var child = self[key] ?? .object([:])
            if child.objectValue == nil { child = .object([:]) }
            child[path: Array(path.dropFirst())] = newValue
            self[key] = child
        }
    }

    public var objectValue: [String: ARMValue]? {
        if case .object(let members) = self { return members }
        return nil
    }

    public var arrayValue: [ARMValue]? {
        if case .array(let elements) = self { return elements }
        return nil
    }

    public var stringValue: String? {
        if case .string(let text) = self { return text }
        return nil
    }

    public var boolValue: Bool? {
        if case .bool(let flag) = self { return flag }
        return nil
    }

    public var integerValue: Int64? {
        switch self {
        case .integer(let number): number
        case .double(let number) where number.rounded() == number && abs(number) < 9e15: Int64(number)
        default: nil
        }
    }

    public var isNull: Bool { self == .null }

    /// `id` of a reference object such as `{"id": "/subscriptions/…"}`.
    public var referenceID: String? { self["id"]?.stringValue }

    /// The array at `key`, empty when absent or not an array.
    public func list(_ key: String) -> [ARMValue] { self[key]?.arrayValue ?? [] }

    /// The JSON type name used in error messages.
    var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "boolean"
        case .integer, .double: "number"
        case .string: "string"
        case .array: "array"
        case .object: "object"
        }
    }

    /// Equality of JSON documents where member names compare case-insensitively.
    public func sameDocument(as other: ARMValue) -> Bool {
        switch (self, other) {
        case (.object(let left), .object(let right)):
            guard left.count == right.count else { return false }
            return left.allSatisfy { key, value in other[key].map { value.sameDocument(as: $0) } ?? false }
        case (.array(let left), .array(let right)):
            return left.count == right.count && zip(left, right).allSatisfy { $0.sameDocument(as: $1) }
        case (.integer(let left), .double(let right)), (.double(let right), .integer(let left)):
            return Double(left) == right
        default:
            return self == other
        }
    }

    /// `patch` merged into this value the way Compute merges a partial PUT or PATCH: objects member by member
    /// (names matched case-insensitively), everything else, arrays included, replaced; `null` removes a member.
    public func merging(_ patch: ARMValue) -> ARMValue {
        guard case .object(let changes) = patch, objectValue != nil else { return patch }
        var result = self
        for (key, change) in changes {
            if change.isNull {
                result[key] = nil
            } else if let existing = result[key], existing.objectValue != nil, change.objectValue != nil {
                result[key] = existing.merging(change)
            } else {
                result[key] = change
            }
        }
        return result
    }
}

extension ARMValue: ExpressibleByNilLiteral, ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByFloatLiteral, ExpressibleByStringLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral
{
    public init(nilLiteral: ()) { self = .null }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(integerLiteral value: Int64) { self = .integer(value) }
    public init(floatLiteral value: Double) { self = .double(value) }
    public init(stringLiteral value: String) { self = .string(value) }
    public init(arrayLiteral elements: ARMValue...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, ARMValue)...) {
        self = .object(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }
}

extension ARMValue: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let flag = try? container.decode(Bool.self) {
            self = .bool(flag)
        } else if let number = try? container.decode(Int64.self) {
            self = .integer(number)
        } else if let number = try? container.decode(Double.self) {
            self = .double(number)
        } else if let text = try? container.decode(String.self) {
            self = .string(text)
        } else if let elements = try? container.decode([ARMValue].self) {
            self = .array(elements)
        } else {
            self = .object(try container.decode([String: ARMValue].self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let flag): try container.encode(flag)
        case .integer(let number): try container.encode(number)
        case .double(let number): try container.encode(number)
        case .string(let text): try container.encode(text)
        case .array(let elements): try container.encode(elements)
        case .object(let members): try container.encode(members)
        }
    }
}

extension ARMValue {
    /// Parses JSON bytes; nil when they are not JSON.
    public init?(json bytes: [UInt8]) {
        guard let value = try? JSONDecoder().decode(ARMValue.self, from: Data(bytes)) else { return nil }
        self = value
    }

    /// Compact JSON with sorted member names, so that answers are byte-stable.
    public var jsonBytes: [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array((try? encoder.encode(self)) ?? Data("null".utf8))
    }

    public var jsonText: String { String(decoding: jsonBytes, as: UTF8.self) }
}
