import Foundation
import Kube
import Logging
import Netlink

/// What a run of the whole system needs besides its layout.
public struct SandboxOptions: Sendable {
    public var layout: SandboxLayout
    /// Where the run keeps its kubeconfig, logs, node directories and kubelet records.
    public var stateDirectory: String
    /// The `egressgw` binary every role runs.
    public var egressgw: String
    /// `deploy/default`, rendered with `kubectl kustomize` for the control plane's objects and the roles' commands.
    public var deployDirectory: String
    /// The API server's port on the control address.
    public var apiPort: Int

    public init(layout: SandboxLayout, stateDirectory: String, egressgw: String, deployDirectory: String, apiPort: Int = 6443) {
        self.layout = layout
        self.stateDirectory = stateDirectory
        self.egressgw = egressgw
        self.deployDirectory = deployDirectory
        self.apiPort = apiPort
    }
}

/// The whole system on one machine, on a built ``Topology``: the control plane with RBAC, the
/// emulated Azure (``SandboxAzure``) driving the fabric, the Node objects, every role as a real
/// process (the operator on the host, a gateway daemon per gateway node, a cni-manager per
/// worker, each with its ServiceAccount's token and the command line of its workload in
/// `deploy/default`), a scheduler and a kubelet for pods. `egressgw-sandbox serve` and the
/// end-to-end tests run it; ``shutdown()`` leaves only the topology, which the caller removes.
public actor SandboxCluster {
    public nonisolated let layout: SandboxLayout
    public nonisolated let controlPlane: ControlPlane
    public nonisolated let azure: SandboxAzure
    public nonisolated let runner: NodeRunner
    public nonisolated let kubelet: Kubelet
    private let fabric: FabricController
    private let echo: EchoServer
    private let logger: Logger
    private var tasks: [Task<Void, Never>] = []

    /// Node paths of a worker's CNI files, as the cni-manager's defaults and `deploy/default` name them.
    public static let cniConfDirectory = "/etc/cni/net.d"
    public static let cniBinDirectories = ["/opt/cni/bin", "/usr/lib/cni"]
    static let pluginBundle = "/opt/egressgw/cni-bundle"
    static let roleKubeconfig = "/etc/egressgw/kubeconfig"
    static let podIPAMDirectory = "/run/cni/ipam"
    /// The taint the cni-manager removes once its conflist is installed (`NodeTaintRemover.taintKey`).
    public static let cniNotReadyTaint = "egressgateway.kubernetes.azure.com/cni-not-ready"

    private init(layout: SandboxLayout, controlPlane: ControlPlane, azure: SandboxAzure, runner: NodeRunner,
                 kubelet: Kubelet, fabric: FabricController, echo: EchoServer, logger: Logger) {
        self.layout = layout
        self.controlPlane = controlPlane
        self.azure = azure
        self.runner = runner
        self.kubelet = kubelet
        self.fabric = fabric
        self.echo = echo
        self.logger = logger
    }

    /// Starts everything; on a failure, stops what was started. `record` receives the run's pids on every change.
    public static func start(_ options: SandboxOptions, logger: Logger,
                             record: @escaping @Sendable ([String: Int32]) -> Void = { _ in }) async throws(SandboxError) -> SandboxCluster {
        let layout = options.layout
        let state = options.stateDirectory
        let manifests = try DeployManifests.render(options.deployDirectory)
        let echo = try EchoServer(in: try SandboxError.during("open \(layout.internetNamespace)") {
            try NetworkNamespace.named(layout.internetNamespace)
        })
        let fabric = try FabricController(layout: layout, logger: logger)
        let runner = NodeRunner(stateDirectory: state, record: record)
        var controlPlane: ControlPlane?
        var azure: SandboxAzure?
        do {
            let plane = try await ControlPlane.start(host: SandboxLayout.controlAddress.description, port: options.apiPort,
                                                     manifests: manifests, logger: logger)
            controlPlane = plane
            try write(plane.adminKubeconfig, to: state + "/kubeconfig", mode: 0o600)
            let cloud = try SandboxAzure(layout: layout, directory: state + "/azure", logger: logger)
            azure = cloud
            let endpoints = try await cloud.start()
            try await fabric.update(cloud.fabricState ?? FabricState(imdsPort: endpoints.imdsPort))
            let admin = try plane.adminClient()
            for var node in cloud.nodeObjects {
                // Workers join tainted until their cni-manager has written the conflist (as an AKS pool configured
                // for egressgw does), so that no pod is wired before the egress plugin is in the chain.
                if layout.node(named: node.metadata.name)?.role == .worker {
                    node.spec.taints.append(Taint(key: cniNotReadyTaint, value: "true", effect: "NoSchedule"))
                }
                let created = node
                try await SandboxError.during("create node \(node.metadata.name)") { _ = try await admin.resource(Node.self).create(created) }
            }
            var kubeletNodes: [Kubelet.Node] = []
            for node in layout.nodes {
                let files = try await runner.addNode(node)
                try write(plane.kubeconfig(serviceAccount: workload(of: node.role)), to: files.hostPath(roleKubeconfig), mode: 0o600)
                if node.role == .worker {
                    try prepareWorker(node, files, egressgw: options.egressgw)
                    kubeletNodes.append(Kubelet.Node(
                        name: node.name, hostIP: node.primaryIP.description,
                        runtime: CNIRuntime(confDirectory: cniConfDirectory, binDirectories: cniBinDirectories,
                                            namespace: try SandboxError.during("open \(node.namespace)") { try NetworkNamespace.named(node.namespace) },
                                            fileSystem: files)))
                }
                try await runner.start(role(for: node, manifests: manifests, egressgw: options.egressgw))
            }
            try write(plane.kubeconfig(serviceAccount: "egressgw-operator"), to: state + "/operator/kubeconfig", mode: 0o600)
            try await runner.start(operatorRole(manifests: manifests, egressgw: options.egressgw, kubeconfig: state + "/operator/kubeconfig",
                                                endpoints: endpoints))
            let kubelet = Kubelet(client: admin, nodes: kubeletNodes, stateDirectory: state + "/kubelet", netnsPrefix: layout.prefix)
            let cluster = SandboxCluster(layout: layout, controlPlane: plane, azure: cloud, runner: runner, kubelet: kubelet,
                                         fabric: fabric, echo: echo, logger: logger)
            await cluster.startLoops(admin: admin)
            return cluster
        } catch {
            _ = await runner.shutdown(grace: .seconds(5))
            await azure?.stop()
            await controlPlane?.stop()
            await fabric.stop()
            echo.stop()
            throw error
        }
    }

    private func startLoops(admin: KubeClient) {
        let fabric = self.fabric
        let azure = self.azure
        let logger = self.logger
        let kubelet = self.kubelet
        let emulator = controlPlane.emulator
        let scheduler = PodScheduler(client: admin, workers: layout.workers.map(\.name)) { namespace, name, node in
            try emulator.bindPod(namespace: namespace, name: name, node: node)
        }
        tasks = [
            Task {
                for await state in azure.fabricStates() {
                    do { try await fabric.update(state) } catch { logger.error("fabric update failed: \(error)") }
                }
            },
            Task { await scheduler.run(logger: logger) },
            Task { await kubelet.run(logger: logger) },
        ]
    }

    /// A client acting as the cluster's administrator.
    public nonisolated func adminClient() throws(SandboxError) -> KubeClient { try controlPlane.adminClient() }

    /// Restarts a role process (`operator`, `gateway/gateway-0`, `cni-manager/worker-1`), as a pod restart would.
    public func restart(_ name: String, grace: Duration = .seconds(20)) async throws(SandboxError) {
        try await runner.restart(name, grace: grace)
    }

    /// The load balancer's backends that pass their probes (`http://<node>:<port>/gw/<uid>`).
    public func healthyBackends() async -> [String] { await fabric.healthyTargets.map(\.description).sorted() }

    /// What the echo server answers a pod: the source address the Internet saw, or the failure.
    public func fetchEcho(fromPod namespace: String, _ name: String, timeout: Int = 2) async throws(SandboxError) -> String {
        let pods = try controlPlane.adminClient().resource(Pod.self, namespace: namespace)
        let pod: Pod
        do { pod = try await pods.get(name) } catch { throw .step("get pod \(namespace)/\(name)", cause: error) }
        guard let netns = try await kubelet.networkNamespace(ofPod: pod.metadata.uid) else {
            throw .request(target: "pod \(namespace)/\(name)", reason: "has no network namespace (not running on a worker yet)")
        }
        return try await Self.fetchEcho(from: netns, timeout: timeout)
    }

    /// The network namespace of the pod with `uid` in the run at `stateDirectory`, from the
    /// kubelet's record (for a process other than the supervisor, such as `demo`).
    public static func podNamespace(uid: String, stateDirectory: String) -> NetworkNamespace? {
        guard let data = FileManager.default.contents(atPath: "\(stateDirectory)/kubelet/\(uid).json"),
              let record = try? JSONDecoder().decode(Kubelet.SandboxRecord.self, from: data), !record.ips.isEmpty else { return nil }
        return NetworkNamespace(path: "\(stateDirectory)/nodes/\(record.node)/run/netns/\(record.netns)")
    }

    /// `GET http://203.0.113.80/` from inside `netns`, on a thread of its own (the socket calls block).
    public static func fetchEcho(from netns: NetworkNamespace, timeout: Int = 2) async throws(SandboxError) -> String {
        let result: Result<String, SandboxError> = await withCheckedContinuation { continuation in
            Thread.detachNewThread {
                do throws(SandboxError) {
                    let reply = try NamespacedSocket.get(in: netns, to: SandboxLayout.echoAddress, port: SandboxLayout.echoPort,
                                                         path: "/", timeout: timeout)
                    guard reply.status == 200 else {
                        throw SandboxError.request(target: "echo server", reason: "answered \(reply.status)")
                    }
                    continuation.resume(returning: .success(reply.body.trimmingCharacters(in: .whitespacesAndNewlines)))
                } catch {
                    continuation.resume(returning: .failure(error))
                }
            }
        }
        return try result.get()
    }

    /// Stops the loops, tears down every pod (while the cni-manager still answers), stops every
    /// process and server. Returns what could not be removed.
    public func shutdown() async -> [String] {
        tasks.forEach { $0.cancel() }
        tasks = []
        var failures: [String] = []
        do throws(SandboxError) { try await kubelet.tearDownAll() } catch { failures.append("pods: \(error)") }
        failures += await runner.shutdown()
        await azure.stop()
        await controlPlane.stop()
        await fabric.stop()
        echo.stop()
        return failures
    }

    /// What `down` does after the supervisor is gone (or when it died without cleaning up): tears
    /// down the pods the kubelet recorded (while the nodes' anchors live, the plugins run inside),
    /// kills the recorded processes and anything else inside the nodes' namespaces, and unmounts
    /// what the run mounted under its state directory. Returns what could not be removed.
    public static func removeLeftovers(of layout: SandboxLayout, stateDirectory: String,
                                       processes: [String: Int32]) async -> [String] {
        var failures: [String] = []
        var anchors: [String: NodeFileSystem] = [:]
        for node in layout.nodes {
            guard let pid = processes["node/\(node.name)"], SandboxProcess.isAlive(pid) else { continue }
            anchors[node.name] = NodeFileSystem(anchorPID: pid, directory: "\(stateDirectory)/nodes/\(node.name)")
        }
        let records = (try? FileManager.default.contentsOfDirectory(atPath: stateDirectory + "/kubelet")) ?? []
        if !records.isEmpty, let client = try? KubeClient(configuration: KubeClientConfiguration(server: "https://127.0.0.1:1", proxy: .none)) {
            let nodes = layout.workers.compactMap { worker -> Kubelet.Node? in
                guard let files = anchors[worker.name] else { return nil }
                return Kubelet.Node(name: worker.name, hostIP: worker.primaryIP.description, runtime: CNIRuntime(
                    confDirectory: cniConfDirectory, binDirectories: cniBinDirectories,
                    namespace: NetworkNamespace(path: "\(NetworkNamespace.runDirectory)/\(worker.namespace)"), fileSystem: files))
            }
            let kubelet = Kubelet(client: client, nodes: nodes, stateDirectory: stateDirectory + "/kubelet", netnsPrefix: layout.prefix)
            do throws(SandboxError) { try await kubelet.tearDownAll() } catch { failures.append("pods: \(error)") }
        }
        for (name, pid) in processes where name != "supervisor" && !name.hasPrefix("node/") {
            if !SandboxProcess.stop(pid, grace: 20) { failures.append("process \(name) (pid \(pid)) did not exit") }
        }
        var namespaces = layout.nodes.map { "\(NetworkNamespace.runDirectory)/\($0.namespace)" }
        for files in anchors.values {
            namespaces.append(files.mountNamespace)
            namespaces += ((try? FileManager.default.contentsOfDirectory(atPath: files.hostPath("/run/netns"))) ?? []).map { files.hostPath("/run/netns/\($0)") }
        }
        let survivors = await NamespaceMembers.kill(inNamespacesAt: namespaces)
        if !survivors.isEmpty { failures.append("processes \(survivors) inside the nodes did not exit") }
        do throws(SandboxError) { try NodeMachine.unmount(stateDirectory) } catch { failures.append("\(error)") }
        return failures
    }

    // MARK: Roles

    static func workload(of role: NodeRole) -> String { role == .gateway ? "egressgw-gateway" : "egressgw-cni-manager" }

    /// A node's role with its workload's arguments and environment, plus what the Sandbox changes:
    /// the token's kubeconfig, and the userspace WireGuard of a kernel without the module.
    static func role(for node: NodeLayout, manifests: DeployManifests, egressgw: String) throws(SandboxError) -> RoleProcess {
        let container = try manifests.container(ofWorkload: workload(of: node.role), nodeName: node.name)
        var arguments = container.arguments + ["--kubeconfig", roleKubeconfig]
        if node.role == .gateway { arguments += ["--wireguard-backend", "userspace"] }
        return RoleProcess(name: "\(node.role == .gateway ? "gateway" : "cni-manager")/\(node.name)", node: node.name,
                           executable: egressgw, arguments: arguments,
                           environment: container.environment.merging(baseEnvironment(hostname: node.name)) { first, _ in first })
    }

    /// The operator runs on the host: its ports become free ones there, its cloud config the emulated Azure's.
    static func operatorRole(manifests: DeployManifests, egressgw: String, kubeconfig: String,
                             endpoints: SandboxAzure.Endpoints) throws(SandboxError) -> RoleProcess {
        let container = try manifests.container(ofWorkload: "egressgw-operator", nodeName: "")
        let arguments = container.arguments.map { argument in
            if argument.hasPrefix("--cloud-config=") { return "--cloud-config=\(endpoints.cloudConfigFile)" }
            if argument.hasPrefix("--metrics-bind-port=") { return "--metrics-bind-port=0" }
            if argument.hasPrefix("--health-probe-bind-port=") { return "--health-probe-bind-port=0" }
            return argument
        } + ["--kubeconfig", kubeconfig]
        return RoleProcess(name: "operator", node: nil, executable: egressgw, arguments: arguments,
                           environment: container.environment.merging(endpoints.operatorEnvironment) { first, _ in first }
                               .merging(baseEnvironment(hostname: "egressgw-operator")) { first, _ in first })
    }

    static func baseEnvironment(hostname: String) -> [String: String] {
        ["PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOSTNAME": hostname]
    }

    /// The worker's main conflist (Debian's bridge and host-local, as a plain node has before
    /// egressgw) and the plugin bundle the cni-manager installs (the build's binary, by link).
    static func prepareWorker(_ node: NodeLayout, _ files: NodeFileSystem, egressgw: String) throws(SandboxError) {
        guard let podCIDR = node.podCIDR else { return }
        try write(CNIRuntime.bridgeConflist(podCIDR: podCIDR, dataDirectory: podIPAMDirectory),
                  to: files.hostPath(cniConfDirectory + "/10-sandbox-pods.conflist"), mode: 0o644)
        let bundle = files.hostPath(pluginBundle)
        try SandboxError.during("link \(egressgw) into \(node.name)'s plugin bundle") {
            try FileManager.default.createDirectory(atPath: bundle, withIntermediateDirectories: true)
            try? FileManager.default.removeItem(atPath: bundle + "/egressgw")
            try FileManager.default.createSymbolicLink(atPath: bundle + "/egressgw", withDestinationPath: egressgw)
        }
    }

    static func write(_ text: String, to path: String, mode: Int) throws(SandboxError) {
        try SandboxError.during("write \(path)") {
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            guard FileManager.default.createFile(atPath: path, contents: Data(text.utf8), attributes: [.posixPermissions: mode]) else {
                throw SandboxError.stateFile(path: path, reason: "cannot be written")
            }
        }
    }
}
