import Synchronization

/// An informer's local cache: the objects of one resource by `namespace/name`, with secondary indexes (all pods of a
/// node, all endpoints of a gateway) kept up to date on every change.
///
/// Reads are synchronous and cheap, so reconcilers read from here instead of asking the API server. Only the
/// informer writes.
public final class ObjectStore<Object: APIObject>: Sendable {
    /// The index values of an object (none, one or several); objects are found by any of them.
    public typealias IndexFunction = @Sendable (Object) -> [String]

    /// Indexes objects by namespace; informers include it under ``namespaceIndex``.
    public static var namespaceIndex: String { "namespace" }

    private struct State {
        var objects: [ObjectKey: Object] = [:]
        /// index name → index value → keys.
        var indices: [String: [String: Set<ObjectKey>]] = [:]
    }

    private let indexers: [String: IndexFunction]
    private let state = Mutex(State())

    /// - Parameter indexers: custom indexes by name, in addition to ``namespaceIndex``.
    public init(indexers: [String: IndexFunction] = [:]) {
        var all = indexers
        all[Self.namespaceIndex] = { [$0.metadata.namespace] }
        self.indexers = all
    }

    public func get(_ key: ObjectKey) -> Object? {
        state.withLock { $0.objects[key] }
    }

    public func get(namespace: String = "", name: String) -> Object? {
        get(ObjectKey(namespace: namespace, name: name))
    }

    /// Every object, in key order.
    public func list() -> [Object] {
        state.withLock { state in state.objects.sorted { $0.key < $1.key }.map(\.value) }
    }

    public var keys: [ObjectKey] {
        state.withLock { $0.objects.keys.sorted() }
    }

    public var count: Int { state.withLock { $0.objects.count } }

    /// The objects whose index `name` includes `value`, in key order. An unknown index name finds nothing.
    public func byIndex(_ name: String, _ value: String) -> [Object] {
        state.withLock { state in
            (state.indices[name]?[value] ?? []).sorted().compactMap { state.objects[$0] }
        }
    }

    /// The objects of one namespace.
    public func list(namespace: String) -> [Object] { byIndex(Self.namespaceIndex, namespace) }

    // MARK: Changes (the informer's)

    /// Stores `object`; returns the object it replaced.
    @discardableResult
    func upsert(_ object: Object) -> Object? {
        let key = object.objectKey
        return state.withLock { state in
            let old = state.objects.updateValue(object, forKey: key)
            if let old { unindex(old, key: key, in: &state) }
            index(object, key: key, in: &state)
            return old
        }
    }

    /// Removes the object `key`; returns it.
    @discardableResult
    func remove(_ key: ObjectKey) -> Object? {
        state.withLock { state in
            guard let old = state.objects.removeValue(forKey: key) else { return nil }
            unindex(old, key: key, in: &state)
            return old
        }
    }

    /// Replaces the whole content with `objects` (a fresh list) and returns what changed: objects new to the store,
    /// objects whose `resourceVersion` changed (old and new), and objects no longer listed (their last state).
    func replace(with objects: [Object]) -> (added: [Object], updated: [(old: Object, new: Object)], deleted: [Object]) {
        state.withLock { state in
            var added: [Object] = []
            var updated: [(old: Object, new: Object)] = []
            var fresh: [ObjectKey: Object] = [:]
            fresh.reserveCapacity(objects.count)
            for object in objects {
                let key = object.objectKey
                fresh[key] = object
                if let old = state.objects[key] {
                    if old.metadata.resourceVersion != object.metadata.resourceVersion || old != object {
                        updated.append((old, object))
                    }
                } else {
                    added.append(object)
                }
            }
            let deleted = state.objects.filter { fresh[$0.key] == nil }.sorted { $0.key < $1.key }.map(\.value)
            state.objects = fresh
            state.indices = [:]
            for (key, object) in fresh { index(object, key: key, in: &state) }
            return (added, updated, deleted)
        }
    }

    private func index(_ object: Object, key: ObjectKey, in state: inout State) {
        for (name, function) in indexers {
            for value in function(object) { state.indices[name, default: [:]][value, default: []].insert(key) }
        }
    }

    private func unindex(_ object: Object, key: ObjectKey, in state: inout State) {
        for (name, function) in indexers {
            for value in function(object) {
                state.indices[name]?[value]?.remove(key)
                if state.indices[name]?[value]?.isEmpty == true { state.indices[name]?[value] = nil }
            }
        }
    }
}
