/// A typed view over an ARM resource's JSON. The JSON is the storage, so members the view does not model survive
/// a read-modify-write PUT untouched; the typed properties only read and write the members they name.
public protocol ARMObject: Sendable, Equatable {
    var json: AzureJSON { get set }
    init(json: AzureJSON)
}

extension ARMObject {
    public var name: String? {
        get { json["name"]?.stringValue }
        set { json["name"] = newValue.map(AzureJSON.string) }
    }

    public var id: String? {
        get { json["id"]?.stringValue }
        set { json["id"] = newValue.map(AzureJSON.string) }
    }

    /// A member of `properties`.
    subscript(property key: String) -> AzureJSON? {
        get { json["properties"]?[key] }
        set {
            var properties = json["properties"] ?? .object([:])
            properties[key] = newValue
            json["properties"] = properties
        }
    }

    func children<T: ARMObject>(_ key: String) -> [T] {
        self[property: key]?.arrayValue?.map(T.init(json:)) ?? []
    }

    mutating func setChildren<T: ARMObject>(_ key: String, _ values: [T]) {
        self[property: key] = .array(values.map(\.json))
    }

    /// The `id` of a `{"id": ...}` reference in `properties`.
    func reference(_ key: String) -> String? { self[property: key]?["id"]?.stringValue }

    mutating func setReference(_ key: String, _ id: String?) {
        self[property: key] = id.map { ["id": .string($0)] }
    }
}

/// Top-level resources: location, tags and the ETag used for `If-Match`.
public protocol ARMResource: ARMObject {}

extension ARMResource {
    public var location: String? {
        get { json["location"]?.stringValue }
        set { json["location"] = newValue.map(AzureJSON.string) }
    }

    /// The ETag ARM returned with the resource; PUTs of a modified copy send it as `If-Match`.
    public var etag: String? { json["etag"]?.stringValue }

    public var tags: [String: String] {
        get { json["tags"]?.objectValue?.compactMapValues(\.stringValue) ?? [:] }
        set { json["tags"] = .object(newValue.mapValues(AzureJSON.string)) }
    }

    public var provisioningState: String? { self[property: "provisioningState"]?.stringValue }
}

/// A reference to another resource: `{"id": ...}`.
public struct SubResource: ARMObject {
    public var json: AzureJSON
    public init(json: AzureJSON) { self.json = json }
    public init(id: String) { json = ["id": .string(id)] }
}
