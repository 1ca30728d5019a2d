import ARMEmulator
import EgressGatewayAPI
import Kube
import Operator
import Testing

/// The VM controller with the other two, on the KubeEmulator, with Azure behind the ARM client and the
/// ARMEmulator.
@Suite("GatewayVMConfiguration controller")
struct VMControllerTests {
    static let scaleSet = AzureFabricTests.scaleSet

    static func seed(instances: Int) -> String {
        AzureFabricTests.seed(gatewayScaleSets: [
            "{name: \(scaleSet), pool: gwpool, gatewayPrefixLength: 31, subnet: aks-vnet/aks-subnet, instances: \(instances)}",
        ])
    }

    static let scaleSetID = ResourceID(subscription: AzureFabricTests.subscription, resourceGroup: AzureFabricTests.group,
                                       kind: .scaleSet, names: [scaleSet])

    /// The `egressgateway-` ipconfigs on the gateway scale set's model and on each of its instances.
    static func gatewayIPConfigurations(_ emulator: ARMEmulator) -> [String: [String]] {
        AzureFootprint(emulator).ipconfigs.filter { $0.key.lowercased().contains("/\(scaleSet.lowercased())") }
    }

    @Test("ten SGCs on one VMSS reach Ready; the whole wave costs few model PUTs; deleting them leaves nothing")
    func batchedWaveAndCleanup() async throws {
        var arm = ARMEmulator.Configuration()
        // Each write takes as long as a short long-running operation: writes meanwhile pile up as in a real wave.
        arm.faults = ARMEmulator.FaultInjection(appliesTo: .writes, delayRate: 1, delay: .milliseconds(200))
        try await AzureFabricTests.with(seed: Self.seed(instances: 2), emulator: arm, startsOperator: false) { harness, emulator, url in
            let names = (0..<10).map { "gw\($0)" }
            // The wave is in place before the operator starts: created one by one against a running operator, a
            // loaded machine can space the creates wider than the 200 ms writes, and nothing is left to batch.
            for name in names {
                _ = try await harness.sgcs().create(sgc(name, spec: .init(gatewayNodepoolName: "gwpool")))
            }
            let running = harness.startOperator(fabric: try AzureFabricTests.fabric(url: url))
            defer { running.cancel() }
            for name in names {
                _ = try await harness.eventually(harness.sgcs(), name) { $0.status.readyCondition?.status == .true }
            }
            let puts = emulator.requestLog.filter { $0.method == "PUT" }
            let modelPUTs = puts.filter { $0.kind == .scaleSet }.count
            let instancePUTs = puts.filter { $0.kind == .scaleSetVM }.count
            let lbPUTs = puts.filter { $0.kind == .loadBalancer }.count
            print("wave of 10 SGCs: VMSS model PUTs \(modelPUTs), instance PUTs \(instancePUTs), LB PUTs \(lbPUTs)")
            // Go writes the model once per SGC. Load-balancer passes coalesce too, but how many depends on how the
            // creates interleave with the 200 ms writes on a loaded machine, so only the model count is asserted.
            #expect(modelPUTs < 10)
            #expect(AzureFabricTests.modelIPConfigurations(emulator).count == 11)

            for name in names { _ = try await harness.sgcs().delete(name) }
            try await harness.expectAllGone(names)
            #expect(emulator.resources(.loadBalancer).isEmpty)
            #expect(AzureFootprint(emulator).leftovers.isEmpty, "\(AzureFootprint(emulator).leftovers)")
            #expect(AzureFabricTests.modelIPConfigurations(emulator) == ["ipconfig1"])
            running.cancel()
            await running.value
        }
    }

    /// One pool named two ways. Comparing the specs as written (not the resolved pools) made each
    /// configuration's pass remove the other's ipconfig, and the two flipped for ever.
    @Test("an SGC naming the pool by gatewayNodepoolName and one naming its VMSS keep each other's ipconfigs")
    func samePoolNamedTwoWays() async throws {
        try await AzureFabricTests.with(seed: Self.seed(instances: 1)) { harness, emulator, _ in
            _ = try await harness.sgcs().create(sgc("by-pool", spec: .init(gatewayNodepoolName: "gwpool")))
            _ = try await harness.sgcs().create(sgc("by-vmss", spec: .init(gatewayVmssProfile: GatewayVmssProfile(
                vmssResourceGroup: AzureFabricTests.group, vmssName: Self.scaleSet, publicIpPrefixSize: 31))))
            for name in ["by-pool", "by-vmss"] {
                _ = try await harness.eventually(harness.sgcs(), name) { $0.status.readyCondition?.status == .true }
            }
            var names: Set<String> = []
            for name in ["by-pool", "by-vmss"] {
                let uid = try await harness.vmConfigurations().get(name).metadata.uid
                names.insert(EgressGateway.managedResourceName(gatewayVMConfigurationUID: uid))
            }
            let ipconfigs = Self.gatewayIPConfigurations(emulator)
            #expect(ipconfigs.count == 2, "the model and its instance: \(ipconfigs.keys.sorted())")
            for (owner, present) in ipconfigs {
                #expect(Set(present).isSuperset(of: names), "\(owner)")
            }
        }
    }

    @Test("private mode: egressIpPrefix is the secondary IPs in numeric order, one profile per node")
    func privateMode() async throws {
        try await AzureFabricTests.with(seed: Self.seed(instances: 3)) { harness, emulator, _ in
            _ = try await harness.sgcs().create(sgc("gw1", spec: .init(gatewayNodepoolName: "gwpool",
                                                                       provisionPublicIps: false)))
            let ready = try await harness.eventually(harness.sgcs(), "gw1") { $0.status.readyCondition?.status == .true }
            let vm = try await harness.vmConfigurations().get("gw1")
            let profiles = try #require(vm.status?.gatewayVMProfiles)
            #expect(profiles.count == 3)
            #expect(ready.status.egressIpPrefix == GatewayIPs.egressList(profiles.map(\.secondaryIP)))
            #expect(emulator.writeCount(.publicIPPrefix) == 0)
        }
    }

    /// Go accepts a managed prefix of another length silently (spec §8.2 item 9).
    @Test("a managed prefix whose length no longer matches the pool is reported in Ready, not silently kept")
    func prefixLengthDrift() async throws {
        try await AzureFabricTests.with(seed: Self.seed(instances: 2)) { harness, emulator, _ in
            _ = try await harness.sgcs().create(sgc("gw1", spec: .init(gatewayNodepoolName: "gwpool")))
            _ = try await harness.eventually(harness.sgcs(), "gw1") { $0.status.readyCondition?.status == .true }
            // AKS retags the pool; Compute merges the tags of a PUT into the stored ones.
            try emulator.create(Self.scaleSetID, ["tags": ["aks-managed-gatewayIPPrefixSize": "30"]])
            // Any change of the VM configuration makes it look again.
            try await harness.update(harness.vmConfigurations(), "gw1") { $0.metadata.annotations["touch"] = "1" }
            let stuck = try await harness.eventually(harness.sgcs(), "gw1") { $0.status.readyCondition?.status == .false }
            #expect(stuck.status.readyCondition?.reason == "WaitingForGatewayIPs")
            #expect(stuck.status.readyCondition?.message.contains("has length 31 but the pool requires 30") == true)
        }
    }
}
