/// Anything the API serves as an object with `metadata`: the typed models (`KubernetesObject`) and `DynamicObject`.
/// The client, informers and controllers work on this, so they serve typed and untyped resources alike.
public protocol APIObject: Codable, Sendable, Equatable {
    var metadata: ObjectMeta { get set }
}

extension APIObject {
    /// The cache and work-queue key: `namespace/name`, or `name` at cluster scope.
    public var objectKey: ObjectKey { ObjectKey(namespace: metadata.namespace, name: metadata.name) }
}

/// An object of any resource, for kinds without a Swift model (resources found at run time, other teams' CRDs):
/// `apiVersion`, `kind` and `metadata` are typed, every other member (`spec`, `status`, `data`...) is `JSONValue`,
/// kept and written back exactly.
public struct DynamicObject: APIObject, PreservingCodable, Hashable {
    public var apiVersion = ""
    public var kind = ""
    public var metadata = ObjectMeta()
    /// The members besides `apiVersion`, `kind` and `metadata`.
    public var unknownFields: [String: JSONValue] = [:]

    public init() {}

    public init(resource: ResourceDescriptor, metadata: ObjectMeta, members: [String: JSONValue] = [:]) {
        apiVersion = resource.apiVersion
        kind = resource.kind
        self.metadata = metadata
        unknownFields = members
    }

    /// The object a JSON value describes.
    public init(json: JSONValue) throws {
        self = try json.decode(as: DynamicObject.self)
    }

    public static let codingFields: [CodingField<DynamicObject>] = [
        .omitEmpty("apiVersion", \.apiVersion),
        .omitEmpty("kind", \.kind),
        .always("metadata", \.metadata),
    ]

    /// A top-level member such as `spec` or `status`.
    public subscript(member: String) -> JSONValue? {
        get { unknownFields[member] }
        set { unknownFields[member] = newValue }
    }

    /// The whole object as JSON.
    public var json: JSONValue {
        get throws { try JSONValue(encoding: self) }
    }
}

/// The name of an object within its resource: namespace (empty at cluster scope) and name.
public struct ObjectKey: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var namespace: String
    public var name: String

    public init(namespace: String = "", name: String) {
        self.namespace = namespace
        self.name = name
    }

    /// Parses `namespace/name` or `name`.
    public init(_ text: String) {
        if let slash = text.firstIndex(of: "/") {
            namespace = String(text[..<slash])
            name = String(text[text.index(after: slash)...])
        } else {
            namespace = ""
            name = text
        }
    }

    /// `namespace/name`, or `name` at cluster scope.
    public var description: String { namespace.isEmpty ? name : "\(namespace)/\(name)" }

    public static func < (lhs: ObjectKey, rhs: ObjectKey) -> Bool {
        (lhs.namespace, lhs.name) < (rhs.namespace, rhs.name)
    }
}
