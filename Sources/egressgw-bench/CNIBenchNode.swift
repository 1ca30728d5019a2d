import CNIManager
import CNIPlugin
import EgressGatewayAPI
import Foundation
import Kube
import Netlink

/// A worker node as a container runtime sees it, in a network namespace of its own: Debian's
/// `bridge` + `host-local` as the main CNI, our entry chained after it by the cni-manager's own
/// conflist code, and the plugins executed from a `CNI_PATH` directory exactly as libcni does
/// (the `CNI_*` variables, the config with `prevResult` on stdin, one process per call).
struct CNIBenchNode: Sendable {
    static let referencePlugins = "/usr/lib/cni"
    static let gnuTime = "/usr/bin/time"
    /// `egressgw cni`'s log level variable (its `CNICommand.logLevelVariable`).
    static let logLevelVariable = "EGRESSGW_CNI_LOG_LEVEL"

    let namespace: NetworkNamespace
    let tag: String
    /// Holds `egressgw-cni`, a symlink to the egressgw binary under test.
    let pluginDirectory: String
    let ipamDirectory: String
    /// The conflist's `name` and `cniVersion`, and its two plugin entries.
    let listName: String
    let cniVersion: String
    let mainPlugin: JSONValue
    let egressPlugin: JSONValue
    /// Whether to hand the pod's annotations over as containerd does for a plugin that declares
    /// the pod-annotations capability (CRI-O does not: the plugin then asks the cni-manager).
    let passesAnnotations: Bool
    /// The plugin's log level (nil: its default), through the variable a runtime's environment would carry.
    let pluginLogLevel: String?
    let leftovers: BenchLeftovers

    /// Makes the node namespace and writes the main conflist; the chained one is what
    /// `ConflistDirectory` renders from it for a manager listening on `socketPath`.
    static func make(egressgw: String, socketPath: String, directory: String, passesAnnotations: Bool,
                     pluginLogLevel: String?, leftovers: BenchLeftovers) throws -> CNIBenchNode {
        let tag = "egw-bench-cni-\(getpid())"
        let namespace = try NetworkNamespace.create(named: tag)
        leftovers.add(namespace: namespace)
        try NetlinkHandle(namespace: namespace).setLinkUp("lo")

        let files = FileManager.default
        let pluginDirectory = directory + "/bin", confDirectory = directory + "/net.d", ipamDirectory = directory + "/host-local"
        for path in [pluginDirectory, confDirectory, ipamDirectory] {
            try files.createDirectory(atPath: path, withIntermediateDirectories: true)
        }
        try files.createSymbolicLink(atPath: pluginDirectory + "/egressgw-cni", withDestinationPath: egressgw)
        let main: JSONValue = [
            "cniVersion": "1.0.0", "name": "bench-pods",
            "plugins": [[
                "type": "bridge", "bridge": "cni0", "isGateway": true, "ipMasq": false,
                "ipam": ["type": "host-local", "dataDir": .string(ipamDirectory),
                         "ranges": [[["subnet": "10.128.0.0/16"]]], "routes": [["dst": "0.0.0.0/0"]]],
            ]],
        ]
        try main.jsonData().write(to: URL(fileURLWithPath: confDirectory + "/10-bridge.conflist"))
        let conflists = ConflistDirectory(path: confDirectory, conflist: ChainedConflist(managerSocket: socketPath, excludedCIDRs: []))
        _ = try conflists.reconcile()
        let chained = try JSONValue(json: Data(contentsOf: URL(fileURLWithPath: conflists.filePath)))
        guard let plugins = chained["plugins"]?.arrayValue, plugins.count == 2,
              plugins[1]["type"]?.stringValue == "egressgw-cni",
              let name = chained["name"]?.stringValue, let version = chained["cniVersion"]?.stringValue else {
            throw CNIBenchError.unexpectedConflist(conflists.filePath)
        }
        return CNIBenchNode(namespace: namespace, tag: tag, pluginDirectory: pluginDirectory, ipamDirectory: ipamDirectory,
                            listName: name, cniVersion: version, mainPlugin: plugins[0], egressPlugin: plugins[1],
                            passesAnnotations: passesAnnotations, pluginLogLevel: pluginLogLevel, leftovers: leftovers)
    }

    // MARK: Pods

    /// A fresh pod namespace with `lo` up and the main plugin's `eth0`; its result is what our
    /// plugin gets as `prevResult`.
    func makePod(_ index: Int, round: String) async throws -> BenchPod {
        let namespace = try NetworkNamespace.create(named: "\(tag)-\(round)-\(index)")
        leftovers.add(namespace: namespace)
        try NetlinkHandle(namespace: namespace).setLinkUp("lo")
        let containerID = (0..<64).map { _ in String(UInt8.random(in: 0..<16), radix: 16) }.joined()
        leftovers.add(tunnel: "wg" + containerID.prefix(8))
        var pod = BenchPod(index: index, name: CNIBenchCluster.podName(index), namespace: namespace, containerID: containerID,
                           mainResult: .null)
        let main = try await execute("ADD", mainPlugin, pod: pod, previous: nil)
        guard main.succeeded else { throw CNIBenchError.plugin(command: "ADD", type: "bridge", pod: pod.name, main) }
        pod.mainResult = try JSONValue(json: Data(main.stdout.utf8))
        return pod
    }

