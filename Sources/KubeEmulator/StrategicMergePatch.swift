import Kube

/// Strategic merge patch, the default of `kubectl patch`, `label`, `annotate` and `edit` for built-in kinds.
///
/// It is a merge patch whose lists may merge instead of being replaced: lists of primitives with the `merge`
/// strategy (`metadata.finalizers`) take the union, lists of objects with a merge key (`containers` by `name`,
/// `ownerReferences` by `uid`, `conditions` by `type`...) merge element by element. The directives
/// `$patch: replace|delete|merge`, `$deleteFromPrimitiveList/<list>`, `$setElementOrder/<list>` and
/// `$retainKeys` are understood.
enum StrategicMergePatch {
    /// The patch strategy of a list member, by member name, for the kinds the emulator serves.
    private enum ListStrategy {
        case mergePrimitives
        case mergeBy(String)
    }

    private static func strategy(for key: String, path: [String]) -> ListStrategy? {
        switch key {
        case "finalizers" where path == ["metadata"]: .mergePrimitives
        case "ownerReferences": .mergeBy("uid")
        case "containers", "initContainers", "ephemeralContainers", "volumes", "env", "imagePullSecrets",
             "containerStatuses", "initContainerStatuses":
            .mergeBy("name")
        case "hostAliases": .mergeBy("ip")
        case "volumeMounts": .mergeBy("mountPath")
        case "volumeDevices": .mergeBy("devicePath")
        case "ports" where path.contains("containers") || path.contains("initContainers"): .mergeBy("containerPort")
        case "conditions": .mergeBy("type")
        case "addresses" where path == ["status"]: .mergeBy("type")
        case "taints": .mergeBy("key")
        case "podIPs", "hostIPs": .mergeBy("ip")
        default: nil
        }
    }

    static func apply(_ patch: JSONValue, to target: JSONValue) throws(APIError) -> JSONValue {
        try merge(patch, into: target, path: [])
    }

    private static func merge(_ patch: JSONValue, into target: JSONValue, path: [String]) throws(APIError) -> JSONValue {
        guard case .object(var changes) = patch else { return patch }
        if let directive = changes["$patch"]?.stringValue {
            changes["$patch"] = nil
            switch directive {
            case "replace": return .object(changes)
            case "delete": return .null
            case "merge": break
            default: throw APIError.badRequest("unknown patch type: \(directive)")
            }
        }
        var members = target.objectValue ?? [:]
        if let retained = changes.removeValue(forKey: "$retainKeys")?.arrayValue {
            let keep = Set(retained.compactMap(\.stringValue))
            members = members.filter { keep.contains($0.key) || changes[$0.key] != nil }
        }
        for key in changes.keys where key.hasPrefix("$setElementOrder/") { changes[key] = nil }
        for (key, change) in changes where key.hasPrefix("$deleteFromPrimitiveList/") {
            changes[key] = nil
            let list = String(key.dropFirst("$deleteFromPrimitiveList/".count))
            let removed = change.arrayValue ?? []
            if let current = members[list]?.arrayValue {
                let kept = current.filter { !removed.contains($0) }
                members[list] = kept.isEmpty ? nil : .array(kept)
            }
        }
        for key in changes.keys.sorted() {
            let change = changes[key]!
            if change.isNull {
                members[key] = nil
                continue
            }
            let current = members[key]
            if case .array(let elements) = change, let strategy = strategy(for: key, path: path) {
                let merged = try mergeList(elements, into: current?.arrayValue ?? [], strategy: strategy, path: path + [key])
                members[key] = .array(merged)
            } else if case .object = change {
                let merged = try merge(change, into: current ?? .object([:]), path: path + [key])
                members[key] = merged.isNull ? nil : merged
            } else {
                members[key] = change
            }
        }
        return .object(members)
    }

    private static func mergeList(_ patch: [JSONValue], into current: [JSONValue], strategy: ListStrategy,
                                  path: [String]) throws(APIError) -> [JSONValue]
    {
        if patch.contains(where: { $0["$patch"]?.stringValue == "replace" }) {
            return patch.filter { $0["$patch"]?.stringValue != "replace" }
        }
        switch strategy {
        case .mergePrimitives:
            var result = current
            for element in patch where !result.contains(element) { result.append(element) }
            return result
        case .mergeBy(let mergeKey):
            var result = current
            for element in patch {
                guard let keyValue = element[mergeKey] else {
                    throw APIError.badRequest("map: \(element.plainText) does not contain declared merge key: \(mergeKey)")
                }
                let index = result.firstIndex { $0[mergeKey] == keyValue }
                if element["$patch"]?.stringValue == "delete" {
                    if let index { result.remove(at: index) }
                    continue
                }
                if let index {
                    result[index] = try merge(element, into: result[index], path: path)
                } else {
                    result.append(try merge(element, into: .object([:]), path: path))
                }
            }
            return result
        }
    }
}
