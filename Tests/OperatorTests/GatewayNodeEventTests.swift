import EgressGatewayAPI
import Kube
import Operator
import Synchronization
import Testing

/// Which Node events queue which VM configurations (spec §4.1, §4.2, §8.1 item 21), through the operator's own
/// wiring: the manager's Node and VM configuration informers run, its controllers do not, so the VM controller's
/// queue shows exactly the keys each event added.
@Suite("VM controller: Node events")
struct GatewayNodeEventTests {
    /// Node events as the test's own handler saw them, after the manager's handler (handlers run in order).
    final class SeenEvents: Sendable {
        let events = Mutex<[String]>([])
        func append(_ event: String) { events.withLock { $0.append(event) } }
        func contains(_ event: String) -> Bool { events.withLock { $0.contains(event) } }
    }

    /// Takes every key out of `queue`.
    static func drain(_ queue: WorkQueue<ObjectKey>) async -> Set<String> {
        var keys: Set<String> = []
        while queue.count > 0, let key = await queue.next() {
            keys.insert(key.name)
            queue.done(key)
        }
        return keys
    }

    @Test("gateway Node create and delete queue the configurations of its pool, or all without a pool label; other events queue none")
    func nodeEventMatrix() async throws {
        try await AzureFabricTests.with(startsOperator: false) { harness, _, url in
            let manager = OperatorManager(client: harness.client, settings: harness.settings,
                                          fabric: try AzureFabricTests.fabric(url: url))
            let queue = try #require(manager.vmController?.queue)
            let seen = SeenEvents()
            manager.nodeInformer.addHandler(InformerHandler(
                onAdd: { seen.append("add \($0.metadata.name)") },
                onUpdate: { _, node in seen.append("update \(node.metadata.name)") },
                onDelete: { seen.append("delete \($0.metadata.name)") }))

            let configurations: [(String, StaticGatewayConfigurationSpec)] = [
                ("on-gwpool", .init(gatewayNodepoolName: "gwpool")),
                ("on-gwpoolb", .init(gatewayNodepoolName: "gwpoolb")),
                ("by-vmss", .init(gatewayVmssProfile: GatewayVmssProfile(
                    vmssResourceGroup: AzureFabricTests.group, vmssName: AzureFabricTests.scaleSet, publicIpPrefixSize: 31))),
                ("deleting", .init(gatewayNodepoolName: "gwpool")),
            ]
            for (name, spec) in configurations {
                var meta = ObjectMeta(name: name, namespace: "default")
                meta.finalizers = ["egressgw.test/hold"]
                _ = try await harness.vmConfigurations().create(
                    GatewayVMConfiguration(metadata: meta, spec: GatewayVMConfigurationSpec(copying: spec)))
            }
            _ = try await harness.vmConfigurations().delete("deleting")

            let informers = Task {
                await withDiscardingTaskGroup { group in
                    group.addTask { await manager.vmInformer.run() }
                    group.addTask { await manager.nodeInformer.run() }
                }
            }
            defer { informers.cancel() }
            // The configurations' own adds, queued by the VM controller's handler, go first.
            await manager.vmInformer.waitForSync()
            await manager.nodeInformer.waitForSync()
            try await waitUntil { queue.count == configurations.count }
            #expect(manager.vmInformer.store.get(namespace: "default", name: "deleting")?.metadata.isBeingDeleted == true)
            _ = await Self.drain(queue)

            let nodes = harness.client.resource(Node.self)
            /// Runs `change`, waits until the informer delivered `event`, and returns the keys it queued.
            func queued(after event: String, _ change: () async throws -> Void) async throws -> Set<String> {
                try await change()
                try await waitUntil { seen.contains(event) }
                return await Self.drain(queue)
            }
            func node(_ name: String, _ labels: [String: String]) -> Node { Node(metadata: ObjectMeta(name: name, labels: labels)) }

            // Not a gateway node (mode system), whatever its pool.
            #expect(try await queued(after: "add worker") {
                _ = try await nodes.create(node("worker", ["kubernetes.azure.com/mode": "system",
                                                          "kubernetes.azure.com/agentpool": "gwpool"]))
            }.isEmpty)
            // AKS's mode label, equal-fold, and its pool label, equal-fold: that pool's configurations and the one
            // without a pool name; not the one being deleted.
            #expect(try await queued(after: "add gw-a") {
                _ = try await nodes.create(node("gw-a", ["kubernetes.azure.com/mode": "Gateway",
                                                        "kubernetes.azure.com/agentpool": "GWPOOL"]))
            } == ["on-gwpool", "by-vmss"])
            // The egress gateway's own mode label, equal-fold, without a pool label: every configuration.
            #expect(try await queued(after: "add gw-b") {
                _ = try await nodes.create(node("gw-b", ["kubeegressgateway.azure.com/mode": "TRUE"]))
            } == ["on-gwpool", "on-gwpoolb", "by-vmss"])
            // Updates are filtered out, as in Go.
            #expect(try await queued(after: "update gw-a") {
                try await harness.update(nodes, "gw-a") { $0.metadata.annotations["touch"] = "1" }
            }.isEmpty)
            // Go's delete reads the Node again, finds nothing and does nothing (spec §8.2 item 11); here a
            // gateway node that leaves queues its pool's configurations, so their status drops it at once.
            #expect(try await queued(after: "delete gw-a") {
                _ = try await nodes.delete("gw-a")
            } == ["on-gwpool", "by-vmss"])
            #expect(try await queued(after: "delete worker") {
                _ = try await nodes.delete("worker")
            }.isEmpty)

            informers.cancel()
            await informers.value
        }
    }
}
