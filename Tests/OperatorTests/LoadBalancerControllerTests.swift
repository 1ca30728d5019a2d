import ARMEmulator
import EgressGatewayAPI
import Kube
import Operator
import Testing

/// The LB controller with the SGC controller, on the KubeEmulator, with Azure behind the in-memory fabric.
@Suite("GatewayLBConfiguration controller")
struct LoadBalancerControllerTests {
    static let cloud = CloudTarget(subscriptionID: "sub", resourceGroup: "rg", location: "eastus",
                                   vnetName: "vnet", subnetName: "subnet")
    static let vmss = ScaleSetSummary(resourceGroup: "rg", name: "gw-vmss", uniqueID: "vmss-unique-id",
                                      tags: ["aks-managed-poolName": "gwpool", "aks-managed-gatewayIPPrefixSize": "31"])

    @Test("SGC → LB frontend, backend, rule 6000 and probe → VM configuration; its prefix reaches the SGC")
    func provisionsThroughTheChain() async throws {
        let fabric = InMemoryFabric(cloud: Self.cloud)
        fabric.addScaleSet(Self.vmss, instances: 2)
        try await OperatorHarness.run(fabric: fabric) { harness in
            let created = try await harness.sgcs().create(sgc("gw1", spec: .init(gatewayNodepoolName: "GWPool")))
            let vm = try await harness.eventually(harness.vmConfigurations(), "gw1") { _ in true }
            let lbConfiguration = try await harness.lbConfigurations().get("gw1")
            #expect(vm.metadata.controllerReference?.uid == lbConfiguration.metadata.uid)
            #expect(vm.spec.gatewayNodepoolName == "GWPool")
            #expect(lbConfiguration.metadata.finalizers == ["gateway-lb-configuration-controller.microsoft.com"])

            let lb = try #require(fabric.storedLoadBalancer)
            #expect(lb.frontends.map(\.name) == ["vmss-unique-id"] && lb.backends.map(\.name) == ["vmss-unique-id"])
            #expect(lb.rules.map(\.name) == [lbConfiguration.metadata.uid] && lb.rules[0].frontendPort == 6000)
            #expect(lb.probes.first?.requestPath == "/gw/\(created.metadata.uid)")
            let ready = try await harness.eventually(harness.sgcs(), "gw1") { $0.status.readyCondition?.status == .true }
            #expect(ready.status.gatewayServerProfile.ip == "10.0.0.4")
            #expect(ready.status.gatewayServerProfile.port == 6000)
            #expect(ready.status.egressIpPrefix == "20.0.0.0/31")
            let vmStatus = try #require(try await harness.vmConfigurations().get("gw1").status)
            #expect(vmStatus.gatewayVMProfiles.map(\.nodeName) == ["gw-vmss000000", "gw-vmss000001"])
            let ipconfig = "egressgateway-\(vm.metadata.uid)"
            #expect(fabric.writes == ["PUT loadBalancer", "PUT prefix \(ipconfig)", "PUT vmss gw-vmss",
                                      "PUT vmss gw-vmss instance 0", "PUT vmss gw-vmss instance 1"])
            _ = try await eventuallyEvent(harness, about: "gw1", reason: "ReconcileGatewayLBConfigurationSuccess",
                                          message: "GatewayLBConfiguration reconciled")
        }
    }

    @Test("another reconcile of an unchanged world writes nothing to Azure")
    func noWriteWhenUnchanged() async throws {
        let fabric = InMemoryFabric(cloud: Self.cloud)
        fabric.addScaleSet(Self.vmss, instances: 2)
        try await OperatorHarness.run(fabric: fabric) { harness in
            _ = try await harness.sgcs().create(sgc("gw1", spec: .init(gatewayNodepoolName: "gwpool")))
            _ = try await harness.eventually(harness.sgcs(), "gw1") { $0.status.readyCondition?.status == .true }
            let before = fabric.writes
            let successes = try await harness.events(about: "gw1").first {
                $0.reason == "ReconcileGatewayLBConfigurationSuccess" }?.count ?? 0
            // An edit that changes nothing the LB depends on makes the controllers run again.
            try await harness.update(harness.lbConfigurations(), "gw1") { $0.metadata.annotations["touch"] = "1" }
            _ = try await harness.eventually(harness.lbConfigurations(), "gw1") {
                $0.metadata.annotations["touch"] == "1"
            }
            try await waitUntil { (try await harness.events(about: "gw1").first {
                $0.reason == "ReconcileGatewayLBConfigurationSuccess" }?.count ?? 0) > successes }
            #expect(fabric.writes == before)
        }
    }

    @Test("two SGCs on one pool share the frontend and take ports 6000 and 6001; deleting both deletes the LB")
    func sharedPoolAndDeletion() async throws {
        let fabric = InMemoryFabric(cloud: Self.cloud)
        fabric.addScaleSet(Self.vmss, instances: 2)
        try await OperatorHarness.run(fabric: fabric) { harness in
            _ = try await harness.sgcs().create(sgc("gw1", spec: .init(gatewayNodepoolName: "gwpool")))
            _ = try await harness.eventually(harness.lbConfigurations(), "gw1") { $0.status?.serverPort == 6000 }
            _ = try await harness.sgcs().create(sgc("gw2", spec: .init(gatewayNodepoolName: "gwpool")))
            _ = try await harness.eventually(harness.lbConfigurations(), "gw2") { $0.status?.serverPort == 6001 }
            #expect(fabric.storedLoadBalancer?.frontends.count == 1)

            _ = try await harness.sgcs().delete("gw1")
            try await harness.eventuallyGone(harness.sgcs(), "gw1")
            #expect(fabric.storedLoadBalancer?.rules.count == 1)
            #expect(fabric.storedLoadBalancer?.frontends.count == 1)
            _ = try await harness.sgcs().delete("gw2")
            try await harness.eventuallyGone(harness.sgcs(), "gw2")
            try await harness.eventuallyGone(harness.lbConfigurations(), "gw2")
            #expect(fabric.storedLoadBalancer == nil)
            #expect(fabric.writes.last == "DELETE loadBalancer")
        }
    }

    /// Go resolves the pool during deletion and keeps the finalizer forever once it is gone (spec §8.2 item 12).
    @Test("deletion after the gateway pool vanished removes the rule and probe, warns, and releases")
    func poolGoneDoesNotHoldTheFinalizer() async throws {
        let fabric = InMemoryFabric(cloud: Self.cloud)
        fabric.addScaleSet(Self.vmss, instances: 2)
        try await OperatorHarness.run(fabric: fabric) { harness in
            _ = try await harness.sgcs().create(sgc("gw1", spec: .init(gatewayNodepoolName: "gwpool")))
            _ = try await harness.sgcs().create(sgc("gw2", spec: .init(gatewayNodepoolName: "gwpool")))
            _ = try await harness.eventually(harness.lbConfigurations(), "gw1") { $0.status?.serverPort != nil }
            _ = try await harness.eventually(harness.lbConfigurations(), "gw2") { $0.status?.serverPort != nil }
            fabric.state.withLock { $0.scaleSets = [] }
            _ = try await harness.sgcs().delete("gw1")
            try await harness.eventuallyGone(harness.sgcs(), "gw1")
            #expect(fabric.storedLoadBalancer?.rules.count == 1)
            #expect(fabric.storedLoadBalancer?.probes.count == 1)
        }
    }
}

