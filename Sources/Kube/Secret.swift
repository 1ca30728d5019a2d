import Foundation

/// core/v1 Secret. `data` holds the raw bytes; on the wire each value is base64, as the API requires.
public struct Secret: KubernetesObject, Hashable {
    public static let resource = ResourceDescriptor.secret

    public var metadata = ObjectMeta()
    public var data: [String: Data] = [:]
    /// Write-only convenience of the API: merged into `data` by the server, never returned.
    public var stringData: [String: String] = [:]
    /// `Opaque` when empty (the server's default).
    public var type = ""
    public var immutable: Bool?
    public var unknownFields: [String: JSONValue] = [:]

    public init() {}

    public init(metadata: ObjectMeta, data: [String: Data] = [:], type: String = "") {
        self.metadata = metadata
        self.data = data
        self.type = type
    }

    public static let codingFields: [CodingField<Secret>] = objectFields() + [
        .base64Map("data", \.data),
        .omitEmpty("stringData", \.stringData),
        .omitEmpty("type", \.type),
        .optional("immutable", \.immutable),
    ]

    /// The value of `key` as UTF-8 text, if present and valid UTF-8.
    public func string(forKey key: String) -> String? {
        data[key].flatMap { String(data: $0, encoding: .utf8) }
    }
}

extension CodingField {
    /// A map of byte strings, base64 on the wire whatever the coder's data strategy is; left out when empty.
    static func base64Map(_ name: String, _ keyPath: WritableKeyPath<Root, [String: Data]> & Sendable) -> CodingField {
        let key = AnyCodingKey(name)
        return CodingField(
            name: name, schema: nil,
            decode: { root, container in
                guard let encoded = try container.decodeIfPresent([String: String].self, forKey: key) else { return }
                var decoded: [String: Data] = [:]
                for (entry, text) in encoded {
                    guard let bytes = Data(base64Encoded: text) else {
                        throw DecodingError.dataCorruptedError(
                            forKey: key, in: container, debugDescription: "\(name).\(entry) is not base64")
                    }
                    decoded[entry] = bytes
                }
                root[keyPath: keyPath] = decoded
            },
            encode: { root, container in
                let value = root[keyPath: keyPath]
                guard !value.isEmpty else { return }
                try container.encode(value.mapValues { $0.base64EncodedString() }, forKey: key)
            })
    }
}
