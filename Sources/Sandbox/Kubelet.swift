import Foundation
import Kube
import Logging
import Netlink

/// The Sandbox's kubelet: gives every Pod bound to one of its worker nodes a network namespace
/// wired by the node's CNI configuration list, and reports the pod's IPs in its status.
///
/// Each pass of ``reconcile()`` compares the pods the API server holds with the sandboxes recorded
/// on disk (one record per sandbox, written before its namespace exists, so a crash half-way is
/// seen and undone by the next pass) and applies only the difference. A sandbox whose ADD failed is
/// torn down at once (DEL, then its namespace removed) and made afresh on the next pass.
public actor Kubelet {
    /// A worker node the kubelet serves.
    public struct Node: Sendable {
        public let name: String
        /// The node's address, reported as the pod's `hostIP`.
        public let hostIP: String
        public let runtime: CNIRuntime

        public init(name: String, hostIP: String, runtime: CNIRuntime) {
            self.name = name
            self.hostIP = hostIP
            self.runtime = runtime
        }
    }

    /// What the kubelet keeps of one sandbox: enough to run DEL after the pod is gone.
    struct SandboxRecord: Codable, Sendable, Hashable {
        var uid: String
        var namespace: String
        var name: String
        var node: String
        var netns: String
        /// The cached ADD result (of the plugins that succeeded when ADD failed half-way).
        var result: String?
        /// The pod IPs of `result`, in the order the plugins reported them; empty until ADD finished.
        var ips: [String]
    }

    private let pods: ResourceClient<Pod>
    private let nodes: [String: Node]
    private let stateDirectory: String
    private let netnsPrefix: String

    /// `netnsPrefix` names the pod namespaces (`<prefix>-pod-<uid>`), so the run's leftover check finds
    /// them; `stateDirectory` holds the sandbox records.
    public init(client: KubeClient, nodes: [Node], stateDirectory: String, netnsPrefix: String) {
        self.pods = client.resource(Pod.self, namespace: nil)
        self.nodes = Dictionary(nodes.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        self.stateDirectory = stateDirectory
        self.netnsPrefix = netnsPrefix
    }

    /// One pass. Returns the failures of this pass (one per pod); a caller requeues when any.
    @discardableResult
    public func reconcile() async throws(SandboxError) -> [SandboxError] {
        let listed: [Pod]
        do { listed = try await pods.list().items } catch { throw .step("list pods", cause: error) }
        let desired = Dictionary(listed.filter(wantsSandbox).map { ($0.metadata.uid, $0) }, uniquingKeysWith: { first, _ in first })
        var failures: [SandboxError] = []
        for record in try records() where desired[record.uid] == nil || record.ips.isEmpty {
            do throws(SandboxError) { try tearDown(record) } catch { failures.append(error) }
        }
        let completed = Dictionary(try records().map { ($0.uid, $0) }, uniquingKeysWith: { first, _ in first })
        for pod in desired.values.sorted(by: { $0.metadata.uid < $1.metadata.uid }) {
            do throws(SandboxError) {
                let record: SandboxRecord
                if let existing = completed[pod.metadata.uid] { record = existing } else { record = try setUp(pod) }
                try await reportStatus(of: pod, record)
            } catch {
                failures.append(error)
            }
        }
        return failures
    }

    /// Tears down every sandbox the kubelet made (for `down`): DEL, namespace and record.
    public func tearDownAll() throws(SandboxError) {
        for record in try records() { try tearDown(record) }
    }

    /// Reconciles on every pod change, and again after a pass with failures, until cancelled.
    public func run(retryAfter: Duration = .seconds(1), logger: Logger? = nil) async {
        while !Task.isCancelled {
            let failures: [SandboxError]
            do { failures = try await reconcile() } catch { failures = [error] }
            for failure in failures where !Task.isCancelled { logger?.warning("kubelet: \(failure)") }
            let failed = !failures.isEmpty
            do {
                if failed { try await Task.sleep(for: retryAfter); continue }
                // A watch ends (server timeout, dropped) and is opened again after a full pass.
                for try await event in try await pods.watch(WatchOptions()) {
                    if event.object != nil, (try? await reconcile())?.isEmpty == false { break }
                }
            } catch {
                try? await Task.sleep(for: retryAfter)
            }
        }
    }

    // MARK: Steps

    private func wantsSandbox(_ pod: Pod) -> Bool {
        !pod.metadata.isBeingDeleted && !pod.spec.hostNetwork && nodes[pod.spec.nodeName] != nil && !pod.metadata.uid.isEmpty
    }

    private func setUp(_ pod: Pod) throws(SandboxError) -> SandboxRecord {
        guard let node = nodes[pod.spec.nodeName] else {
            throw .invalidConfiguration(field: "spec.nodeName", value: pod.spec.nodeName, reason: "not a worker of this kubelet")
        }
        var record = SandboxRecord(uid: pod.metadata.uid, namespace: pod.metadata.namespace, name: pod.metadata.name,
                                   node: node.name, netns: "\(netnsPrefix)-pod-\(pod.metadata.uid)", result: nil, ips: [])
        try save(record)
        var partial: [UInt8]?
        do {
            let netns = try SandboxError.during("create netns \(record.netns)") { try createNamespace(record) }
            try SandboxError.during("bring up lo in \(netns)") { try NetlinkHandle(namespace: netns).setLinkUp("lo") }
            let result = try node.runtime.add(invocation(record), partialResult: &partial)
            record.result = String(decoding: result, as: UTF8.self)
            record.ips = try Self.podIPs(in: result, pod: "\(record.namespace)/\(record.name)")
            try save(record)
            return record
        } catch {
            // What a runtime does after a failed ADD: DEL, so nothing half-made stays.
            record.result = partial.map { String(decoding: $0, as: UTF8.self) }
            try? save(record)
            try? tearDown(record)
            throw error
        }
    }

    private func tearDown(_ record: SandboxRecord) throws(SandboxError) {
        let netns = hostNamespace(record)
        // The namespace goes even when DEL fails; the record stays until a DEL succeeds (the
        // plugins must accept DEL for a namespace that is gone), so no IPAM state leaks.
        var deleteFailure: SandboxError?
        if let node = nodes[record.node] {
            do throws(SandboxError) {
                try node.runtime.delete(invocation(record), cachedResult: record.result.map { Array($0.utf8) })
            } catch { deleteFailure = error }
        }
        if netns.exists {
            try SandboxError.during("delete \(netns)") { try netns.delete() }
        }
        if let deleteFailure { throw deleteFailure }
        try SandboxError.during("remove the record of pod \(record.namespace)/\(record.name)") {
            try FileManager.default.removeItem(atPath: path(of: record.uid))
        }
    }

    /// Writes the IPs with the status subresource, only when the pod does not show them yet.
    private func reportStatus(of pod: Pod, _ record: SandboxRecord) async throws(SandboxError) {
        var status = pod.status
        status.podIP = record.ips.first ?? ""
        status.podIPs = record.ips.map(PodIP.init)
        status.hostIP = nodes[record.node]?.hostIP ?? ""
        status.phase = "Running"
        guard status != pod.status else { return }
        var updated = pod
        updated.status = status
        do {
            _ = try await pods.namespace(record.namespace).updateStatus(updated)
        } catch {
            throw .step("update the status of pod \(record.namespace)/\(record.name)", cause: error)
        }
    }

    /// The pod's namespace as this process reaches it: in the node's own netns directory when the
    /// node has a mount namespace (the plugins see it as `/var/run/netns/<name>` there too).
    private func hostNamespace(_ record: SandboxRecord) -> NetworkNamespace {
        let directory = nodes[record.node]?.runtime.fileSystem?.netnsDirectory ?? NetworkNamespace.runDirectory
        return NetworkNamespace(path: "\(directory)/\(record.netns)")
    }

    private func createNamespace(_ record: SandboxRecord) throws -> NetworkNamespace {
        guard nodes[record.node]?.runtime.fileSystem != nil else { return try NetworkNamespace.create(named: record.netns) }
        return try NetworkNamespace.create(atPath: hostNamespace(record).path)
    }

    /// The network namespace of the pod with `uid`, once its sandbox exists (for reaching into a pod).
    public func networkNamespace(ofPod uid: String) throws(SandboxError) -> NetworkNamespace? {
        try records().first { $0.uid == uid }.map(hostNamespace)
    }

    private func invocation(_ record: SandboxRecord) -> CNIInvocation {
        CNIInvocation(containerID: record.uid, netnsPath: "\(NetworkNamespace.runDirectory)/\(record.netns)",
                      podNamespace: record.namespace, podName: record.name)
    }

    /// The addresses of a CNI result's `ips`, without their prefix lengths.
    static func podIPs(in result: [UInt8], pod: String) throws(SandboxError) -> [String] {
        struct Result: Decodable { struct IP: Decodable { let address: String }; let ips: [IP]? }
        guard let decoded = try? JSONDecoder().decode(Result.self, from: Data(result)),
              let ips = decoded.ips, !ips.isEmpty else {
            throw .invalidConfiguration(field: "CNI result ips", value: String(decoding: result, as: UTF8.self),
                                        reason: "no address for pod \(pod)")
        }
        return ips.map { $0.address.split(separator: "/").first.map(String.init) ?? $0.address }
    }

    // MARK: Records

    private func path(of uid: String) -> String { "\(stateDirectory)/\(uid).json" }

    private func save(_ record: SandboxRecord) throws(SandboxError) {
        try SandboxError.during("write the record of pod \(record.namespace)/\(record.name)") {
            try FileManager.default.createDirectory(atPath: stateDirectory, withIntermediateDirectories: true)
            try JSONEncoder().encode(record).write(to: URL(fileURLWithPath: path(of: record.uid)), options: .atomic)
        }
    }

    private func records() throws(SandboxError) -> [SandboxRecord] {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: stateDirectory)) ?? []
        return try files.filter { $0.hasSuffix(".json") }.sorted().map { file throws(SandboxError) in
            let path = "\(stateDirectory)/\(file)"
            guard let data = FileManager.default.contents(atPath: path),
                  let record = try? JSONDecoder().decode(SandboxRecord.self, from: data) else {
                throw SandboxError.stateFile(path: path, reason: "not a sandbox record")
            }
            return record
        }
    }
}
