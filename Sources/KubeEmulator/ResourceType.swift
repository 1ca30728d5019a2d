import Kube

/// Identifies a resource independently of its version: objects are stored once per group and plural, and served in
/// every version the resource offers.
struct ResourceKey: Hashable, Sendable, Comparable, CustomStringConvertible {
    var group: String
    var plural: String

    static func < (lhs: ResourceKey, rhs: ResourceKey) -> Bool { (lhs.group, lhs.plural) < (rhs.group, rhs.plural) }

    var description: String { group.isEmpty ? plural : "\(plural).\(group)" }
}

/// Where one object lives: its namespace (empty at cluster scope) and name. Ordered as etcd orders keys, so lists
/// and continue tokens walk objects in a stable order.
struct ObjectKey: Hashable, Sendable, Comparable, CustomStringConvertible {
    var namespace: String
    var name: String

    static func < (lhs: ObjectKey, rhs: ObjectKey) -> Bool { (lhs.namespace, lhs.name) < (rhs.namespace, rhs.name) }

    var description: String { namespace.isEmpty ? name : "\(namespace)/\(name)" }
}

/// Everything the emulator knows about one served resource: names for discovery, the versions served, and the
/// semantics that differ between resources (status subresource, generation, schema, printer columns).
struct ResourceType: Sendable {
    var group: String
    /// Served versions; objects are stored once and read in any of them (CRDs here use conversion `None`).
    var versions: [String]
    /// The version objects are stored in, and the preferred version in discovery.
    var storageVersion: String
    var kind: String
    var plural: String
    var singular: String
    var namespaced: Bool
    var shortNames: [String] = []
    var categories: [String] = []
    var hasStatusSubresource = false
    /// Whether `metadata.generation` counts spec changes (custom resources and CRDs do; most core kinds do not).
    var tracksGeneration = false
    /// Whether an update without `metadata.resourceVersion` is accepted (core kinds) or rejected (custom resources).
    var allowsUnconditionalUpdate = true
    /// Whether this is a custom resource defined by a CRD (strategic merge patch is not offered for those).
    var isCustom = false
    /// Names follow the path-segment rule (RBAC objects like `system:controller:x`) instead of DNS subdomains.
    var pathSegmentNames = false
    /// Field selector labels beyond `metadata.name` and `metadata.namespace`, mapped to the JSON path they read.
    var selectableFields: [String: [String]] = [:]
    /// Structural schema per version (custom resources).
    var schemas: [String: JSONSchema] = [:]
    /// `kubectl get` columns per version (custom resources).
    var printerColumns: [String: [CustomResourceDefinition.PrinterColumn]] = [:]

    var key: ResourceKey { ResourceKey(group: group, plural: plural) }

    /// `plural` or `plural.group`, as kube-apiserver names a resource in messages.
    var qualifiedPlural: String { group.isEmpty ? plural : "\(plural).\(group)" }

    func apiVersion(_ version: String) -> String { group.isEmpty ? version : "\(group)/\(version)" }

    var storageAPIVersion: String { apiVersion(storageVersion) }

    /// The verbs listed in discovery.
    var verbs: [String] {
        ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]
    }

    /// The JSON path a field selector label reads, or nil when the label is not supported for this resource.
    func fieldPath(for label: String) -> [String]? {
        switch label {
        case "metadata.name": ["metadata", "name"]
        case "metadata.namespace": ["metadata", "namespace"]
        default: selectableFields[label]
        }
    }
}

extension ResourceType {
    private static func core(
        _ kind: String, _ plural: String, namespaced: Bool, shortNames: [String] = [], categories: [String] = [],
        status: Bool = false, fields: [String] = []
    ) -> ResourceType {
        builtIn(group: "", version: "v1", kind, plural, namespaced: namespaced, shortNames: shortNames,
                categories: categories, status: status, fields: fields)
    }

    private static func builtIn(
        group: String, version: String, _ kind: String, _ plural: String, namespaced: Bool,
        shortNames: [String] = [], categories: [String] = [], status: Bool = false, fields: [String] = []
    ) -> ResourceType {
        var type = ResourceType(
            group: group, versions: [version], storageVersion: version, kind: kind, plural: plural,
            singular: kind.lowercased(), namespaced: namespaced, shortNames: shortNames, categories: categories)
        type.hasStatusSubresource = status
        for field in fields { type.selectableFields[field] = field.split(separator: ".").map(String.init) }
        return type
    }

