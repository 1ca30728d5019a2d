import Foundation
import Kube
import KubeEmulator
import Netlink
import Testing
@testable import Sandbox

@Suite("Kubelet CNI result")
struct KubeletResultTests {
    @Test("pod IPs are the result's addresses without prefix length, in order")
    func podIPsFromResult() throws {
        let result = #"{"cniVersion":"1.0.0","ips":[{"address":"10.244.0.2/24","gateway":"10.244.0.1"},{"address":"fd00::2/64"}]}"#
        #expect(try Kubelet.podIPs(in: Array(result.utf8), pod: "default/p") == ["10.244.0.2", "fd00::2"])
    }

    @Test("a result without ips is refused, naming the pod")
    func resultWithoutIPs() {
        #expect(throws: SandboxError.self) { try Kubelet.podIPs(in: Array(#"{"cniVersion":"1.0.0"}"#.utf8), pod: "default/p") }
    }
}

/// Real namespaces, Debian's CNI plugins and packets: needs root and /usr/lib/cni.
@Suite("Kubelet", .serialized, .enabled(if: SandboxTestSupport.isRoot && FileManager.default.isExecutableFile(atPath: "/usr/lib/cni/bridge"),
                                         "needs root and Debian's containernetworking-plugins in /usr/lib/cni"))
struct KubeletTests {
    /// A topology with one worker, a KubeEmulator, and a kubelet whose worker uses `conflist`.
    private func withKubelet(conflist: @escaping @Sendable (NodeLayout, String) -> String,
                             _ body: @Sendable (SandboxLayout, Kubelet, KubeClient, String) async throws -> Void) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("kubelet-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try await SandboxTestSupport.withTopology(workers: 1, gateways: 1) { layout in
            let worker = layout.workers[0]
            let confDirectory = "\(directory)/\(worker.name)/net.d"
            try FileManager.default.createDirectory(atPath: confDirectory, withIntermediateDirectories: true)
            try conflist(worker, "\(directory)/\(worker.name)/ipam").write(toFile: "\(confDirectory)/10-pods.conflist", atomically: true, encoding: .utf8)
            let runtime = CNIRuntime(confDirectory: confDirectory, binDirectories: ["/usr/lib/cni"],
                                     namespace: try NetworkNamespace.named(worker.namespace))
            let server = try await KubeEmulator().start()
            do {
                let client = try KubeClient(configuration: KubeClientConfiguration(server: server.url, proxy: .none))
                let kubelet = Kubelet(client: client, nodes: [Kubelet.Node(name: worker.name, hostIP: worker.primaryIP.description, runtime: runtime)],
                                      stateDirectory: "\(directory)/sandboxes", netnsPrefix: layout.prefix)
                try await body(layout, kubelet, client, confDirectory)
                try await kubelet.tearDownAll()
                #expect(Topology.leftovers(matching: "\(layout.prefix)-pod-", hostLinks: false).isEmpty)
            } catch {
                await server.stop()
                throw error
            }
            await server.stop()
        }
    }

    private static func bridge(_ worker: NodeLayout, _ ipam: String) -> String {
        CNIRuntime.bridgeConflist(podCIDR: worker.podCIDR!, dataDirectory: ipam)
    }

    @Test("a pod bound to a worker gets an IP in its status, reaches the Internet from the node's address, and its netns goes with it")
    func podLifecycle() async throws {
        try await withKubelet(conflist: Self.bridge) { layout, kubelet, client, _ in
            let worker = layout.workers[0]
            let echo = try EchoServer(in: try NetworkNamespace.named(layout.internetNamespace))
            defer { echo.stop() }
            let pods = client.resource(Pod.self, namespace: "default")
            let created = try await pods.create(Pod(metadata: ObjectMeta(name: "web", namespace: "default"),
                                                    spec: PodSpec(nodeName: worker.name, containers: [Container(name: "c", unknownFields: ["image": .string("busybox")])])))
            #expect(try await kubelet.reconcile().isEmpty)

            let pod = try await pods.get("web")
            #expect(worker.podCIDR!.contains(try #require(IPAddress(pod.status.podIP))))
            #expect(pod.status.podIPs.map(\.ip) == [pod.status.podIP])
            #expect(pod.status.hostIP == worker.primaryIP.description)
            let netns = try NetworkNamespace.named("\(layout.prefix)-pod-\(created.metadata.uid)")
            let reply = try NamespacedSocket.get(in: netns, to: SandboxLayout.echoAddress, port: SandboxLayout.echoPort, path: "/")
            #expect(reply.body == "\(worker.primaryIP)\n")

            // A second pass changes nothing: the status is written once.
            let version = pod.metadata.resourceVersion
            #expect(try await kubelet.reconcile().isEmpty)
            #expect(try await pods.get("web").metadata.resourceVersion == version)

            _ = try await pods.delete("web")
            #expect(try await kubelet.reconcile().isEmpty)
            #expect(!netns.exists)
        }
    }

    @Test("a failed ADD leaves no pod netns behind, and the next pass retries it")
    func failedAddIsRetried() async throws {
        let broken: @Sendable (NodeLayout, String) -> String = { worker, ipam in
            // bridge succeeds, then a plugin that does not exist fails the ADD half-way.
            Self.bridge(worker, ipam).replacingOccurrences(of: #"]}}]}"#, with: #"]}}, {"type": "no-such-plugin"}]}"#)
        }
        try await withKubelet(conflist: broken) { layout, kubelet, client, confDirectory in
            let pods = client.resource(Pod.self, namespace: "default")
            let created = try await pods.create(Pod(metadata: ObjectMeta(name: "web", namespace: "default"),
                                                    spec: PodSpec(nodeName: layout.workers[0].name, containers: [Container(name: "c", unknownFields: ["image": .string("busybox")])])))
            #expect(try await kubelet.reconcile().count == 1)
            #expect(Topology.leftovers(matching: "\(layout.prefix)-pod-", hostLinks: false).isEmpty)
            #expect(try await pods.get("web").status.podIP.isEmpty)

            try Self.bridge(layout.workers[0], "\(confDirectory)/../ipam").write(toFile: "\(confDirectory)/10-pods.conflist", atomically: true, encoding: .utf8)
            #expect(try await kubelet.reconcile().isEmpty)
            #expect(!(try await pods.get("web").status.podIP.isEmpty))
            #expect(try NetworkNamespace.named("\(layout.prefix)-pod-\(created.metadata.uid)").exists)
        }
    }
}
