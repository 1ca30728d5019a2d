/// Identifies a kind of Kubernetes resource: its API group and version, its kind and the plural used in URLs.
public struct ResourceDescriptor: Hashable, Sendable, CustomStringConvertible {
    /// API group; empty for the core group (`v1` Pods, Secrets...).
    public let group: String
    public let version: String
    public let kind: String
    /// Lower-case plural, the URL segment (`pods`, `staticgatewayconfigurations`).
    public let plural: String
    /// Whether objects live in a namespace (most do) or at cluster scope (Nodes, Namespaces).
    public let namespaced: Bool

    public init(group: String, version: String, kind: String, plural: String, namespaced: Bool) {
        self.group = group
        self.version = version
        self.kind = kind
        self.plural = plural
        self.namespaced = namespaced
    }

    /// The `apiVersion` field of objects: `v1` for the core group, `group/version` otherwise.
    public var apiVersion: String { group.isEmpty ? version : "\(group)/\(version)" }

    /// The `kind` of a list of these objects.
    public var listKind: String { kind + "List" }

    /// Lower-case kind, the singular name Kubernetes derives for a CRD.
    public var singular: String { kind.lowercased() }

    /// `plural` or `plural.group`: the name kubectl accepts and a CRD's `metadata.name`.
    public var qualifiedPlural: String { group.isEmpty ? plural : "\(plural).\(group)" }

    /// Root of the group-version in the API: `/api/v1` or `/apis/GROUP/VERSION`.
    public var apiPrefix: String { group.isEmpty ? "/api/\(version)" : "/apis/\(group)/\(version)" }

    /// The collection URL path: in one namespace, or across all namespaces (or cluster scope) when `namespace` is nil.
    public func collectionPath(namespace: String? = nil) -> String {
        if namespaced, let namespace, !namespace.isEmpty {
            return "\(apiPrefix)/namespaces/\(namespace)/\(plural)"
        }
        return "\(apiPrefix)/\(plural)"
    }

    /// The URL path of one object, or of one of its subresources (`status`).
    public func objectPath(name: String, namespace: String? = nil, subresource: String? = nil) -> String {
        let path = "\(collectionPath(namespace: namespace))/\(name)"
        guard let subresource, !subresource.isEmpty else { return path }
        return "\(path)/\(subresource)"
    }

    /// `Kind.group/version`, or `Kind/v1` for the core group.
    public var description: String { "\(kind).\(apiVersion)" }
}

extension ResourceDescriptor {
    public static let pod = ResourceDescriptor(group: "", version: "v1", kind: "Pod", plural: "pods", namespaced: true)
    public static let node = ResourceDescriptor(
        group: "", version: "v1", kind: "Node", plural: "nodes", namespaced: false)
    public static let secret = ResourceDescriptor(
        group: "", version: "v1", kind: "Secret", plural: "secrets", namespaced: true)
    public static let configMap = ResourceDescriptor(
        group: "", version: "v1", kind: "ConfigMap", plural: "configmaps", namespaced: true)
    public static let namespace = ResourceDescriptor(
        group: "", version: "v1", kind: "Namespace", plural: "namespaces", namespaced: false)
    public static let event = ResourceDescriptor(
        group: "", version: "v1", kind: "Event", plural: "events", namespaced: true)
    public static let lease = ResourceDescriptor(
        group: "coordination.k8s.io", version: "v1", kind: "Lease", plural: "leases", namespaced: true)
    public static let customResourceDefinition = ResourceDescriptor(
        group: "apiextensions.k8s.io", version: "v1", kind: "CustomResourceDefinition",
        plural: "customresourcedefinitions", namespaced: false)
}
