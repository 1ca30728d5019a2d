import Foundation
import Kube

/// What differs between kinds on write: the defaults and status resets kube-apiserver's registry strategies apply,
/// the validation that matters to clients, and the CRD side effects (serving the resource it defines).
enum Strategy {
    static func prepareForCreate(_ object: inout JSONValue, resource: ResourceType, state: StoreState) throws(APIError)
        -> [FieldError]
    {
        switch resource.key {
        case ResourceType.namespaceKey:
            if object["spec"]?["finalizers"] == nil { object[path: ["spec", "finalizers"]] = [.string(StoreState.namespaceFinalizer)] }
            object[path: ["status"]] = ["phase": "Active"]
            object[path: ["metadata", "labels", "kubernetes.io/metadata.name"]] = .string(object.name)
        case ResourceType.podKey:
            preparePod(&object)
        case ResourceType.secretKey:
            return prepareSecret(&object, old: nil)
        case ResourceType.crdKey:
            return prepareDefinition(&object, old: nil)
        default:
            break
        }
        if resource.isCustom {
            if resource.hasStatusSubresource { object[path: ["status"]] = nil }
            return CustomResourceSchema.process(&object, resource: resource)
        }
        return []
    }

    static func prepareForUpdate(_ object: inout JSONValue, old: JSONValue, resource: ResourceType,
                                 subresource: Subresource?) -> [FieldError]
    {
        switch resource.key {
        case ResourceType.namespaceKey:
            object[path: ["metadata", "labels", "kubernetes.io/metadata.name"]] = .string(object.name)
            if subresource == nil { object[path: ["spec", "finalizers"]] = old["spec"]?["finalizers"] }
        case ResourceType.secretKey:
            return prepareSecret(&object, old: old)
        case ResourceType.crdKey:
            return prepareDefinition(&object, old: old)
        default:
            break
        }
        if resource.isCustom { return CustomResourceSchema.process(&object, resource: resource) }
        return []
    }

    static func validate(_ object: JSONValue, old: JSONValue?, resource: ResourceType) -> [FieldError] {
        var errors: [FieldError] = []
        switch resource.key {
        case ResourceType.podKey:
            errors += validatePod(object, old: old)
        case ResourceType.secretKey, ResourceKey(group: "", plural: "configmaps"):
            if let old, old["immutable"]?.boolValue == true {
                for member in ["data", "binaryData", "stringData"] where object[member] != old[member] {
                    errors.append(.forbidden(member, "field is immutable when `immutable` is set"))
                }
                if object["immutable"] != old["immutable"] {
                    errors.append(.forbidden("immutable", "field is immutable when `immutable` is set"))
                }
            }
            if resource.key == ResourceType.secretKey, let old, object["type"] != old["type"] {
                errors.append(.invalid("type", object["type"] ?? .string(""), "field is immutable"))
            }
        default:
            break
        }
        return errors
    }

    /// Side effects of a stored write: a CRD (re)defines the resource it describes.
    static func afterWrite(_ object: JSONValue, resource: ResourceType, state: inout StoreState) {
        guard resource.key == ResourceType.crdKey, let type = try? ResourceType(definition: object) else { return }
        state.registry.define(type)
    }

    /// Whether a marked object may go once its metadata finalizers are gone (a namespace also waits for its own
    /// `spec.finalizers`).
    static func mayRemove(_ object: JSONValue, resource: ResourceType) -> Bool {
        guard resource.key == ResourceType.namespaceKey else { return true }
        return (object["spec"]?["finalizers"]?.arrayValue ?? []).isEmpty
    }

    static func markDeleting(_ object: inout JSONValue, resource: ResourceType) {
        switch resource.key {
        case ResourceType.namespaceKey:
            object[path: ["status", "phase"]] = "Terminating"
        case ResourceType.crdKey:
            var conditions = (object["status"]?["conditions"]?.arrayValue ?? []).filter { $0["type"] != "Terminating" }
            conditions.append(condition("Terminating", reason: "InstanceDeletionInProgress",
                                        message: "CustomResource deletion is in progress"))
            object[path: ["status", "conditions"]] = .array(conditions)
        default:
            break
        }
    }

    static func checkDeletable(_ object: JSONValue, resource: ResourceType) throws(APIError) {
        if resource.key == ResourceType.namespaceKey, ["default", "kube-system", "kube-public"].contains(object.name) {
            throw APIError(code: 403, reason: .forbidden,
                           message: "namespaces \"\(object.name)\" is forbidden: this namespace may not be deleted",
                           details: StatusDetails(name: object.name, group: "", kind: "namespaces"))
        }
    }

    // MARK: Kinds

    private static func preparePod(_ object: inout JSONValue) {
        let defaults: [(String, JSONValue)] = [
            ("restartPolicy", "Always"), ("dnsPolicy", "ClusterFirst"), ("schedulerName", "default-scheduler"),
            ("terminationGracePeriodSeconds", 30), ("serviceAccountName", "default"), ("enableServiceLinks", true),
            ("priority", 0), ("preemptionPolicy", "PreemptLowerPriority"), ("securityContext", .object([:])),
        ]
        for (member, value) in defaults where object["spec"]?[member] == nil {
            object[path: ["spec", member]] = value
        }
        for list in ["containers", "initContainers"] {
            guard var containers = object["spec"]?[list]?.arrayValue else { continue }
            for index in containers.indices {
                for (member, value) in [("terminationMessagePath", JSONValue.string("/dev/termination-log")),
                                        ("terminationMessagePolicy", "File"), ("imagePullPolicy", "IfNotPresent"),
                                        ("resources", .object([:]))]
                    where containers[index][member] == nil
                {
                    containers[index][path: [member]] = value
                }
            }
            object[path: ["spec", list]] = .array(containers)
        }
        object[path: ["status"]] = ["phase": "Pending", "qosClass": "BestEffort"]
    }

