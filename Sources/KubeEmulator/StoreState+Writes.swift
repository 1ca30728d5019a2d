import Foundation
import Kube

/// Which part of an object a write addresses.
enum Subresource: String, Sendable {
    case status
    /// A namespace's `spec.finalizers`, which only `/finalize` changes.
    case finalize
    /// A service account's TokenRequest (`kubectl create token`).
    case token
    /// A pod's binding to a node: `spec.nodeName`, set once (the scheduler's write; spec is otherwise immutable).
    case binding
}

extension StoreState {
    // MARK: Create

    /// Creates an object from a client's body: server-owned metadata set, defaults applied, validated, stored.
    mutating func create(_ resource: ResourceType, namespace: String?, body: JSONValue, dryRun: Bool) throws(APIError)
        -> JSONValue
    {
        var object = try normalized(body, resource: resource, namespace: namespace, name: nil)
        if object.name.isEmpty, case let prefix = object.meta("generateName"), !prefix.isEmpty {
            object.setMeta("name", generatedName(prefix: prefix, resource: resource, namespace: object.namespace))
        }
        if resource.namespaced {
            try requireLiveNamespace(object.namespace)
        }
        for member in ["uid", "resourceVersion", "deletionTimestamp", "deletionGracePeriodSeconds", "generation"] {
            object[path: ["metadata", member]] = nil
        }
        object.setMeta("uid", UUID().uuidString.lowercased())
        object.setMeta("creationTimestamp", Timestamp.now().description)
        if resource.tracksGeneration { object[path: ["metadata", "generation"]] = .integer(1) }
        var errors = try Strategy.prepareForCreate(&object, resource: resource, state: self)
        errors += MetadataValidation.errors(object, resource: resource)
        errors += Strategy.validate(object, old: nil, resource: resource)
        guard errors.isEmpty else { throw APIError.invalid(resource, object.name, errors) }
        let key = ObjectKey(namespace: object.namespace, name: object.name)
        guard objects[resource.key]?[key] == nil else { throw APIError.alreadyExists(resource, object.name) }
        if dryRun { return object }
        let stored = write(object, resource: resource.key, previous: nil)
        Strategy.afterWrite(stored, resource: resource, state: &self)
        if !stored.ownerReferences.isEmpty { pending.append(.checkOwners(ObjectRef(resource: resource.key, key: key))) }
        return stored
    }

    private func generatedName(prefix: String, resource: ResourceType, namespace: String) -> String {
        let alphabet = Array("bcdfghjklmnpqrstvwxz2456789")
        while true {
            let suffix = String((0..<5).map { _ in alphabet.randomElement()! })
            let name = String(prefix.prefix(58)) + suffix
            if objects[resource.key]?[ObjectKey(namespace: namespace, name: name)] == nil { return name }
        }
    }

    /// 404 for a namespace that does not exist, 403 for one being deleted (as the NamespaceLifecycle admission).
    func requireLiveNamespace(_ namespace: String) throws(APIError) {
        guard let object = objects[ResourceType.namespaceKey]?[ObjectKey(namespace: "", name: namespace)] else {
            throw APIError(code: 404, reason: .notFound, message: "namespaces \"\(namespace)\" not found",
                           details: StatusDetails(name: namespace, group: "", kind: "namespaces"))
        }
        if object.isBeingDeleted {
            throw APIError(code: 403, reason: .forbidden,
                           message: "unable to create new content in namespace \(namespace) because it is being terminated",
                           details: StatusDetails(name: namespace, group: "", kind: "namespaces"))
        }
    }

    /// The body with `apiVersion` and `kind` checked and set, and its namespace and name matched with the URL's.
    func normalized(_ body: JSONValue, resource: ResourceType, namespace: String?, name: String?) throws(APIError)
        -> JSONValue
    {
        guard case .object = body else { throw APIError.badRequest("the body of the request must be a JSON object") }
        var object = body
        let kind = body["kind"]?.stringValue ?? ""
        if !kind.isEmpty, kind != resource.kind {
            throw APIError.badRequest("the kind in the data (\(kind)) does not match the expected kind (\(resource.kind))")
        }
        let apiVersion = body["apiVersion"]?.stringValue ?? ""
        let version = resource.versions.first { resource.apiVersion($0) == apiVersion } ?? resource.storageVersion
        if !apiVersion.isEmpty, resource.apiVersion(version) != apiVersion {
            throw APIError.badRequest(
                "the API version in the data (\(apiVersion)) does not match the expected API version (\(resource.storageAPIVersion))")
        }
        object[path: ["apiVersion"]] = .string(resource.storageAPIVersion)
        object[path: ["kind"]] = .string(resource.kind)
        if case .object = object["metadata"] ?? .null {} else { object[path: ["metadata"]] = .object([:]) }
        if resource.namespaced {
            let path = namespace ?? ""
            if object.namespace.isEmpty {
                object.setMeta("namespace", path)
            } else if !path.isEmpty, object.namespace != path {
                throw APIError.badRequest("the namespace of the provided object does not match the namespace sent on the request")
            }
            if object.namespace.isEmpty { throw APIError.badRequest("a namespace is required to create a namespaced object") }
        } else {
            object.setMeta("namespace", "")
        }
        if let name, !object.name.isEmpty, object.name != name {
            throw APIError.badRequest("the name of the object (\(object.name)) does not match the name on the URL (\(name))")
        }
        if let name { object.setMeta("name", name) }
        return object
    }

    // MARK: Update

