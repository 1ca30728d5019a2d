import Foundation
import Kube
import Synchronization

/// Names one stored object across all resources.
struct ObjectRef: Hashable, Sendable {
    var resource: ResourceKey
    var key: ObjectKey
}

/// How dependents are treated when their owner is deleted (`DeleteOptions.propagationPolicy`).
enum PropagationPolicy: String, Sendable {
    case orphan = "Orphan"
    case background = "Background"
    case foreground = "Foreground"
}

/// `DeleteOptions.preconditions`.
struct DeletePreconditions: Sendable {
    var uid: String?
    var resourceVersion: String?
}

/// The answer to a delete: the object is gone, or it is marked and waits for finalizers.
enum DeleteOutcome: Sendable {
    case removed(JSONValue)
    case pending(JSONValue)

    var object: JSONValue {
        switch self {
        case .removed(let object), .pending(let object): object
        }
    }
}

/// The single in-memory store of the emulated cluster: every object of every resource, the cluster-wide
/// resourceVersion counter, the change history that watches resume from, and the open watches.
///
/// All state sits behind one lock and every operation (with the garbage collection and finalization it sets off)
/// runs to completion under it, so each request is atomic and every change gets its own resourceVersion in order.
final class ClusterStore: Sendable {
    let state: Mutex<StoreState>

    init(historyLimit: Int) {
        state = Mutex(StoreState(historyLimit: historyLimit))
        state.withLock { state in
            for namespace in ["default", "kube-system", "kube-public", "kube-node-lease"] {
                _ = try? state.create(state.registry[ResourceType.namespaceKey]!, namespace: nil,
                                      body: ["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": .string(namespace)]],
                                      dryRun: false)
            }
            state.drain()
        }
    }

    /// Runs one operation under the lock and lets the controllers it woke finish before answering.
    func perform<T: Sendable>(_ body: (inout StoreState) throws(APIError) -> T) throws(APIError) -> T {
        try state.withLock { (state: inout StoreState) throws(APIError) -> T in
            defer { state.drain() }
            return try body(&state)
        }
    }

    var registry: ResourceRegistry { state.withLock { $0.registry } }
    var revision: Int64 { state.withLock { $0.revision } }
}

/// Work the built-in controllers still have to do after a change (finalizers, garbage collection).
enum StoreWork: Sendable {
    /// An object marked for deletion: run what its finalizers stand for and remove it once none are left.
    case finalize(ObjectRef)
    /// An object was removed: collect its dependents, and let owners, namespace or CRD waiting on it go on.
    case removed(ResourceKey, JSONValue)
    /// A new object names owners: the garbage collector deletes it if none of them exists.
    case checkOwners(ObjectRef)
}

/// A registered watch.
struct Watcher: Sendable {
    var filter: WatchFilter
    var continuation: AsyncStream<WatchMessage>.Continuation
}

/// The data behind `ClusterStore`'s lock.
struct StoreState: Sendable {
    var revision: Int64 = 0
    var registry = ResourceRegistry()
    var objects: [ResourceKey: [ObjectKey: JSONValue]] = [:]
    var history: EventHistory
    var watchers: [Int: Watcher] = [:]
    var nextWatcherID = 0
    /// Chance that a watch is cut after each event it receives (fault injection).
    var watchDropProbability = 0.0
    var uidIndex: [String: ObjectRef] = [:]
    /// Owner uid to the objects whose ownerReferences name it.
    var dependents: [String: Set<ObjectRef>] = [:]
    /// Number of objects in each namespace, so a terminating namespace knows when it is empty.
    var namespaceContents: [String: Int] = [:]
    var pending: [StoreWork] = []

    init(historyLimit: Int) { history = EventHistory(limit: historyLimit) }

    func object(_ ref: ObjectRef) -> JSONValue? { objects[ref.resource]?[ref.key] }

    /// The resource type of a stored resource key, or a 404 for one no longer served.
    func type(_ key: ResourceKey) -> ResourceType? { registry[key] }

