import Logging

/// An operation named by `CNI_COMMAND`.
public enum CNIOperation: String, Sendable, CaseIterable {
    case add = "ADD"
    case del = "DEL"
    case check = "CHECK"
    case status = "STATUS"
    case gc = "GC"
    case version = "VERSION"
}

/// The `CNI_*` variables a runtime sets when it executes a plugin.
public struct CNIEnvironment: Sendable, Equatable {
    /// `CNI_COMMAND`; `nil` when unset or empty, i.e. the binary was run by hand.
    public var operation: CNIOperation?
    /// `CNI_CONTAINERID`.
    public var containerID: String?
    /// `CNI_NETNS`: the path of the container's network namespace.
    public var networkNamespace: String?
    /// `CNI_IFNAME`: the interface the runtime asks for inside the container. The plugin never
    /// uses it for `wg0` or `eth0` (upstream-cni §0), but the spec requires it.
    public var interfaceName: String?
    /// `CNI_ARGS`: `K=V;K=V` pairs, see ``CNIArguments``.
    public var arguments: String?
    /// `CNI_PATH`: where delegated plugins (IPAM) are looked up.
    public var pluginPath: String?
    /// Every variable of the process, passed on to a delegated IPAM plugin.
    public var variables: [String: String]

    /// Reads the variables from `environment`. An unknown `CNI_COMMAND` is a CNI error (code 4).
    public init(_ environment: [String: String]) throws(CNIError) {
        func value(_ name: String) -> String? {
            guard let text = environment[name], !text.isEmpty else { return nil }
            return text
        }
        if let command = value("CNI_COMMAND") {
            guard let operation = CNIOperation(rawValue: command) else {
                throw CNIError(code: .invalidEnvironment, message: "unknown CNI_COMMAND \"\(command)\"",
                               details: "CNI_COMMAND must be one of "
                                   + CNIOperation.allCases.map(\.rawValue).joined(separator: ", "))
            }
            self.operation = operation
        }
        containerID = value("CNI_CONTAINERID")
        networkNamespace = value("CNI_NETNS")
        interfaceName = value("CNI_IFNAME")
        arguments = value("CNI_ARGS")
        pluginPath = value("CNI_PATH")
        variables = environment
    }

    /// The variables `operation` needs, as libcni's skel requires them: ADD and CHECK need all
    /// four, DEL may come without `CNI_NETNS` (the namespace may be gone already).
    func requireVariables(for operation: CNIOperation) throws(CNIError) {
        let required: [(String, String?)]
        switch operation {
        case .add, .check:
            required = [("CNI_CONTAINERID", containerID), ("CNI_NETNS", networkNamespace),
                        ("CNI_IFNAME", interfaceName), ("CNI_PATH", pluginPath)]
        case .del:
            required = [("CNI_CONTAINERID", containerID), ("CNI_IFNAME", interfaceName), ("CNI_PATH", pluginPath)]
        case .status, .gc, .version:
            required = []
        }
        let missing = required.filter { $0.1 == nil }.map(\.0)
        guard missing.isEmpty else {
            throw CNIError(code: .invalidEnvironment,
                           message: "\(operation.rawValue) needs \(missing.joined(separator: ", ")), which the runtime did not set")
        }
    }

    /// The variables that were set, for log records about this invocation.
    public var logMetadata: Logger.Metadata {
        var metadata: Logger.Metadata = [:]
        metadata["command"] = operation.map { .string($0.rawValue) }
        metadata["containerID"] = containerID.map { .string($0) }
        metadata["netns"] = networkNamespace.map { .string($0) }
        metadata["ifName"] = interfaceName.map { .string($0) }
        metadata["args"] = arguments.map { .string($0) }
        metadata["path"] = pluginPath.map { .string($0) }
        return metadata
    }

    public static func == (lhs: CNIEnvironment, rhs: CNIEnvironment) -> Bool {
        lhs.variables == rhs.variables
    }
}
