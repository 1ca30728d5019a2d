import Foundation
import Netlink

/// What a container runtime tells every CNI plugin about one pod sandbox.
public struct CNIInvocation: Sendable, Hashable {
    /// CNI_CONTAINERID: the sandbox's ID (the Sandbox kubelet uses the pod UID).
    public var containerID: String
    /// CNI_NETNS: the path of the pod's network namespace.
    public var netnsPath: String
    /// CNI_IFNAME: the interface the plugins create inside the pod.
    public var interface: String
    public var podNamespace: String
    public var podName: String

    public init(containerID: String, netnsPath: String, interface: String = "eth0", podNamespace: String, podName: String) {
        self.containerID = containerID
        self.netnsPath = netnsPath
        self.interface = interface
        self.podNamespace = podNamespace
        self.podName = podName
    }

    /// CNI_ARGS as the kubelet's runtimes (containerd, CRI-O) set it; our CNI plugin reads the pod from it.
    var cniArgs: String {
        "IgnoreUnknown=1;K8S_POD_NAMESPACE=\(podNamespace);K8S_POD_NAME=\(podName);K8S_POD_INFRA_CONTAINER_ID=\(containerID)"
    }
}

/// Runs a node's CNI network configuration list the way libcni does: the first `*.conflist` of
/// the configuration directory in lexical order; ADD runs the plugins in order, each given the
/// list's `name` and `cniVersion` and the previous plugin's result as `prevResult`; DEL runs them
/// in reverse, each given the cached ADD result. Plugins run in `namespace` (the node's), which is
/// the "host" namespace from their point of view, and, when the node has a ``NodeFileSystem``, in
/// its mount namespace, where the directories are the node's paths (`/etc/cni/net.d`, `/opt/cni/bin`).
public struct CNIRuntime: Sendable {
    public let confDirectory: String
    public let binDirectories: [String]
    public let namespace: NetworkNamespace
    public let fileSystem: NodeFileSystem?

    public init(confDirectory: String, binDirectories: [String], namespace: NetworkNamespace, fileSystem: NodeFileSystem? = nil) {
        self.confDirectory = confDirectory
        self.binDirectories = binDirectories
        self.namespace = namespace
        self.fileSystem = fileSystem
    }

    /// Where this process reaches a path of the node.
    private func reachable(_ path: String) -> String { fileSystem?.hostPath(path) ?? path }

    /// Runs ADD through the list and returns the last plugin's result (the JSON a runtime caches).
    /// `partialResult` holds the last result a plugin returned, also when a later one fails: DEL
    /// needs it (the bridge plugin finds its masquerade rule by the pod's address).
    public func add(_ invocation: CNIInvocation, partialResult: inout [UInt8]?) throws(SandboxError) -> [UInt8] {
        let list = try loadList()
        var previous: Any?
        var result: [UInt8] = []
        for plugin in list.plugins {
            result = try invoke("ADD", plugin, list: list, previous: previous, invocation)
            partialResult = result
            previous = try? JSONSerialization.jsonObject(with: Data(result))
        }
        return result
    }

    /// Runs DEL through the list in reverse with `cachedResult` (nil when ADD never finished) and
    /// throws the first failure. Unlike libcni it goes on past a failing plugin: the bridge plugin
    /// finds what to remove through the pod's interface, so its DEL must run while the namespace exists.
    public func delete(_ invocation: CNIInvocation, cachedResult: [UInt8]?) throws(SandboxError) {
        let list = try loadList()
        let previous = cachedResult.flatMap { try? JSONSerialization.jsonObject(with: Data($0)) }
        var firstFailure: SandboxError?
        for plugin in list.plugins.reversed() {
            do throws(SandboxError) {
                _ = try invoke("DEL", plugin, list: list, previous: previous, invocation)
            } catch {
                firstFailure = firstFailure ?? error
            }
        }
        if let firstFailure { throw firstFailure }
    }

    // MARK: Configuration

    private struct ConfigurationList {
        let path: String
        let name: String
        let cniVersion: String
        let plugins: [[String: Any]]
    }

