import Kube

/// The discovery documents kubectl and client-go read to map kinds to URLs. Only the plain (unaggregated) forms are
/// served: a client asking for aggregated discovery (`apidiscovery.k8s.io/v2`) gets the plain form with a plain
/// content type, and falls back to it as it does with older servers.
enum Discovery {
    static func version(_ info: KubeEmulator.VersionInfo) -> JSONValue {
        [
            "major": .string(info.major), "minor": .string(info.minor), "gitVersion": .string(info.gitVersion),
            "gitCommit": "0000000000000000000000000000000000000000", "gitTreeState": "clean",
            "buildDate": "2025-01-01T00:00:00Z", "goVersion": "go1.23.4", "compiler": "gc",
            "platform": "linux/amd64",
        ]
    }

    static func coreVersions(serverAddress: String) -> JSONValue {
        [
            "kind": "APIVersions", "versions": ["v1"],
            "serverAddressByClientCIDRs": [["clientCIDR": "0.0.0.0/0", "serverAddress": .string(serverAddress)]],
        ]
    }

    static func groupList(_ registry: ResourceRegistry) -> JSONValue {
        ["kind": "APIGroupList", "apiVersion": "v1", "groups": .array(registry.groups.map(group))]
    }

    static func group(name: String, versions: [String]) -> JSONValue {
        let entries = versions.map { version -> JSONValue in
            ["groupVersion": .string("\(name)/\(version)"), "version": .string(version)]
        }
        return [
            "kind": "APIGroup", "apiVersion": "v1", "name": .string(name), "versions": .array(entries),
            "preferredVersion": entries.first ?? .null,
        ]
    }

    static func resourceList(_ registry: ResourceRegistry, group: String, version: String) -> JSONValue {
        var resources: [JSONValue] = []
        for type in registry.resources(group: group, version: version) {
            var entry: [String: JSONValue] = [
                "name": .string(type.plural), "singularName": .string(type.singular),
                "namespaced": .bool(type.namespaced), "kind": .string(type.kind),
                "verbs": .array(type.verbs.map(JSONValue.string)),
            ]
            if !type.shortNames.isEmpty { entry["shortNames"] = .array(type.shortNames.map(JSONValue.string)) }
            if !type.categories.isEmpty { entry["categories"] = .array(type.categories.map(JSONValue.string)) }
            if group.isEmpty == false || !type.isCustom { entry["storageVersionHash"] = .string(hash(type)) }
            resources.append(.object(entry))
            if type.hasStatusSubresource {
                resources.append([
                    "name": .string("\(type.plural)/status"), "singularName": "", "namespaced": .bool(type.namespaced),
                    "kind": .string(type.kind), "verbs": ["get", "patch", "update"],
                ])
            }
        }
        return [
            "kind": "APIResourceList", "apiVersion": "v1",
            "groupVersion": .string(group.isEmpty ? version : "\(group)/\(version)"), "resources": .array(resources),
        ]
    }

    /// A stable short hash of the storage identity, in the shape of kube-apiserver's storageVersionHash.
    private static func hash(_ type: ResourceType) -> String {
        var value: UInt64 = 14_695_981_039_346_656_037
        for byte in "\(type.group)/\(type.storageVersion)/\(type.kind)".utf8 {
            value = (value ^ UInt64(byte)) &* 1_099_511_628_211
        }
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
        return String((0..<11).map { alphabet[Int((value >> (UInt64($0) * 6)) & 63)] })
    }
}
