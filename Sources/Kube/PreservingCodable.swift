/// A JSON object model that keeps the members it does not know.
///
/// A conforming type lists its members once, in `codingFields`: the JSON name, the property, when it is written
/// (Go's `omitempty` is the norm in Kubernetes) and, for CRD types, its OpenAPI schema. Decoding and encoding come
/// from that list, and every member not in it lands in `unknownFields` and is written back as it was read. So an
/// object fetched from a newer server and updated by this code keeps the fields only the newer server knows.
public protocol PreservingCodable: Codable, Sendable {
    /// The value with every member at its default: decoding starts from it, so an absent member keeps its default.
    init()
    /// Members of the JSON object that `codingFields` does not name, exactly as they were decoded.
    var unknownFields: [String: JSONValue] { get set }
    /// The known members, in the order they are written.
    static var codingFields: [CodingField<Self>] { get }
}

extension PreservingCodable {
    public init(from decoder: any Decoder) throws {
        self.init()
        let container = try decoder.container(keyedBy: AnyCodingKey.self)
        let fields = Self.codingFields
        for field in fields {
            try field.decode(&self, container)
        }
        for key in container.allKeys where !fields.contains(where: { $0.name == key.stringValue }) {
            unknownFields[key.stringValue] = try container.decode(JSONValue.self, forKey: key)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: AnyCodingKey.self)
        let fields = Self.codingFields
        for field in fields {
            try field.encode(self, &container)
        }
        // A known member always wins over a stale copy of it in `unknownFields`.
        for (key, value) in unknownFields where !fields.contains(where: { $0.name == key }) {
            try container.encode(value, forKey: AnyCodingKey(key))
        }
    }
}

/// One member of a `PreservingCodable` model: its JSON name, how it is read and written, and its schema.
public struct CodingField<Root>: Sendable {
    /// The JSON member name.
    public let name: String
    /// The OpenAPI schema of the member, for types that generate a CustomResourceDefinition.
    public let schema: JSONSchema?
    let decode: @Sendable (inout Root, KeyedDecodingContainer<AnyCodingKey>) throws -> Void
    let encode: @Sendable (Root, inout KeyedEncodingContainer<AnyCodingKey>) throws -> Void

    /// A member that is always written, even at its zero value (Go: a field without `omitempty`, or a struct).
    /// An absent or `null` member decodes as the default of `Root.init()`.
    public static func always<Value: Codable & Sendable>(
        _ name: String, _ keyPath: WritableKeyPath<Root, Value> & Sendable, schema: JSONSchema? = nil
    ) -> CodingField {
        let key = AnyCodingKey(name)
        return CodingField(
            name: name, schema: schema,
            decode: { root, container in
                if let value = try container.decodeIfPresent(Value.self, forKey: key) { root[keyPath: keyPath] = value }
            },
            encode: { root, container in try container.encode(root[keyPath: keyPath], forKey: key) })
    }

    /// A member left out when it holds its zero value (Go's `omitempty`): `""`, `0`, `false`, an empty list or map.
    public static func omitEmpty<Value: Codable & Sendable & ZeroValueRepresentable>(
        _ name: String, _ keyPath: WritableKeyPath<Root, Value> & Sendable, schema: JSONSchema? = nil
    ) -> CodingField {
        let key = AnyCodingKey(name)
        return CodingField(
            name: name, schema: schema,
            decode: { root, container in
                if let value = try container.decodeIfPresent(Value.self, forKey: key) { root[keyPath: keyPath] = value }
            },
            encode: { root, container in
                let value = root[keyPath: keyPath]
                if !value.isZeroValue { try container.encode(value, forKey: key) }
            })
    }

    /// A member that may be absent (Go: a pointer with `omitempty`); `nil` is not written.
    public static func optional<Value: Codable & Sendable>(
        _ name: String, _ keyPath: WritableKeyPath<Root, Value?> & Sendable, schema: JSONSchema? = nil
    ) -> CodingField {
        let key = AnyCodingKey(name)
        return CodingField(
            name: name, schema: schema,
            decode: { root, container in root[keyPath: keyPath] = try container.decodeIfPresent(Value.self, forKey: key) },
            encode: { root, container in try container.encodeIfPresent(root[keyPath: keyPath], forKey: key) })
    }
}

/// A value with a Go-style zero value, which `omitempty` leaves out of the JSON.
public protocol ZeroValueRepresentable {
    var isZeroValue: Bool { get }
}

extension String: ZeroValueRepresentable {
    public var isZeroValue: Bool { isEmpty }
}

extension Bool: ZeroValueRepresentable {
    public var isZeroValue: Bool { !self }
}

extension Int: ZeroValueRepresentable {
    public var isZeroValue: Bool { self == 0 }
}

extension Int32: ZeroValueRepresentable {
    public var isZeroValue: Bool { self == 0 }
}

extension Int64: ZeroValueRepresentable {
    public var isZeroValue: Bool { self == 0 }
}

extension Array: ZeroValueRepresentable {
    public var isZeroValue: Bool { isEmpty }
}

extension Dictionary: ZeroValueRepresentable {
    public var isZeroValue: Bool { isEmpty }
}

/// A coding key for any member name, so that a model can see every key of the object it decodes.
public struct AnyCodingKey: CodingKey, Hashable, Sendable {
    public let stringValue: String
    public let intValue: Int?

    public init(_ name: String) {
        stringValue = name
        intValue = nil
    }

    public init?(stringValue: String) { self.init(stringValue) }

    public init?(intValue: Int) {
        stringValue = String(intValue)
        self.intValue = intValue
    }
}