    /// The built-in resources the emulator serves.
    static let builtIns: [ResourceType] = {
        let rbac = "rbac.authorization.k8s.io"
        var crd = builtIn(
            group: "apiextensions.k8s.io", version: "v1", "CustomResourceDefinition", "customresourcedefinitions",
            namespaced: false, shortNames: ["crd", "crds"], categories: ["api-extensions"], status: true)
        crd.tracksGeneration = true
        var types = [
            core("Namespace", "namespaces", namespaced: false, shortNames: ["ns"], status: true, fields: ["status.phase"]),
            core("Pod", "pods", namespaced: true, shortNames: ["po"], categories: ["all"], status: true, fields: [
                "spec.nodeName", "spec.restartPolicy", "spec.schedulerName", "spec.serviceAccountName",
                "spec.hostNetwork", "status.phase", "status.podIP", "status.nominatedNodeName",
            ]),
            core("Node", "nodes", namespaced: false, shortNames: ["no"], status: true, fields: ["spec.unschedulable"]),
            core("Secret", "secrets", namespaced: true, fields: ["type"]),
            core("ConfigMap", "configmaps", namespaced: true, shortNames: ["cm"]),
            core("Event", "events", namespaced: true, shortNames: ["ev"], fields: [
                "involvedObject.kind", "involvedObject.namespace", "involvedObject.name", "involvedObject.uid",
                "involvedObject.apiVersion", "involvedObject.resourceVersion", "involvedObject.fieldPath", "reason",
                "reportingComponent", "source", "type",
            ]),
            core("ServiceAccount", "serviceaccounts", namespaced: true, shortNames: ["sa"]),
            builtIn(group: "coordination.k8s.io", version: "v1", "Lease", "leases", namespaced: true),
            builtIn(group: rbac, version: "v1", "Role", "roles", namespaced: true),
            builtIn(group: rbac, version: "v1", "ClusterRole", "clusterroles", namespaced: false),
            builtIn(group: rbac, version: "v1", "RoleBinding", "rolebindings", namespaced: true),
            builtIn(group: rbac, version: "v1", "ClusterRoleBinding", "clusterrolebindings", namespaced: false),
            crd,
        ]
        for index in types.indices where types[index].group == rbac { types[index].pathSegmentNames = true }
        return types
    }()

    static let namespaceKey = ResourceKey(group: "", plural: "namespaces")
    static let crdKey = ResourceKey(group: "apiextensions.k8s.io", plural: "customresourcedefinitions")
    static let eventKey = ResourceKey(group: "", plural: "events")
    static let secretKey = ResourceKey(group: "", plural: "secrets")
    static let podKey = ResourceKey(group: "", plural: "pods")
    static let serviceAccountKey = ResourceKey(group: "", plural: "serviceaccounts")

    /// The resource a CustomResourceDefinition defines, or the field errors that keep it from being served.
    init(definition crd: JSONValue) throws(InvalidCRD) {
        guard let spec = crd["spec"] else { throw InvalidCRD([.required("spec", "")]) }
        let group = spec["group"]?.stringValue ?? ""
        let names = spec["names"] ?? .object([:])
        let plural = names["plural"]?.stringValue ?? ""
        let kind = names["kind"]?.stringValue ?? ""
        var errors: [FieldError] = []
        if group.isEmpty { errors.append(.required("spec.group", "")) }
        if plural.isEmpty { errors.append(.required("spec.names.plural", "")) }
        if kind.isEmpty { errors.append(.required("spec.names.kind", "")) }
        let scope = spec["scope"]?.stringValue ?? ""
        if scope != "Namespaced" && scope != "Cluster" {
            errors.append(.notSupported("spec.scope", .string(scope), supported: ["Cluster", "Namespaced"]))
        }
        if !plural.isEmpty, !group.isEmpty, crd.name != "\(plural).\(group)" {
            errors.append(.invalid("metadata.name", .string(crd.name), "must be spec.names.plural+\".\"+spec.group"))
        }
        let versions = spec["versions"]?.arrayValue ?? []
        if versions.isEmpty { errors.append(.required("spec.versions", "must have exactly one version marked as storage version")) }
        let storage = versions.filter { $0["storage"]?.boolValue == true }
        if !versions.isEmpty && storage.count != 1 {
            errors.append(.invalid("spec.versions", .array(versions.map { $0["name"] ?? .null }),
                                   "must have exactly one version marked as storage version"))
        }
        guard errors.isEmpty else { throw InvalidCRD(errors) }
        let singular = names["singular"]?.stringValue ?? ""
        self.init(
            group: group,
            versions: versions.filter { $0["served"]?.boolValue != false }.compactMap { $0["name"]?.stringValue },
            storageVersion: storage[0]["name"]?.stringValue ?? "",
            kind: kind, plural: plural, singular: singular.isEmpty ? kind.lowercased() : singular,
            namespaced: scope == "Namespaced",
            shortNames: (names["shortNames"]?.arrayValue ?? []).compactMap(\.stringValue),
            categories: (names["categories"]?.arrayValue ?? []).compactMap(\.stringValue))
        isCustom = true
        tracksGeneration = true
        allowsUnconditionalUpdate = false
        for version in versions {
            guard let name = version["name"]?.stringValue else { continue }
            if version["subresources"]?["status"] != nil { hasStatusSubresource = true }
            if let schema = version["schema"]?["openAPIV3Schema"], let decoded = try? schema.decode(as: JSONSchema.self) {
                schemas[name] = decoded
            }
            if let columns = version["additionalPrinterColumns"],
               let decoded = try? columns.decode(as: [CustomResourceDefinition.PrinterColumn].self)
            {
                printerColumns[name] = decoded
            }
        }
        for field in spec["selectableFields"]?.arrayValue ?? [] {
            guard let path = field["jsonPath"]?.stringValue else { continue }
            let label = path.hasPrefix(".") ? String(path.dropFirst()) : path
            selectableFields[label] = label.split(separator: ".").map(String.init)
        }
    }
}

/// Why a CustomResourceDefinition cannot define a resource.
struct InvalidCRD: Error {
    var errors: [FieldError]
    init(_ errors: [FieldError]) { self.errors = errors }
}
