import EgressGatewayAPI
import Kube
import Operator
import Testing

/// The VM controller with the other two, on the KubeEmulator, with Azure behind the in-memory fabric.
@Suite("GatewayVMConfiguration controller")
struct VMControllerTests {
    static let cloud = LoadBalancerControllerTests.cloud
    static let vmss = LoadBalancerControllerTests.vmss

    static func fabric(instances: Int = 2) -> InMemoryFabric {
        let fabric = InMemoryFabric(cloud: cloud)
        fabric.addScaleSet(vmss, instances: instances)
        return fabric
    }

    @Test("ten SGCs on one VMSS reach Ready; the whole wave costs few model PUTs; deleting them leaves nothing")
    func batchedWaveAndCleanup() async throws {
        let fabric = InMemoryFabric(cloud: Self.cloud, writeDelay: .milliseconds(200))
        fabric.addScaleSet(Self.vmss, instances: 2)
        try await OperatorHarness.run(fabric: fabric) { harness in
            let names = (0..<10).map { "gw\($0)" }
            for name in names {
                _ = try await harness.sgcs().create(sgc(name, spec: .init(gatewayNodepoolName: "gwpool")))
            }
            for name in names {
                _ = try await harness.eventually(harness.sgcs(), name) { $0.status.readyCondition?.status == .true }
            }
            let modelPUTs = fabric.writes.filter { $0 == "PUT vmss gw-vmss" }.count
            let instancePUTs = fabric.writes.filter { $0.hasPrefix("PUT vmss gw-vmss instance") }.count
            let lbPUTs = fabric.writes.filter { $0 == "PUT loadBalancer" }.count
            print("wave of 10 SGCs: VMSS model PUTs \(modelPUTs), instance PUTs \(instancePUTs), LB PUTs \(lbPUTs)")
            // Go writes the model once per SGC. Load-balancer passes coalesce too, but how many depends on how the
            // creates interleave with the 200 ms writes on a loaded machine, so only the model count is asserted.
            #expect(modelPUTs < 10)
            let model = try #require(try await fabric.scaleSetInterfaces(resourceGroup: "rg", name: "gw-vmss"))
            #expect(model[0].ipConfigurations.count == 11)

            for name in names { _ = try await harness.sgcs().delete(name) }
            for name in names { try await harness.eventuallyGone(harness.sgcs(), name) }
            try await waitUntil { try await harness.vmConfigurations().list().items.isEmpty }
            #expect(fabric.storedLoadBalancer == nil)
            let cleaned = try #require(try await fabric.scaleSetInterfaces(resourceGroup: "rg", name: "gw-vmss"))
            #expect(cleaned[0].ipConfigurations.map(\.name) == ["ipconfig1"])
            #expect(cleaned[0].ipConfigurations[0].backendPoolIDs.isEmpty)
            #expect(fabric.state.withLock { $0.prefixes.isEmpty })
            for instance in try await fabric.scaleSetInstances(resourceGroup: "rg", name: "gw-vmss") {
                #expect(instance.interfaces[0].ipConfigurations.map(\.name) == ["ipconfig1"])
            }
        }
    }

    /// One pool named two ways. Comparing the specs as written (not the resolved pools) made each
    /// configuration's pass remove the other's ipconfig, and the two flipped for ever.
    @Test("an SGC naming the pool by gatewayNodepoolName and one naming its VMSS keep each other's ipconfigs")
    func samePoolNamedTwoWays() async throws {
        let fabric = Self.fabric(instances: 1)
        try await OperatorHarness.run(fabric: fabric) { harness in
            _ = try await harness.sgcs().create(sgc("by-pool", spec: .init(gatewayNodepoolName: "gwpool")))
            _ = try await harness.sgcs().create(sgc("by-vmss", spec: .init(gatewayVmssProfile: GatewayVmssProfile(
                vmssResourceGroup: "rg", vmssName: "gw-vmss", publicIpPrefixSize: 31))))
            for name in ["by-pool", "by-vmss"] {
                _ = try await harness.eventually(harness.sgcs(), name) { $0.status.readyCondition?.status == .true }
            }
            var names: Set<String> = []
            for name in ["by-pool", "by-vmss"] {
                let uid = try await harness.vmConfigurations().get(name).metadata.uid
                names.insert(EgressGateway.managedResourceName(gatewayVMConfigurationUID: uid))
            }
            let model = try #require(try await fabric.scaleSetInterfaces(resourceGroup: "rg", name: "gw-vmss"))
            #expect(Set(model[0].ipConfigurations.map(\.name)).isSuperset(of: names))
            for instance in try await fabric.scaleSetInstances(resourceGroup: "rg", name: "gw-vmss") {
                #expect(Set(instance.interfaces[0].ipConfigurations.map(\.name)).isSuperset(of: names))
            }
        }
    }

    @Test("private mode: egressIpPrefix is the secondary IPs in numeric order, one profile per node")
    func privateMode() async throws {
        let fabric = Self.fabric(instances: 3)
        try await OperatorHarness.run(fabric: fabric) { harness in
            _ = try await harness.sgcs().create(sgc("gw1", spec: .init(gatewayNodepoolName: "gwpool",
                                                                       provisionPublicIps: false)))
            let ready = try await harness.eventually(harness.sgcs(), "gw1") { $0.status.readyCondition?.status == .true }
            let vm = try await harness.vmConfigurations().get("gw1")
            let profiles = try #require(vm.status?.gatewayVMProfiles)
            #expect(profiles.count == 3)
            #expect(ready.status.egressIpPrefix == GatewayIPs.egressList(profiles.map(\.secondaryIP)))
            #expect(!fabric.writes.contains { $0.hasPrefix("PUT prefix") })
        }
    }

    /// Go accepts a managed prefix of another length silently (spec §8.2 item 9).
    @Test("a managed prefix whose length no longer matches the pool is reported in Ready, not silently kept")
    func prefixLengthDrift() async throws {
        let fabric = Self.fabric()
        try await OperatorHarness.run(fabric: fabric) { harness in
            _ = try await harness.sgcs().create(sgc("gw1", spec: .init(gatewayNodepoolName: "gwpool")))
            _ = try await harness.eventually(harness.sgcs(), "gw1") { $0.status.readyCondition?.status == .true }
            fabric.state.withLock { state in
                for index in state.scaleSets.indices { state.scaleSets[index].tags["aks-managed-gatewayIPPrefixSize"] = "30" }
            }
            // Any change of the VM configuration makes it look again.
            try await harness.update(harness.vmConfigurations(), "gw1") { $0.metadata.annotations["touch"] = "1" }
            let stuck = try await harness.eventually(harness.sgcs(), "gw1") { $0.status.readyCondition?.status == .false }
            #expect(stuck.status.readyCondition?.reason == "WaitingForGatewayIPs")
            #expect(stuck.status.readyCondition?.message.contains("has length 31 but the pool requires 30") == true)
        }
    }
}
