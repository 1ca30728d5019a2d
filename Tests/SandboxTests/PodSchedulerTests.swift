import Foundation
import Kube
import KubeEmulator
import Testing
@testable import Sandbox

@Suite("Pod scheduler")
struct PodSchedulerTests {
    @Test("pending pods go to the least loaded worker whose NoSchedule taints they tolerate; bound pods stay")
    func bindsPendingPods() async throws {
        let server = try await KubeEmulator().start()
        do {
            let client = try KubeClient(configuration: KubeClientConfiguration(server: server.url, proxy: .none))
            let emulator = server.emulator
            for (name, taints) in [("worker-0", [Taint(key: "egressgateway.kubernetes.azure.com/cni-not-ready", effect: "NoSchedule")]),
                                   ("worker-1", []), ("worker-2", [])] {
                _ = try await client.resource(Node.self).create(Node(metadata: ObjectMeta(name: name), spec: NodeSpec(taints: taints)))
            }
            let pods = client.resource(Pod.self, namespace: "default")
            let container = [Container(name: "c", unknownFields: ["image": .string("busybox")])]
            _ = try await pods.create(Pod(metadata: ObjectMeta(name: "bound", namespace: "default"),
                                          spec: PodSpec(nodeName: "worker-1", containers: container)))
            for name in ["a", "b"] {
                _ = try await pods.create(Pod(metadata: ObjectMeta(name: name, namespace: "default"), spec: PodSpec(containers: container)))
            }
            let scheduler = PodScheduler(client: client, workers: ["worker-0", "worker-1", "worker-2"]) { namespace, name, node in
                try emulator.bindPod(namespace: namespace, name: name, node: node)
            }
            #expect(try await scheduler.reconcile() == ["default/a": "worker-2", "default/b": "worker-1"])
            #expect(try await pods.get("a").spec.nodeName == "worker-2")
            #expect(try await scheduler.reconcile().isEmpty)
        } catch {
            await server.stop()
            throw error
        }
        await server.stop()
    }
}
