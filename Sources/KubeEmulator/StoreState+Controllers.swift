import Kube

/// The parts of kube-controller-manager and kube-apiserver that act on deletion: the garbage collector (owner
/// references, background/foreground/orphan propagation), the namespace controller and the CRD cleanup. They run
/// synchronously after the change that triggers them, which is one of the orders the real controllers may take.
extension StoreState {
    static let orphanFinalizer = "orphan"
    static let foregroundFinalizer = "foregroundDeletion"
    static let crdCleanupFinalizer = "customresourcecleanup.apiextensions.k8s.io"
    static let namespaceFinalizer = "kubernetes"

    /// Works on an object marked for deletion until its own finalizers (the ones the emulator owns) are done.
    mutating func finalize(_ ref: ObjectRef) {
        guard let object = object(ref), object.isBeingDeleted else { return }
        let uid = object.uid
        var done: Set<String> = []
        if object.finalizers.contains(Self.orphanFinalizer) {
            for dependent in dependents[uid] ?? [] {
                guard var child = self.object(dependent) else { continue }
                let previous = child
                child.ownerReferences = child.ownerReferences.filter { $0["uid"]?.stringValue != uid }
                write(child, resource: dependent.resource, previous: previous)
            }
            done.insert(Self.orphanFinalizer)
        }
        if object.finalizers.contains(Self.foregroundFinalizer) {
            for dependent in dependents[uid] ?? [] {
                guard let child = self.object(dependent), !child.isBeingDeleted, let type = registry[dependent.resource]
                else { continue }
                _ = try? delete(type, key: dependent.key, policy: .foreground, preconditions: DeletePreconditions(),
                                dryRun: false)
            }
            let blocked = (dependents[uid] ?? []).contains { dependent in
                self.object(dependent)?.ownerReferences.contains {
                    $0["uid"]?.stringValue == uid && $0["blockOwnerDeletion"]?.boolValue == true
                } ?? false
            }
            if !blocked { done.insert(Self.foregroundFinalizer) }
        }
        if ref.resource == ResourceType.crdKey, object.finalizers.contains(Self.crdCleanupFinalizer) {
            let defined = ResourceKey(group: object["spec"]?["group"]?.stringValue ?? "",
                                      plural: object["spec"]?["names"]?["plural"]?.stringValue ?? "")
            if let type = registry[defined] {
                for key in (objects[defined] ?? [:]).keys.sorted() where objects[defined]?[key]?.isBeingDeleted == false {
                    _ = try? delete(type, key: key, policy: nil, preconditions: DeletePreconditions(), dryRun: false)
                }
            }
            if objects[defined]?.isEmpty ?? true { done.insert(Self.crdCleanupFinalizer) }
        }
        if ref.resource == ResourceType.namespaceKey {
            finalizeNamespace(ref)
        }
        release(ref, dropping: done)
    }

    /// Deletes everything in a terminating namespace; once it is empty, drops the `kubernetes` spec finalizer.
    private mutating func finalizeNamespace(_ ref: ObjectRef) {
        let namespace = ref.key.name
        guard let object = object(ref),
              (object["spec"]?["finalizers"]?.arrayValue ?? []).contains(.string(Self.namespaceFinalizer))
        else { return }
        if namespaceContents[namespace, default: 0] > 0 {
            for (resource, members) in objects.sorted(by: { $0.key < $1.key }) {
                guard let type = registry[resource], type.namespaced else { continue }
                for key in members.keys.sorted() where key.namespace == namespace && members[key]?.isBeingDeleted == false {
                    _ = try? delete(type, key: key, policy: nil, preconditions: DeletePreconditions(), dryRun: false)
                }
            }
        }
        guard namespaceContents[namespace, default: 0] == 0, var current = self.object(ref) else { return }
        let previous = current
        let remaining = (current["spec"]?["finalizers"]?.arrayValue ?? []).filter { $0 != .string(Self.namespaceFinalizer) }
        current[path: ["spec", "finalizers"]] = remaining.isEmpty ? nil : .array(remaining)
        if current.finalizers.isEmpty, remaining.isEmpty {
            remove(ref, finalState: current)
        } else {
            write(current, resource: ref.resource, previous: previous)
        }
    }

    /// Removes finalizers the emulator has completed; the object goes when none are left.
    private mutating func release(_ ref: ObjectRef, dropping done: Set<String>) {
        guard var object = object(ref) else { return }
        let previous = object
        object.finalizers = object.finalizers.filter { !done.contains($0) }
        let removable = object.finalizers.isEmpty && (registry[ref.resource].map { Strategy.mayRemove(object, resource: $0) } ?? true)
        if removable {
            remove(ref, finalState: object)
        } else if object != previous {
            write(object, resource: ref.resource, previous: previous)
        }
    }

    /// After an object is gone: its dependents are collected and whatever waited for it goes on.
    mutating func collect(afterRemoving object: JSONValue, of resource: ResourceKey) {
        for dependent in dependents[object.uid] ?? [] {
            collectOwnerless(dependent)
        }
        for reference in object.ownerReferences {
            guard let uid = reference["uid"]?.stringValue, let owner = uidIndex[uid],
                  let ownerObject = self.object(owner), ownerObject.isBeingDeleted
            else { continue }
            pending.append(.finalize(owner))
        }
        if !object.namespace.isEmpty {
            let namespace = ObjectRef(resource: ResourceType.namespaceKey, key: ObjectKey(namespace: "", name: object.namespace))
            if self.object(namespace)?.isBeingDeleted == true { pending.append(.finalize(namespace)) }
        }
        if registry[resource]?.isCustom == true {
            let crd = ObjectRef(resource: ResourceType.crdKey, key: ObjectKey(namespace: "", name: resource.description))
            if self.object(crd)?.isBeingDeleted == true { pending.append(.finalize(crd)) }
        }
        if resource == ResourceType.crdKey {
            let defined = ResourceKey(group: object["spec"]?["group"]?.stringValue ?? "",
                                      plural: object["spec"]?["names"]?["plural"]?.stringValue ?? "")
            if !ResourceRegistry.isBuiltIn(defined) {
                registry.remove(defined)
                objects[defined] = nil
                for (id, watcher) in watchers where watcher.filter.resource == defined { stopWatch(id) }
            }
        }
    }

    /// The garbage collector's rule for one object with owner references: when no owner exists any more it is
    /// deleted (background); references to owners that are gone are dropped while another owner remains.
    mutating func collectOwnerless(_ ref: ObjectRef) {
        guard var child = object(ref), !child.ownerReferences.isEmpty else { return }
        let live = child.ownerReferences.filter { uidIndex[$0["uid"]?.stringValue ?? ""] != nil }
        if live.isEmpty {
            guard !child.isBeingDeleted, let type = registry[ref.resource] else { return }
            _ = try? delete(type, key: ref.key, policy: .background, preconditions: DeletePreconditions(), dryRun: false)
        } else if live.count != child.ownerReferences.count {
            let previous = child
            child.ownerReferences = live
            write(child, resource: ref.resource, previous: previous)
        }
    }
}
