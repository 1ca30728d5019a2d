import Kube

/// The resources being served: the built-in ones and those CustomResourceDefinitions add. It changes together with
/// the CRD objects in the store, so discovery and routing always agree with what `kubectl get crd` shows.
struct ResourceRegistry: Sendable {
    private(set) var types: [ResourceKey: ResourceType] = [:]

    init() {
        for type in ResourceType.builtIns { types[type.key] = type }
    }

    subscript(key: ResourceKey) -> ResourceType? { types[key] }

    /// The resource served at `/apis/GROUP/VERSION/PLURAL` (or `/api/v1/PLURAL`).
    func resource(group: String, version: String, plural: String) -> ResourceType? {
        guard let type = types[ResourceKey(group: group, plural: plural)], type.versions.contains(version) else {
            return nil
        }
        return type
    }

    /// Whether the group-version is served at all (for discovery of `/apis/G/V`).
    func serves(group: String, version: String) -> Bool {
        types.values.contains { $0.group == group && $0.versions.contains(version) }
    }

    /// The resources of one group-version, ordered by plural.
    func resources(group: String, version: String) -> [ResourceType] {
        types.values.filter { $0.group == group && $0.versions.contains(version) }.sorted { $0.plural < $1.plural }
    }

    /// Every non-core group with its served versions, the preferred (storage) version first.
    var groups: [(name: String, versions: [String])] {
        var versionsByGroup: [String: [String]] = [:]
        var preferred: [String: String] = [:]
        for type in types.values where !type.group.isEmpty {
            versionsByGroup[type.group, default: []].append(contentsOf: type.versions)
            if type.isCustom || preferred[type.group] == nil { preferred[type.group] = type.storageVersion }
        }
        return versionsByGroup.keys.sorted().map { group in
            var unique: [String] = []
            for version in versionsByGroup[group]! where !unique.contains(version) { unique.append(version) }
            let first = preferred[group] ?? unique[0]
            unique.removeAll { $0 == first }
            return (group, [first] + unique.sorted())
        }
    }

    mutating func define(_ type: ResourceType) { types[type.key] = type }

    mutating func remove(_ key: ResourceKey) { types[key] = nil }

    /// Whether `key` is a built-in resource (which a CRD may not redefine).
    static func isBuiltIn(_ key: ResourceKey) -> Bool { ResourceType.builtIns.contains { $0.key == key } }
}