    private func loadList() throws(SandboxError) -> ConfigurationList {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: reachable(confDirectory))) ?? []
        guard let file = entries.filter({ $0.hasSuffix(".conflist") }).sorted().first else {
            throw .invalidConfiguration(field: "CNI configuration directory", value: confDirectory, reason: "holds no *.conflist")
        }
        let path = "\(confDirectory)/\(file)"
        guard let data = FileManager.default.contents(atPath: reachable(path)),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw .invalidConfiguration(field: "CNI configuration list", value: path, reason: "not a JSON object")
        }
        guard let name = object["name"] as? String, !name.isEmpty else {
            throw .invalidConfiguration(field: "name", value: path, reason: "missing")
        }
        guard let version = object["cniVersion"] as? String, !version.isEmpty else {
            throw .invalidConfiguration(field: "cniVersion", value: path, reason: "missing")
        }
        guard let plugins = object["plugins"] as? [[String: Any]], !plugins.isEmpty,
              plugins.allSatisfy({ ($0["type"] as? String)?.isEmpty == false }) else {
            throw .invalidConfiguration(field: "plugins", value: path, reason: "missing, empty, or a plugin without a type")
        }
        return ConfigurationList(path: path, name: name, cniVersion: version, plugins: plugins)
    }

    // MARK: Invoking a plugin

    private func invoke(_ command: String, _ plugin: [String: Any], list: ConfigurationList, previous: Any?,
                        _ invocation: CNIInvocation) throws(SandboxError) -> [UInt8] {
        let type = plugin["type"] as? String ?? ""
        var configuration = plugin
        configuration["name"] = list.name
        configuration["cniVersion"] = list.cniVersion
        if let previous { configuration["prevResult"] = previous }
        guard let executable = binDirectories.map({ "\($0)/\(type)" }).first(where: isPlugin) else {
            throw .invalidConfiguration(field: "plugin type", value: type, reason: "no executable in \(binDirectories.joined(separator: ":"))")
        }
        let input = try SandboxError.during("encode the configuration of plugin \(type)") {
            try [UInt8](JSONSerialization.data(withJSONObject: configuration))
        }
        let environment = [
            "CNI_COMMAND": command, "CNI_CONTAINERID": invocation.containerID, "CNI_NETNS": invocation.netnsPath,
            "CNI_IFNAME": invocation.interface, "CNI_ARGS": invocation.cniArgs,
            "CNI_PATH": binDirectories.joined(separator: ":"),
            "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        ]
        let output = try SandboxError.during("run CNI \(command) \(type) for \(invocation.podNamespace)/\(invocation.podName)") {
            let (program, arguments) = fileSystem?.command(executable, []) ?? (executable, [])
            return try namespace.execute(program, arguments, input: input, environment: environment)
        }
        guard output.exitCode == 0 else {
            // A failing plugin prints a CNI error object ({"code", "msg", "details"}) on stdout.
            throw .plugin(command: command, type: type, container: invocation.containerID,
                          message: (output.stdout + output.stderr).trimmingCharacters(in: .whitespacesAndNewlines))
        }
        return output.standardOutput
    }

    /// Whether `path` holds a plugin. Inside a node only the entry itself is checked: a symlink's
    /// absolute target (the cni-manager's `egressgw-cni`) resolves in the node, not from here.
    private func isPlugin(_ path: String) -> Bool {
        guard fileSystem != nil else { return FileManager.default.isExecutableFile(atPath: path) }
        var info = stat()
        return lstat(reachable(path), &info) == 0
    }
}

extension CNIRuntime {
    /// The conflist a plain worker starts with: Debian's bridge with host-local IPAM over the node's
    /// pod CIDR, masquerading what leaves the node (as kubenet does), the IPAM state under `dataDirectory`.
    public static func bridgeConflist(podCIDR: IPNetwork, dataDirectory: String) -> String {
        """
        {"cniVersion": "1.0.0", "name": "sandbox-pods", "plugins": [{"type": "bridge", "bridge": "cni0",
          "isGateway": true, "ipMasq": true, "hairpinMode": true,
          "ipam": {"type": "host-local", "dataDir": "\(dataDirectory)", "ranges": [[{"subnet": "\(podCIDR)"}]],
                   "routes": [{"dst": "0.0.0.0/0"}]}}]}
        """
    }
}
