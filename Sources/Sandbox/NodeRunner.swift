import Foundation
import Netlink

/// A process of the run: a role on a node (in the node's network and mount namespaces), or on the
/// host (the operator, which needs neither).
public struct RoleProcess: Sendable, Hashable {
    /// Unique in the run: `gateway/gateway-0`, `cni-manager/worker-1`, `operator`.
    public var name: String
    /// The node it runs on; nil for the host.
    public var node: String?
    public var executable: String
    public var arguments: [String]
    /// The whole environment (nothing is inherited from the supervisor).
    public var environment: [String: String]

    public init(name: String, node: String?, executable: String, arguments: [String], environment: [String: String]) {
        self.name = name
        self.node = node
        self.executable = executable
        self.arguments = arguments
        self.environment = environment
    }

    /// The log file's name: the process name with `/` as `-`.
    var logName: String { name.replacingOccurrences(of: "/", with: "-") + ".log" }
}

/// Starts the run's processes and keeps them restartable: each node gets its mount namespace
/// (``NodeMachine``), each role a process inside it with a log file of its own under
/// `<state>/logs`. Every change of the set of pids is reported to `record` (the run's state file),
/// so that `down` finds them even when the supervisor is gone. ``shutdown()`` leaves no process
/// behind: the roles get SIGTERM and their grace, then whatever still lives in a node's namespaces
/// (daemons the roles started) is killed, then the anchors.
public actor NodeRunner {
    private struct Node {
        let layout: NodeLayout
        let fileSystem: NodeFileSystem
        let anchor: SpawnedProcess
    }

    public let stateDirectory: String
    private let record: @Sendable ([String: Int32]) -> Void
    private var nodes: [String: Node] = [:]
    private var roles: [String: RoleProcess] = [:]
    private var running: [String: SpawnedProcess] = [:]

    public init(stateDirectory: String, record: @escaping @Sendable ([String: Int32]) -> Void = { _ in }) {
        self.stateDirectory = stateDirectory
        self.record = record
    }

    public var logDirectory: String { stateDirectory + "/logs" }
    public func logFile(of name: String) -> String { logDirectory + "/" + RoleProcess(name: name, node: nil, executable: "", arguments: [], environment: [:]).logName }

    /// Gives `node` its mount namespace; returns how to reach its files.
    @discardableResult
    public func addNode(_ node: NodeLayout) async throws(SandboxError) -> NodeFileSystem {
        if let existing = nodes[node.name] { return existing.fileSystem }
        try makeLogDirectory()
        let (fileSystem, anchor) = try await NodeMachine.start(
            node, directory: "\(stateDirectory)/nodes/\(node.name)", logFile: "\(logDirectory)/node-\(node.name).log")
        nodes[node.name] = Node(layout: node, fileSystem: fileSystem, anchor: anchor)
        report()
        return fileSystem
    }

    public func fileSystem(of node: String) -> NodeFileSystem? { nodes[node]?.fileSystem }

    /// Starts `role` (or replaces the definition of a stopped one).
    public func start(_ role: RoleProcess) throws(SandboxError) {
        if let process = running[role.name], process.isRunning {
            throw .invalidConfiguration(field: "process", value: role.name, reason: "is running already (pid \(process.pid))")
        }
        try makeLogDirectory()
        let executable: String
        let arguments: [String]
        if let nodeName = role.node {
            guard let node = nodes[nodeName] else {
                throw .invalidConfiguration(field: "node of \(role.name)", value: nodeName, reason: "has no mount namespace; add the node first")
            }
            (executable, arguments) = node.fileSystem.command(role.executable, role.arguments, enteringNetwork: true)
        } else {
            (executable, arguments) = (role.executable, role.arguments)
        }
        roles[role.name] = role
        running[role.name] = try SpawnedProcess(executable, arguments, environment: role.environment,
                                                logFile: "\(logDirectory)/\(role.logName)")
        report()
    }

    /// SIGTERM, and SIGKILL after `grace`; the process stays defined for ``restart(_:)``.
    public func stop(_ name: String, grace: Duration = .seconds(20)) async {
        guard let process = running[name] else { return }
        await process.terminate(grace: grace)
        running[name] = nil
        report()
    }

    /// Stops `name` and starts it again with the same definition, as a pod's restart would.
    public func restart(_ name: String, grace: Duration = .seconds(20)) async throws(SandboxError) {
        guard let role = roles[name] else {
            throw .invalidConfiguration(field: "process", value: name, reason: "was never started")
        }
        await stop(name, grace: grace)
        try start(role)
    }

    public func process(_ name: String) -> SpawnedProcess? { running[name] }
    public var processNames: [String] { running.keys.sorted() }

    /// The processes that exited on their own (name and status): a role that crashed.
    public var exited: [String: Int32] { running.compactMapValues(\.exitStatus) }

    /// Stops every role (in parallel: a gateway drains its probes for seconds), kills what is left
    /// in the nodes' namespaces, stops the anchors and removes the host's mounts. Returns what
    /// could not be removed.
    public func shutdown(grace: Duration = .seconds(20)) async -> [String] {
        let processes = Array(running.values)
        await withTaskGroup(of: Void.self) { group in
            for process in processes { group.addTask { await process.terminate(grace: grace) } }
        }
        running = [:]
        var failures: [String] = []
        for node in nodes.values.sorted(by: { $0.layout.name < $1.layout.name }) {
            // The namespaces made inside the node (the gateway's, pods') are only reachable while the anchor lives.
            let inside = ((try? FileManager.default.contentsOfDirectory(atPath: node.fileSystem.hostPath("/run/netns"))) ?? [])
                .map { node.fileSystem.hostPath("/run/netns/\($0)") }
            let namespaces = inside + ["\(NetworkNamespace.runDirectory)/\(node.layout.namespace)", node.fileSystem.mountNamespace]
            let survivors = await NamespaceMembers.kill(inNamespacesAt: namespaces).filter { $0 != node.anchor.pid }
            if !survivors.isEmpty { failures.append("node \(node.layout.name): processes \(survivors) did not exit") }
            await node.anchor.terminate(grace: .seconds(2))
            do throws(SandboxError) { try NodeMachine.removeHostMounts(directory: node.fileSystem.directory) } catch {
                failures.append("\(error)")
            }
        }
        nodes = [:]
        report()
        return failures
    }

    private func report() {
        var pids = running.filter { $0.value.isRunning }.mapValues(\.pid)
        for node in nodes.values { pids["node/\(node.layout.name)"] = node.anchor.pid }
        record(pids)
    }

    private func makeLogDirectory() throws(SandboxError) {
        try SandboxError.during("create \(logDirectory)") {
            try FileManager.default.createDirectory(atPath: logDirectory, withIntermediateDirectories: true)
        }
    }
}
