/// `metadata` of every object. Empty strings, zero numbers and empty collections are left out of the JSON, as the
/// Go types do (`omitempty`), so an empty `namespace` means "not set".
public struct ObjectMeta: PreservingCodable, Hashable {
    public var name = ""
    /// Prefix from which the server makes a unique name when `name` is empty.
    public var generateName = ""
    public var namespace = ""
    public var uid = ""
    /// Opaque version for optimistic concurrency; an update carrying a stale one is rejected with 409 Conflict.
    public var resourceVersion = ""
    /// Incremented by the server on every change of the desired state (spec).
    public var generation: Int64 = 0
    public var creationTimestamp: Timestamp?
    /// Set when deletion was requested and finalizers still hold the object.
    public var deletionTimestamp: Timestamp?
    public var deletionGracePeriodSeconds: Int64?
    public var labels: [String: String] = [:]
    public var annotations: [String: String] = [:]
    public var finalizers: [String] = []
    public var ownerReferences: [OwnerReference] = []
    /// Server-side-apply bookkeeping, kept opaque: this code never reads it, only carries it back.
    public var managedFields: [JSONValue] = []
    public var unknownFields: [String: JSONValue] = [:]

    public init() {}

    public init(name: String, namespace: String = "", labels: [String: String] = [:],
                annotations: [String: String] = [:]) {
        self.name = name
        self.namespace = namespace
        self.labels = labels
        self.annotations = annotations
    }

    public static let codingFields: [CodingField<ObjectMeta>] = [
        .omitEmpty("name", \.name),
        .omitEmpty("generateName", \.generateName),
        .omitEmpty("namespace", \.namespace),
        .omitEmpty("uid", \.uid),
        .omitEmpty("resourceVersion", \.resourceVersion),
        .omitEmpty("generation", \.generation),
        .optional("creationTimestamp", \.creationTimestamp),
        .optional("deletionTimestamp", \.deletionTimestamp),
        .optional("deletionGracePeriodSeconds", \.deletionGracePeriodSeconds),
        .omitEmpty("labels", \.labels),
        .omitEmpty("annotations", \.annotations),
        .omitEmpty("finalizers", \.finalizers),
        .omitEmpty("ownerReferences", \.ownerReferences),
        .omitEmpty("managedFields", \.managedFields),
    ]

    /// Whether deletion was requested (the object stays until its finalizers are removed).
    public var isBeingDeleted: Bool { deletionTimestamp != nil }

    public func hasFinalizer(_ finalizer: String) -> Bool { finalizers.contains(finalizer) }

    /// Adds `finalizer` unless present; returns whether the metadata changed.
    @discardableResult
    public mutating func addFinalizer(_ finalizer: String) -> Bool {
        guard !finalizers.contains(finalizer) else { return false }
        finalizers.append(finalizer)
        return true
    }

    /// Removes every copy of `finalizer`; returns whether the metadata changed.
    @discardableResult
    public mutating func removeFinalizer(_ finalizer: String) -> Bool {
        let before = finalizers.count
        finalizers.removeAll { $0 == finalizer }
        return finalizers.count != before
    }

    /// The owner reference marked `controller: true`, if any.
    public var controllerReference: OwnerReference? { ownerReferences.first { $0.controller == true } }
}

/// `metadata` of a list response.
public struct ListMeta: PreservingCodable, Hashable {
    public var resourceVersion = ""
    /// Token for the next page of a paginated list; empty on the last page.
    public var `continue` = ""
    public var remainingItemCount: Int64?
    public var unknownFields: [String: JSONValue] = [:]

    public init() {}

    public init(resourceVersion: String, continue token: String = "") {
        self.resourceVersion = resourceVersion
        self.continue = token
    }

    public static let codingFields: [CodingField<ListMeta>] = [
        .omitEmpty("resourceVersion", \.resourceVersion),
        .omitEmpty("continue", \.continue),
        .optional("remainingItemCount", \.remainingItemCount),
    ]
}

/// A link from an object to an owner: garbage collection deletes the object when the owner goes.
public struct OwnerReference: PreservingCodable, Hashable {
    public var apiVersion = ""
    public var kind = ""
    public var name = ""
    public var uid = ""
    /// Marks the one managing controller of the object.
    public var controller: Bool?
    /// With foreground deletion, the owner waits for this object to go first.
    public var blockOwnerDeletion: Bool?
    public var unknownFields: [String: JSONValue] = [:]

    public init() {}

    public init(apiVersion: String, kind: String, name: String, uid: String, controller: Bool? = nil,
                blockOwnerDeletion: Bool? = nil) {
        self.apiVersion = apiVersion
        self.kind = kind
        self.name = name
        self.uid = uid
        self.controller = controller
        self.blockOwnerDeletion = blockOwnerDeletion
    }

    /// A controller reference to `owner`, as controllers set on the objects they create.
    public init(controlledBy owner: some KubernetesObject) {
        self.init(apiVersion: owner.apiVersion, kind: owner.kind, name: owner.metadata.name,
                  uid: owner.metadata.uid, controller: true, blockOwnerDeletion: true)
    }

    // apiVersion, kind, name and uid are required by the API, so they are always written.
    public static let codingFields: [CodingField<OwnerReference>] = [
        .always("apiVersion", \.apiVersion),
        .always("kind", \.kind),
        .always("name", \.name),
        .always("uid", \.uid),
        .optional("controller", \.controller),
        .optional("blockOwnerDeletion", \.blockOwnerDeletion),
    ]
}
