/// core/v1 Namespace: only the metadata is modelled; `spec` and `status` are preserved as they are.
public struct Namespace: KubernetesObject, Hashable {
    public static let resource = ResourceDescriptor.namespace

    public var metadata = ObjectMeta()
    public var unknownFields: [String: JSONValue] = [:]

    public init() {}

    public init(name: String, labels: [String: String] = [:]) {
        metadata = ObjectMeta(name: name, labels: labels)
    }

    public static let codingFields: [CodingField<Namespace>] = objectFields()
}