    private static func validatePod(_ object: JSONValue, old: JSONValue?) -> [FieldError] {
        var errors: [FieldError] = []
        let containers = object["spec"]?["containers"]?.arrayValue ?? []
        if containers.isEmpty { errors.append(.required("spec.containers", "")) }
        for (index, container) in containers.enumerated() {
            if (container["name"]?.stringValue ?? "").isEmpty { errors.append(.required("spec.containers[\(index)].name", "")) }
            if (container["image"]?.stringValue ?? "").isEmpty { errors.append(.required("spec.containers[\(index)].image", "")) }
        }
        if let old, mutablePodSpec(object["spec"]) != mutablePodSpec(old["spec"]) {
            errors.append(.forbidden("spec", "pod updates may not change fields other than `spec.containers[*].image`,"
                + "`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to"
                + " existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was"
                + " previously negative)"))
        }
        return errors
    }

    /// A pod spec with the members updates may change blanked out, to compare the rest.
    private static func mutablePodSpec(_ spec: JSONValue?) -> JSONValue? {
        guard var spec else { return nil }
        for list in ["containers", "initContainers"] {
            guard var containers = spec[list]?.arrayValue else { continue }
            for index in containers.indices { containers[index][path: ["image"]] = nil }
            spec[path: [list]] = .array(containers)
        }
        for member in ["activeDeadlineSeconds", "tolerations", "terminationGracePeriodSeconds"] {
            spec[path: [member]] = nil
        }
        return spec
    }

    /// `stringData` is write-only: it is merged into `data` (base64) and never stored.
    private static func prepareSecret(_ object: inout JSONValue, old: JSONValue?) -> [FieldError] {
        var errors: [FieldError] = []
        if object["type"] == nil || object["type"] == .string("") { object[path: ["type"]] = "Opaque" }
        if let stringData = object["stringData"]?.objectValue {
            for (key, value) in stringData {
                guard let text = value.stringValue else {
                    errors.append(.invalid("stringData[\(key)]", value, "must be a string"))
                    continue
                }
                object[path: ["data", key]] = .string(Data(text.utf8).base64EncodedString())
            }
            object[path: ["stringData"]] = nil
        }
        for (key, value) in object["data"]?.objectValue ?? [:] {
            if value.stringValue.flatMap({ Data(base64Encoded: $0) }) == nil {
                errors.append(.invalid("data[\(key)]", value, "must be base64-encoded bytes"))
            }
        }
        return errors
    }

    /// A CRD must define a valid resource that no built-in resource already is; its status reports the names
    /// accepted and the definition established at once, as soon as kube-apiserver would serve it.
    private static func prepareDefinition(_ object: inout JSONValue, old: JSONValue?) -> [FieldError] {
        let type: ResourceType
        do {
            type = try ResourceType(definition: object)
        } catch {
            return error.errors
        }
        if ResourceRegistry.isBuiltIn(type.key) {
            return [.invalid("spec.group", .string(type.group), "a built-in resource uses this group and plural")]
        }
        if let old, old["spec"]?["scope"] != object["spec"]?["scope"] {
            return [.invalid("spec.scope", object["spec"]?["scope"] ?? .null, "field is immutable")]
        }
        if object["spec"]?["conversion"] == nil { object[path: ["spec", "conversion"]] = ["strategy": "None"] }
        if old == nil {
            var finalizers = object.finalizers
            if !finalizers.contains(StoreState.crdCleanupFinalizer) { finalizers.append(StoreState.crdCleanupFinalizer) }
            object.finalizers = finalizers
        }
        var stored = Set((old?["status"]?["storedVersions"]?.arrayValue ?? []).compactMap(\.stringValue))
        stored.insert(type.storageVersion)
        let names = object["spec"]?["names"] ?? .object([:])
        var acceptedNames = names
        acceptedNames[path: ["singular"]] = .string(type.singular)
        acceptedNames[path: ["listKind"]] = .string(type.kind + "List")
        var status = old?["status"] ?? .object([:])
        status[path: ["acceptedNames"]] = acceptedNames
        status[path: ["storedVersions"]] = .array(stored.sorted().map(JSONValue.string))
        // Conditions already true keep their transition time, so an unchanged CRD stays unchanged.
        var conditions = status["conditions"]?.arrayValue ?? []
        for (type, reason, message) in [("NamesAccepted", "NoConflicts", "no conflicts found"),
                                        ("Established", "InitialNamesAccepted", "the initial names have been accepted")]
            where !conditions.contains(where: { $0["type"] == .string(type) && $0["status"] == "True" })
        {
            conditions.removeAll { $0["type"] == .string(type) }
            conditions.append(condition(type, reason: reason, message: message))
        }
        status[path: ["conditions"]] = .array(conditions)
        object[path: ["status"]] = status
        return []
    }

    private static func condition(_ type: String, reason: String, message: String) -> JSONValue {
        ["type": .string(type), "status": "True", "reason": .string(reason), "message": .string(message),
         "lastTransitionTime": .string(Timestamp.now().description)]
    }
}