    func removePod(_ pod: BenchPod) {
        try? pod.namespace.delete()
        leftovers.remove(namespace: pod.namespace)
    }

    // MARK: Running a plugin

    /// Runs one plugin of the list for `pod`, timed from spawn to exit. With `.gnuTime` the plugin
    /// runs under `/usr/bin/time`, which reports the plugin's `ru_maxrss` from its own `wait4`:
    /// a child spawned by this process would report this process's peak instead, since the
    /// high-water mark of the address space a child execs from carries over into its own.
    func execute(_ command: String, _ plugin: JSONValue, pod: BenchPod, previous: JSONValue?,
                 launcher: Launcher = .direct) async throws -> PluginExecution {
        let type = plugin["type"]?.stringValue ?? ""
        let candidates = [pluginDirectory, Self.referencePlugins].map { directory -> String in "\(directory)/\(type)" }
        guard let executable = candidates.first(where: { access($0, X_OK) == 0 }) else { throw CNIBenchError.pluginNotFound(type) }
        let input = Array(try config(for: plugin, previous: previous).jsonData())
        var environment = [
            "CNI_COMMAND": command, "CNI_CONTAINERID": pod.containerID, "CNI_NETNS": pod.namespace.path, "CNI_IFNAME": "eth0",
            "CNI_ARGS": "IgnoreUnknown=1;K8S_POD_NAMESPACE=\(CNIBenchCluster.namespace);K8S_POD_NAME=\(pod.name);K8S_POD_INFRA_CONTAINER_ID=\(pod.containerID)",
            "CNI_PATH": "\(pluginDirectory):\(Self.referencePlugins)",
            "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        ]
        environment[Self.logLevelVariable] = pluginLogLevel
        let (program, arguments) = switch launcher {
        case .direct: (executable, [String]())
        case .gnuTime: (Self.gnuTime, ["-f", PluginExecution.peakMarker + "%M", executable])
        }
        let node = namespace, variables = environment
        // On a thread of its own: the manager answering the plugin runs on this process's
        // cooperative pool, which a blocking wait must not hold.
        return try await onOwnThread {
            let clock = ContinuousClock()
            let start = clock.now
            let output = try node.execute(program, arguments, input: input, environment: variables)
            return PluginExecution(output: output, elapsed: clock.now - start)
        }
    }

    /// What libcni writes on the plugin's stdin: its entry with the list's name and version, the
    /// previous result, and the runtime config of the capabilities it declares.
    private func config(for plugin: JSONValue, previous: JSONValue?) -> JSONValue {
        var config = plugin.objectValue ?? [:]
        config["name"] = .string(listName)
        config["cniVersion"] = .string(cniVersion)
        if let previous { config["prevResult"] = previous }
        let capability = NetworkConfig.podAnnotationsCapability
        if passesAnnotations, plugin["capabilities"]?[capability] == .bool(true) {
            config["runtimeConfig"] = [capability: [EgressGateway.podAnnotation: .string(CNIBenchCluster.gateway)]]
        }
        return .object(config)
    }

    /// How a plugin is started.
    enum Launcher {
        /// Spawned by this process, as a runtime does: the latency runs.
        case direct
        /// Under GNU time: the memory runs.
        case gnuTime
    }
}

/// One pod sandbox: its namespace, the container ID the runtime gives it, and the main plugin's result.
struct BenchPod: Sendable {
    let index: Int
    let name: String
    let namespace: NetworkNamespace
    let containerID: String
    var mainResult: JSONValue
}

/// One plugin call as the runtime saw it.
struct PluginExecution: Sendable {
    static let peakMarker = "egressgw-bench-maxrss-kib="

    let exitCode: Int32
    let stdout: String
    let stderr: String
    let elapsed: Duration

    init(output: CommandOutput, elapsed: Duration) {
        exitCode = output.exitCode
        stdout = output.stdout
        stderr = output.stderr
        self.elapsed = elapsed
    }

    var succeeded: Bool { exitCode == 0 }

    /// The `step` and `ms` records of the plugin's debug log, in order: how long each step took.
    var steps: [(name: String, elapsed: Duration)] {
        stderr.split(separator: "\n").compactMap { line in
            guard line.hasPrefix("{"),
                  let record = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  let step = record["step"] as? String,
                  let milliseconds = (record["ms"] as? String).flatMap(Double.init) else { return nil }
            return (step, .microseconds(Int64(milliseconds * 1000)))
        }
    }

    /// `ru_maxrss` in KiB as GNU time printed it (its last line on stderr), when run under it.
    var peakMemoryKiB: Int? {
        stderr.split(separator: "\n").last { $0.hasPrefix(Self.peakMarker) }.flatMap { Int($0.dropFirst(Self.peakMarker.count)) }
    }
}

/// Runs a blocking call on a new thread and awaits its outcome.
func onOwnThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try body() }) }.start()
    }
}