    /// Replaces an object (or its status) with a client's version, checking its resourceVersion.
    mutating func update(_ resource: ResourceType, key: ObjectKey, body: JSONValue, subresource: Subresource?,
                         dryRun: Bool) throws(APIError) -> JSONValue
    {
        guard let old = objects[resource.key]?[key] else { throw APIError.notFound(resource, key.name) }
        let incoming = try normalized(body, resource: resource, namespace: key.namespace, name: key.name)
        let version = incoming.resourceVersion
        if version.isEmpty {
            if !resource.allowsUnconditionalUpdate {
                throw APIError.invalid(resource, key.name, [
                    .invalid("metadata.resourceVersion", .string("0x0"), "must be specified for an update"),
                ])
            }
        } else if version != old.resourceVersion {
            throw APIError.staleResourceVersion(resource, key.name)
        }
        var object: JSONValue
        if subresource == .status {
            object = old
            object[path: ["status"]] = incoming["status"]
        } else if subresource == .finalize {
            object = old
            object[path: ["spec", "finalizers"]] = incoming["spec"]?["finalizers"]
        } else if subresource == .binding {
            if let bound = old["spec"]?["nodeName"]?.stringValue, !bound.isEmpty {
                throw APIError.conflict(resource, key.name, "pod \(key.name) is already assigned to node \"\(bound)\"")
            }
            object = old
            object[path: ["spec", "nodeName"]] = incoming["spec"]?["nodeName"]
        } else {
            object = incoming
            if resource.hasStatusSubresource { object[path: ["status"]] = old["status"] }
            for member in ["uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "generation",
                           "namespace", "name"]
            {
                object[path: ["metadata", member]] = old["metadata"]?[member]
            }
        }
        var errors: [FieldError] = []
        if old.isBeingDeleted {
            let added = Set(object.finalizers).subtracting(old.finalizers)
            if !added.isEmpty {
                errors.append(.forbidden("metadata.finalizers",
                                         "no new finalizers can be added if the object is being deleted, found new finalizers \(added.sorted())"))
            }
        }
        errors += Strategy.prepareForUpdate(&object, old: old, resource: resource, subresource: subresource)
        errors += MetadataValidation.errors(object, resource: resource)
        // A binding is the one change of an immutable pod spec; the rest of the spec is the old one. (JSONValue is
        // ExpressibleByNilLiteral: a bare `nil` here would be `.null`, not "no old object".)
        errors += Strategy.validate(object, old: subresource == .binding ? JSONValue?.none : old, resource: resource)
        guard errors.isEmpty else { throw APIError.invalid(resource, key.name, errors) }
        if resource.tracksGeneration, Self.desiredState(of: object, resource) != Self.desiredState(of: old, resource) {
            object[path: ["metadata", "generation"]] = .integer((old["metadata"]?["generation"]?.integerValue ?? 0) + 1)
        }
        object.setMeta("resourceVersion", old.resourceVersion)
        if object == old || dryRun { return object }
        let ref = ObjectRef(resource: resource.key, key: key)
        if object.isBeingDeleted, object.finalizers.isEmpty, Strategy.mayRemove(object, resource: resource) {
            return remove(ref, finalState: object) ?? object
        }
        let stored = write(object, resource: resource.key, previous: old)
        Strategy.afterWrite(stored, resource: resource, state: &self)
        return stored
    }

    /// What `generation` counts: everything but metadata, and but status when status has its own endpoint.
    private static func desiredState(of object: JSONValue, _ resource: ResourceType) -> JSONValue {
        var members = object.objectValue ?? [:]
        members["metadata"] = nil
        if resource.hasStatusSubresource { members["status"] = nil }
        return .object(members)
    }

    // MARK: Delete

    /// Deletes an object as the API server does: at once when nothing holds it, otherwise by marking it with a
    /// deletionTimestamp (and the finalizer its propagation policy needs) for the finalizers to release.
    mutating func delete(_ resource: ResourceType, key: ObjectKey, policy requested: PropagationPolicy?,
                         preconditions: DeletePreconditions, dryRun: Bool) throws(APIError) -> DeleteOutcome
    {
        guard let current = objects[resource.key]?[key] else { throw APIError.notFound(resource, key.name) }
        if let uid = preconditions.uid, !uid.isEmpty, uid != current.uid {
            throw APIError.conflict(resource, key.name,
                                    "Precondition failed: UID in precondition: \(uid), UID in object meta: \(current.uid)")
        }
        if let version = preconditions.resourceVersion, !version.isEmpty, version != current.resourceVersion {
            throw APIError.conflict(resource, key.name,
                                    "Precondition failed: ResourceVersion in precondition: \(version), ResourceVersion in object meta: \(current.resourceVersion)")
        }
        try Strategy.checkDeletable(current, resource: resource)
        if dryRun { return .pending(current) }
        var finalizers = current.finalizers
        switch requested ?? .background {
        case .orphan: if !finalizers.contains("orphan") { finalizers.append("orphan") }
        case .foreground: if !finalizers.contains("foregroundDeletion") { finalizers.append("foregroundDeletion") }
        case .background: break
        }
        let ref = ObjectRef(resource: resource.key, key: key)
        if current.isBeingDeleted {
            guard finalizers != current.finalizers else { return .pending(current) }
            var object = current
            object.finalizers = finalizers
            return .pending(write(object, resource: resource.key, previous: current))
        }
        var object = current
        object.finalizers = finalizers
        if finalizers.isEmpty, Strategy.mayRemove(object, resource: resource) {
            return .removed(remove(ref) ?? current)
        }
        object.setMeta("deletionTimestamp", Timestamp.now().description)
        object[path: ["metadata", "deletionGracePeriodSeconds"]] = .integer(0)
        Strategy.markDeleting(&object, resource: resource)
        return .pending(write(object, resource: resource.key, previous: current))
    }
}