/// The LB controller (with the others) over ARM: `AzureGatewayFabric` against the ARMEmulator, whose request log
/// shows what was written.
@Suite("GatewayLBConfiguration controller over ARM")
struct LoadBalancerOverARMTests {
    /// The load balancer writes (PUT, DELETE) in the request log.
    static func loadBalancerWrites(_ emulator: ARMEmulator) -> [ARMEmulator.RequestRecord] {
        emulator.requestLog.filter { $0.kind == .loadBalancer && $0.isWrite }
    }

    /// Creates the SGCs `names` on the pool `gwpool` and waits until all are Ready.
    static func provision(_ harness: OperatorHarness, _ names: [String]) async throws {
        for name in names {
            _ = try await harness.sgcs().create(sgc(name, spec: .init(gatewayNodepoolName: "gwpool")))
        }
        for name in names {
            _ = try await harness.eventually(harness.sgcs(), name) { $0.status.readyCondition?.status == .true }
        }
    }

    @Test("ten SGCs on one pool deleted together cost at most two load balancer writes and leave nothing behind")
    func deletionIsBatched() async throws {
        try await AzureFabricTests.with { harness, emulator, _ in
            let names = (0..<10).map { "gw\($0)" }
            try await Self.provision(harness, names)
            emulator.clearRequestLog()
            for name in names { _ = try await harness.sgcs().delete(name) }
            try await harness.expectAllGone(names)
            let writes = Self.loadBalancerWrites(emulator)
            #expect(!writes.isEmpty && writes.count <= 2, "\(writes)")
            #expect(emulator.resources(.loadBalancer).isEmpty)
            #expect(AzureFootprint(emulator).leftovers.isEmpty, "\(AzureFootprint(emulator).leftovers)")
        }
    }
}

/// Polls `condition` (test side only) until it holds; the test timeout bounds the wait.
func waitUntil(_ condition: @Sendable () async throws -> Bool) async throws {
    while try await !condition() {
        try await Task.sleep(for: .milliseconds(20))
    }
}
