import EgressGatewayAPI
import Kube
import Operator
import Testing

/// The GatewayLBConfiguration reconciler alone, one pass run by the test, over the KubeEmulator and the ARMEmulator:
/// what a single pass leaves behind, which the running operator would hide by passing again.
@Suite("GatewayLBConfiguration controller, one pass")
struct LBPassTests {
    @Test("a first pass that fails writes Ready=False with the error over the finalizer it has just added")
    func firstFailingPassSaysWhy() async throws {
        try await AzureFabricTests.with(startsOperator: false) { harness, _, url in
            let sgcs = Informer(harness.sgcs(), configuration: .init(watchTimeout: 5...10))
            let lbConfigurations = Informer(harness.lbConfigurations(), configuration: .init(watchTimeout: 5...10))
            let vmConfigurations = Informer(harness.vmConfigurations(), configuration: .init(watchTimeout: 5...10))
            let informers = Task {
                await withDiscardingTaskGroup { group in
                    group.addTask { await sgcs.run() }
                    group.addTask { await lbConfigurations.run() }
                    group.addTask { await vmConfigurations.run() }
                }
            }
            defer { informers.cancel() }
            let reconciler = GatewayLBConfigurationReconciler(
                client: harness.client, settings: harness.settings, fabric: try AzureFabricTests.fabric(url: url),
                sgcs: sgcs.store, lbConfigurations: lbConfigurations.store, vmConfigurations: vmConfigurations.store,
                events: EventRecorder(client: harness.client, component: GatewayLBConfigurationReconciler.component),
                metrics: ReconcileMetrics(podNamespace: OperatorHarness.secretNamespace, factory: harness.metrics.factory))

            let spec = StaticGatewayConfigurationSpec(gatewayNodepoolName: "nosuchpool", provisionPublicIps: true)
            _ = try await harness.sgcs().create(sgc("gw1", spec: spec))
            _ = try await harness.lbConfigurations().create(GatewayLBConfiguration(
                metadata: ObjectMeta(name: "gw1", namespace: "default"), spec: GatewayLBConfigurationSpec(copying: spec)))
            try await waitUntil {
                sgcs.store.get(namespace: "default", name: "gw1") != nil
                    && lbConfigurations.store.get(namespace: "default", name: "gw1") != nil
            }

            let error = await #expect(throws: (any Error).self) {
                try await reconciler.reconcile(ObjectKey(namespace: "default", name: "gw1"))
            }
            let stored = try await harness.lbConfigurations().get("gw1")
            #expect(stored.metadata.hasFinalizer(EgressGateway.Finalizer.gatewayLBConfiguration))
            let ready = try #require(stored.status?.readyCondition, "the pass failed with \(String(describing: error)) and wrote no Ready")
            #expect(ready.status == .false)
            #expect(ready.message.contains("gateway agent pool not found"), "\(ready.message)")
            informers.cancel()
            await informers.value
        }
    }
}
