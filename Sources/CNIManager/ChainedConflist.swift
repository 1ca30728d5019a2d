import Kube

/// The conflist the cni-manager writes (upstream-cni §3.5): the node's main CNI config with our
/// plugin entry at index 1, right after the main plugin, so the runtime runs ours on the main
/// plugin's result.
///
/// A pure function of the main config's text: the file manager compares its output with the file
/// on disk and writes only a difference.
public struct ChainedConflist: Sendable {
    /// Plugin types this project and the Go version use; entries of any of them are removed from
    /// the main config before ours goes in, so a node is never chained twice (migration).
    public static let ownTypes: Set<String> = ["egressgw-cni", "kube-egress-cni"]

    /// Our entry: `type`, `ipam`, the socket, the CIDRs that bypass the tunnel, and the
    /// pod-annotations capability, with which containerd hands the plugin the pod's annotations
    /// so unannotated pods never wait on the manager.
    public var entry: JSONValue

    public init(managerSocket: String, excludedCIDRs: [String]) {
        entry = .object([
            "type": "egressgw-cni",
            "ipam": .object(["type": "egressgw-cni-ipam"]),
            "excludedCIDRs": excludedCIDRs.isEmpty ? .null : .array(excludedCIDRs.map(JSONValue.string)),
            "managerSocket": .string(managerSocket),
            "capabilities": .object(["io.kubernetes.cri.pod-annotations": true]),
        ])
    }

    /// The chained list built from the main config `file` (its name decides `.conflist` or single
    /// plugin), serialised as Go's encoder does (sorted keys, two-space indent, no final newline).
    public func render(mainConfig bytes: [UInt8], fileName: String) throws(ConflistError) -> String {
        let main: JSONValue
        do {
            main = try GoJSON.parse(bytes)
        } catch {
            throw .unreadable(file: fileName, reason: "\(error)")
        }
        guard case .object(var object) = main else { throw .unreadable(file: fileName, reason: "not a JSON object") }
        var list: [String: JSONValue]
        if fileName.hasSuffix(".conflist") {
            guard let value = object["plugins"] else { throw .invalid(file: fileName, field: "plugins", reason: "missing") }
            guard case .array(var plugins) = value else { throw .invalid(file: fileName, field: "plugins", reason: "not an array") }
            guard !plugins.isEmpty else { throw .invalid(file: fileName, field: "plugins", reason: "empty") }
            for (index, plugin) in plugins.enumerated() {
                guard case .object(let members) = plugin else {
                    throw .invalid(file: fileName, field: "plugins[\(index)]", reason: "not an object")
                }
                guard members["type"] != nil else { throw .invalid(file: fileName, field: "plugins[\(index)].type", reason: "missing") }
            }
            plugins.removeAll { Self.isOurs($0) }
            guard !plugins.isEmpty else {
                throw .invalid(file: fileName, field: "plugins", reason: "has only egress gateway entries, no main plugin")
            }
            plugins.insert(entry, at: 1)
            object["plugins"] = .array(plugins)
            list = object
        } else {
            guard case .string(let name)? = object.removeValue(forKey: "name") else {
                throw .invalid(file: fileName, field: "name", reason: "missing or not a string")
            }
            list = ["name": .string(name)]
            if let version = object.removeValue(forKey: "cniVersion") {
                guard case .string = version else { throw .invalid(file: fileName, field: "cniVersion", reason: "not a string") }
                list["cniVersion"] = version
            }
            guard object["type"] != nil else { throw .invalid(file: fileName, field: "type", reason: "missing") }
            list["plugins"] = .array([.object(object), entry])
        }
        return GoJSON.render(.object(list))
    }

    static func isOurs(_ plugin: JSONValue) -> Bool {
        guard case .string(let type)? = plugin["type"] else { return false }
        return ownTypes.contains(type.lowercased())
    }
}

/// Why the main config cannot be chained.
public enum ConflistError: Error, Sendable, Equatable, CustomStringConvertible {
    case noMainConfig(directory: String)
    case unreadable(file: String, reason: String)
    case invalid(file: String, field: String, reason: String)
    case io(path: String, operation: String, errno: Int32)

    public var description: String {
        switch self {
        case .noMainConfig(let directory): "no existing CNI configuration file found in \(directory)"
        case .unreadable(let file, let reason): "main CNI config \(file) does not parse: \(reason)"
        case .invalid(let file, let field, let reason): "main CNI config \(file): \(field) \(reason)"
        case .io(let path, let operation, let errno): "\(operation) \(path) failed: errno \(errno)"
        }
    }
}
