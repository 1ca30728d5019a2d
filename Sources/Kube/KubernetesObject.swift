/// A typed Kubernetes object: one resource kind, its metadata, and the rest of its JSON.
///
/// `apiVersion` and `kind` come from the type's `resource`. Decoding accepts them absent (the API server leaves
/// them out of list items of built-in kinds) but rejects an object of another kind or version.
public protocol KubernetesObject: APIObject, PreservingCodable {
    /// The resource this type models.
    static var resource: ResourceDescriptor { get }
    var metadata: ObjectMeta { get set }
}

extension KubernetesObject {
    public var apiVersion: String { Self.resource.apiVersion }
    public var kind: String { Self.resource.kind }

    /// `namespace/name`, or `name` at cluster scope: how objects are named in messages and cache keys.
    public var key: String {
        metadata.namespace.isEmpty ? metadata.name : "\(metadata.namespace)/\(metadata.name)"
    }
}

/// The `apiVersion` and `kind` members of an object or a list, checked against the expected values.
public struct TypeMeta: Sendable {
    let apiVersion: String
    let kind: String

    /// Fields that write `apiVersion` and `kind`, and check them when decoding.
    public static func codingFields<Root>(apiVersion: String, kind: String) -> [CodingField<Root>] {
        [TypeMeta.fixedField("apiVersion", apiVersion), TypeMeta.fixedField("kind", kind)]
    }

    private static func fixedField<Root>(_ name: String, _ expected: String) -> CodingField<Root> {
        let key = AnyCodingKey(name)
        return CodingField(
            name: name, schema: nil,
            decode: { _, container in
                guard let found = try container.decodeIfPresent(String.self, forKey: key), !found.isEmpty else { return }
                guard found == expected else {
                    throw DecodingError.dataCorruptedError(
                        forKey: key, in: container, debugDescription: "expected \(name) \"\(expected)\", found \"\(found)\"")
                }
            },
            encode: { _, container in try container.encode(expected, forKey: key) })
    }
}

extension KubernetesObject {
    /// The start of every object's field list: `apiVersion`, `kind`, `metadata`.
    public static func objectFields() -> [CodingField<Self>] {
        TypeMeta.codingFields(apiVersion: resource.apiVersion, kind: resource.kind)
            + [.always("metadata", \.metadata)]
    }
}

/// A list of objects as the API returns it (`PodList`, `StaticGatewayConfigurationList`...).
public struct KubernetesList<Item: KubernetesObject>: PreservingCodable, Equatable {
    public var metadata = ListMeta()
    public var items: [Item] = []
    public var unknownFields: [String: JSONValue] = [:]

    public init() {}

    public init(items: [Item], metadata: ListMeta = ListMeta()) {
        self.items = items
        self.metadata = metadata
    }

    public var apiVersion: String { Item.resource.apiVersion }
    public var kind: String { Item.resource.listKind }

    public static var codingFields: [CodingField<Self>] {
        TypeMeta.codingFields(apiVersion: Item.resource.apiVersion, kind: Item.resource.listKind) + [
            .always("metadata", \.metadata),
            .always("items", \.items),
        ]
    }
}
