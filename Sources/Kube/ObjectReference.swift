/// A reference to another object (core/v1 `ObjectReference`): events name their object with it, and a CRD status can
/// point at a Secret. Every member is optional and left out when empty.
public struct ObjectReference: PreservingCodable, Hashable, SchemaDescribed {
    public var apiVersion = ""
    public var kind = ""
    public var name = ""
    public var namespace = ""
    public var uid = ""
    public var resourceVersion = ""
    /// A part of the object, such as `spec.containers{name}`.
    public var fieldPath = ""
    public var unknownFields: [String: JSONValue] = [:]

    public init() {}

    public init(apiVersion: String, kind: String, name: String, namespace: String = "", uid: String = "",
                resourceVersion: String = "", fieldPath: String = "") {
        self.apiVersion = apiVersion
        self.kind = kind
        self.name = name
        self.namespace = namespace
        self.uid = uid
        self.resourceVersion = resourceVersion
        self.fieldPath = fieldPath
    }

    /// A reference to `object` (kind, name, namespace, uid, resourceVersion), as events use.
    public init(to object: some KubernetesObject) {
        self.init(apiVersion: object.apiVersion, kind: object.kind, name: object.metadata.name,
                  namespace: object.metadata.namespace, uid: object.metadata.uid,
                  resourceVersion: object.metadata.resourceVersion)
    }

    public static let codingFields: [CodingField<ObjectReference>] = [
        .omitEmpty("apiVersion", \.apiVersion, schema: .string("API version of the referent.")),
        .omitEmpty("fieldPath", \.fieldPath, schema: .string(
            "A part of the referent rather than the whole object, such as spec.containers{name}.")),
        .omitEmpty("kind", \.kind, schema: .string("Kind of the referent.")),
        .omitEmpty("name", \.name, schema: .string("Name of the referent.")),
        .omitEmpty("namespace", \.namespace, schema: .string("Namespace of the referent.")),
        .omitEmpty("resourceVersion", \.resourceVersion, schema: .string(
            "Specific resourceVersion the reference is made to, if any.")),
        .omitEmpty("uid", \.uid, schema: .string("UID of the referent.")),
    ]

    /// As in core/v1: an atomic object (server-side apply replaces it whole).
    public static let schema: JSONSchema = {
        var schema = JSONSchema.object("A reference to another object.", fields: codingFields)
        schema.mapType = "atomic"
        return schema
    }()
}