    // MARK: Low-level writes: every one bumps the revision and records one event.

    /// Stores `object` (new or replacing `previous`) with the next resourceVersion.
    @discardableResult
    mutating func write(_ object: JSONValue, resource: ResourceKey, previous: JSONValue?) -> JSONValue {
        revision += 1
        var object = object
        object.setMeta("resourceVersion", String(revision))
        let ref = ObjectRef(resource: resource, key: ObjectKey(namespace: object.namespace, name: object.name))
        objects[resource, default: [:]][ref.key] = object
        if previous == nil {
            uidIndex[object.uid] = ref
            if !ref.key.namespace.isEmpty { namespaceContents[ref.key.namespace, default: 0] += 1 }
        }
        reindexOwners(ref, old: previous, new: object)
        record(StoredEvent(revision: revision, resource: resource, type: previous == nil ? .added : .modified,
                           object: object, previous: previous))
        if object.isBeingDeleted { pending.append(.finalize(ref)) }
        return object
    }

    /// Removes an object for good, with a DELETED event at a new resourceVersion. `finalState` is the object as
    /// the update that released it left it (without its last finalizer), which is what watchers see.
    @discardableResult
    mutating func remove(_ ref: ObjectRef, finalState: JSONValue? = nil) -> JSONValue? {
        guard let previous = objects[ref.resource]?[ref.key] else { return nil }
        var object = finalState ?? previous
        revision += 1
        object.setMeta("resourceVersion", String(revision))
        objects[ref.resource]?[ref.key] = nil
        uidIndex[object.uid] = nil
        if !ref.key.namespace.isEmpty { namespaceContents[ref.key.namespace, default: 1] -= 1 }
        reindexOwners(ref, old: previous, new: nil)
        record(StoredEvent(revision: revision, resource: ref.resource, type: .deleted, object: object, previous: previous))
        pending.append(.removed(ref.resource, object))
        return object
    }

    private mutating func reindexOwners(_ ref: ObjectRef, old: JSONValue?, new: JSONValue?) {
        let before = Set((old?.ownerReferences ?? []).compactMap { $0["uid"]?.stringValue })
        let after = Set((new?.ownerReferences ?? []).compactMap { $0["uid"]?.stringValue })
        for uid in before.subtracting(after) {
            dependents[uid]?.remove(ref)
            if dependents[uid]?.isEmpty == true { dependents[uid] = nil }
        }
        for uid in after.subtracting(before) { dependents[uid, default: []].insert(ref) }
    }

    private mutating func record(_ event: StoredEvent) {
        history.append(event)
        guard !watchers.isEmpty else { return }
        for (id, watcher) in watchers {
            guard let (type, object) = watcher.filter.view(of: event) else { continue }
            deliver(.event(type, object), to: id, watcher)
            if watchDropProbability > 0, Double.random(in: 0..<1) < watchDropProbability { stopWatch(id) }
        }
    }

    /// Hands a message to a watch; a watch that is gone or too far behind is dropped (its client reconnects).
    mutating func deliver(_ message: WatchMessage, to id: Int, _ watcher: Watcher) {
        switch watcher.continuation.yield(message) {
        case .enqueued: break
        case .dropped, .terminated: stopWatch(id)
        @unknown default: stopWatch(id)
        }
    }

    mutating func stopWatch(_ id: Int) {
        watchers.removeValue(forKey: id)?.continuation.finish()
    }

    // MARK: Controllers

    /// Runs the finalization and garbage collection that earlier changes asked for, until nothing is left.
    mutating func drain() {
        while !pending.isEmpty {
            let work = pending.removeFirst()
            switch work {
            case .finalize(let ref): finalize(ref)
            case .removed(let resource, let object): collect(afterRemoving: object, of: resource)
            case .checkOwners(let ref): collectOwnerless(ref)
            }
        }
    }
}
