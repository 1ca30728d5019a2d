import ARMEmulator
import EgressGatewayAPI
import HTTPClient
import Kube
import Operator
import Testing

/// The LB controller (with the others) on the KubeEmulator and over ARM: `AzureGatewayFabric` against the
/// ARMEmulator, whose request log shows what was written and whose scripted faults make one kind of request fail
/// (spec §3 and §8.1 items 8–13).
@Suite("GatewayLBConfiguration controller")
struct LoadBalancerControllerTests {
    static let lbID = ResourceID(subscription: AzureFabricTests.subscription, resourceGroup: AzureFabricTests.group,
                                 kind: .loadBalancer, names: ["kubeegressgateway-ilb"])
    static let scaleSetID = ResourceID(subscription: AzureFabricTests.subscription, resourceGroup: AzureFabricTests.group,
                                       kind: .scaleSet, names: [AzureFabricTests.scaleSet])

    /// How the load balancer's requests end, for faults aimed at them.
    static let lbPath = "/providers/Microsoft.Network/loadBalancers/kubeegressgateway-ilb"

    /// The load balancer writes (PUT, DELETE) in the request log.
    static func loadBalancerWrites(_ emulator: ARMEmulator) -> [ARMEmulator.RequestRecord] {
        emulator.requestLog.filter { $0.kind == .loadBalancer && $0.isWrite }
    }

    static func uniqueID(_ emulator: ARMEmulator) throws -> String {
        try #require(emulator.resource(scaleSetID)?[path: "properties", "uniqueId"]?.stringValue)
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

    // MARK: Provisioning

    @Test("SGC → LB frontend, backend, rule 6000 and probe → VM configuration; its prefix reaches the SGC")
    func provisionsThroughTheChain() async throws {
        try await AzureFabricTests.with { harness, emulator, _ in
            let created = try await harness.sgcs().create(sgc("gw1", spec: .init(gatewayNodepoolName: "GWPool")))
            let vm = try await harness.eventually(harness.vmConfigurations(), "gw1") { _ in true }
            let lbConfiguration = try await harness.lbConfigurations().get("gw1")
            #expect(vm.metadata.controllerReference?.uid == lbConfiguration.metadata.uid)
            #expect(vm.spec.gatewayNodepoolName == "GWPool")
            #expect(lbConfiguration.metadata.finalizers == ["gateway-lb-configuration-controller.microsoft.com"])
            let ready = try await harness.eventually(harness.sgcs(), "gw1") { $0.status.readyCondition?.status == .true }

            let uniqueID = try Self.uniqueID(emulator)
            let lb = try #require(emulator.resource(Self.lbID))
            #expect(AzureFabricTests.loadBalancerChildren(emulator, "frontendIPConfigurations") == [uniqueID])
            #expect(AzureFabricTests.loadBalancerChildren(emulator, "backendAddressPools") == [uniqueID])
            #expect(AzureFabricTests.loadBalancerChildren(emulator, "loadBalancingRules") == [lbConfiguration.metadata.uid])
            let rule = lb[path: "properties", "loadBalancingRules"]?.arrayValue?.first
            #expect(rule?[path: "properties", "frontendPort"]?.integerValue == 6000)
            let probe = lb[path: "properties", "probes"]?.arrayValue?.first
            #expect(probe?[path: "properties", "requestPath"]?.stringValue == "/gw/\(created.metadata.uid)")
            let frontendIP = lb[path: "properties", "frontendIPConfigurations"]?.arrayValue?.first?[
                path: "properties", "privateIPAddress"]?.stringValue
            #expect(frontendIP?.isEmpty == false && ready.status.gatewayServerProfile.ip == frontendIP)
            #expect(ready.status.gatewayServerProfile.port == 6000)
            let prefix = emulator.resources(.publicIPPrefix).first?[path: "properties", "ipPrefix"]?.stringValue
            #expect(prefix?.hasSuffix("/31") == true && ready.status.egressIpPrefix == prefix)

            let vmStatus = try #require(try await harness.vmConfigurations().get("gw1").status)
            let gatewayNodes = emulator.resources(.scaleSetVM)
                .filter { ($0["id"]?.stringValue ?? "").contains("/virtualMachineScaleSets/\(AzureFabricTests.scaleSet)/") }
                .compactMap { $0[path: "properties", "osProfile", "computerName"]?.stringValue }
            #expect(gatewayNodes.count == 2 && vmStatus.gatewayVMProfiles.map(\.nodeName).sorted() == gatewayNodes.sorted())
            // One write each: the LB, the prefix, the model, and each of the two instances.
            #expect(emulator.requestLog.filter(\.isWrite).map { "\($0.method) \($0.kind.map { "\($0)" } ?? $0.path)" } == [
                "PUT loadBalancer", "PUT publicIPPrefix", "PUT scaleSet", "PUT scaleSetVM", "PUT scaleSetVM",
            ])
            _ = try await eventuallyEvent(harness, about: "gw1", reason: "ReconcileGatewayLBConfigurationSuccess",
                                          message: "GatewayLBConfiguration reconciled")
        }
    }

    @Test("another reconcile of an unchanged world writes nothing to Azure")
    func noWriteWhenUnchanged() async throws {
        try await AzureFabricTests.with { harness, emulator, _ in
            try await Self.provision(harness, ["gw1"])
            emulator.clearRequestLog()
            let successes = try await harness.events(about: "gw1").first {
                $0.reason == "ReconcileGatewayLBConfigurationSuccess" }?.count ?? 0
            // An edit that changes nothing the LB depends on makes the controllers run again.
            try await harness.update(harness.lbConfigurations(), "gw1") { $0.metadata.annotations["touch"] = "1" }
            try await waitUntil { (try await harness.events(about: "gw1").first {
                $0.reason == "ReconcileGatewayLBConfigurationSuccess" }?.count ?? 0) > successes
                && emulator.requestLog.contains { $0.kind == .loadBalancer && $0.method == "GET" } }
            #expect(emulator.requestLog.filter(\.isWrite).isEmpty, "\(emulator.requestLog.filter(\.isWrite))")
        }
    }

    @Test("two SGCs on one pool share the frontend and take ports 6000 and 6001; deleting both deletes the LB")
    func sharedPoolAndDeletion() async throws {
        try await AzureFabricTests.with { harness, emulator, _ in
            _ = try await harness.sgcs().create(sgc("gw1", spec: .init(gatewayNodepoolName: "gwpool")))
            _ = try await harness.eventually(harness.lbConfigurations(), "gw1") { $0.status?.serverPort == 6000 }
            _ = try await harness.sgcs().create(sgc("gw2", spec: .init(gatewayNodepoolName: "gwpool")))
            _ = try await harness.eventually(harness.lbConfigurations(), "gw2") { $0.status?.serverPort == 6001 }
            #expect(AzureFabricTests.loadBalancerChildren(emulator, "frontendIPConfigurations").count == 1)

            _ = try await harness.sgcs().delete("gw1")
            try await harness.expectAllGone(["gw1"])
            #expect(AzureFabricTests.loadBalancerChildren(emulator, "loadBalancingRules").count == 1)
            #expect(AzureFabricTests.loadBalancerChildren(emulator, "frontendIPConfigurations").count == 1)
            _ = try await harness.sgcs().delete("gw2")
            try await harness.expectAllGone(["gw2"])
            #expect(emulator.resources(.loadBalancer).isEmpty)
            #expect(Self.loadBalancerWrites(emulator).last?.method == "DELETE")
        }
    }

    /// Go resolves the pool during deletion and keeps the finalizer forever once it is gone (spec §8.2 item 12).
    @Test("deletion after the gateway pool vanished removes the rule and probe, warns, and releases")
    func poolGoneDoesNotHoldTheFinalizer() async throws {
        try await AzureFabricTests.with { harness, emulator, url in
            try await Self.provision(harness, ["gw1", "gw2"])
            // The pool's scale set is deleted, its instances (and their public IPs) with it.
            let deleted = try await HTTPClient(configuration: .init(proxy: .none)).execute(HTTPRequest(
                method: .delete, url: url + Self.scaleSetID.path + "?api-version=2025-04-01"))
            #expect(deleted.status == 200 && emulator.resource(Self.scaleSetID) == nil)
            _ = try await harness.sgcs().delete("gw1")
            try await harness.expectAllGone(["gw1"])
            #expect(AzureFabricTests.loadBalancerChildren(emulator, "loadBalancingRules").count == 1)
            #expect(AzureFabricTests.loadBalancerChildren(emulator, "probes").count == 1)
            let warning = try await eventuallyEvent(harness, about: "gw1", reason: "EnsureDeleteGatewayLBConfigurationError")
            #expect(warning.message
                == "gateway agent pool not found (gatewayNodepoolName gwpool); removing the rule and probe only")
        }
    }

    // MARK: Deletion (item 13, and batching)

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

    @Test("a VM configuration that still exists is deleted first and the LB is left alone; then the LB, ours only, is deleted")
    func deletionWaitsForTheVMConfiguration() async throws {
        try await AzureFabricTests.with { harness, emulator, _ in
            try await Self.provision(harness, ["gw1"])
            let lbConfiguration = try await harness.lbConfigurations().get("gw1")
            // The test's own finalizer keeps the VM configuration after the operator has released it.
            let hold = "test.egressgw.io/hold"
            try await harness.update(harness.vmConfigurations(), "gw1") { $0.metadata.finalizers.append(hold) }
            emulator.clearRequestLog()
            _ = try await harness.sgcs().delete("gw1")
            // Only the LB controller deletes VM configurations: once this one is released by the VM controller,
            // the LB controller has had its passes over the deletion.
            _ = try await harness.eventually(harness.vmConfigurations(), "gw1") {
                $0.metadata.isBeingDeleted && $0.metadata.finalizers == [hold]
            }
            #expect(Self.loadBalancerWrites(emulator).isEmpty)
            #expect(AzureFabricTests.loadBalancerChildren(emulator, "loadBalancingRules") == [lbConfiguration.metadata.uid])
            #expect(try await harness.lbConfigurations().get("gw1").metadata.finalizers
                == [EgressGateway.Finalizer.gatewayLBConfiguration])

            try await harness.update(harness.vmConfigurations(), "gw1") { $0.metadata.finalizers.removeAll { $0 == hold } }
            try await harness.expectAllGone(["gw1"])
            #expect(Self.loadBalancerWrites(emulator).map(\.method) == ["DELETE"])
            #expect(emulator.resources(.loadBalancer).isEmpty)
        }
    }

    @Test("deletion with a foreign rule on the same frontend is one PUT that keeps the frontend, the backend and that rule")
    func deletionKeepsAForeignRulesPool() async throws {
        try await AzureFabricTests.with { harness, emulator, _ in
            try await Self.provision(harness, ["gw1"])
            var lb = try #require(emulator.resource(Self.lbID))
            var foreign = try #require(lb[path: "properties", "loadBalancingRules"]?.arrayValue?.first)
            foreign["name"] = "foreign"
            foreign["id"] = nil
            foreign[path: "properties", "probe"] = nil
            foreign[path: "properties", "frontendPort"] = .integer(6500)
            foreign[path: "properties", "backendPort"] = .integer(6500)
            lb[path: "properties", "loadBalancingRules"] = .array(
                (lb[path: "properties", "loadBalancingRules"]?.arrayValue ?? []) + [foreign])
            try emulator.create(Self.lbID, lb)
            emulator.clearRequestLog()

            _ = try await harness.sgcs().delete("gw1")
            try await harness.expectAllGone(["gw1"])
            #expect(Self.loadBalancerWrites(emulator).map(\.method) == ["PUT"])
            let uniqueID = try Self.uniqueID(emulator)
            #expect(AzureFabricTests.loadBalancerChildren(emulator, "loadBalancingRules") == ["foreign"])
            #expect(AzureFabricTests.loadBalancerChildren(emulator, "probes").isEmpty)
            #expect(AzureFabricTests.loadBalancerChildren(emulator, "frontendIPConfigurations") == [uniqueID])
            #expect(AzureFabricTests.loadBalancerChildren(emulator, "backendAddressPools") == [uniqueID])
        }
    }

    @Test("a failed LB DELETE keeps the finalizer and is reported; the retry deletes the LB and releases")
    func failedDeleteKeepsTheFinalizer() async throws {
        try await AzureFabricTests.with { harness, emulator, _ in
            try await Self.provision(harness, ["gw1"])
            let refusal = "Cannot delete load balancer kubeegressgateway-ilb since it is in use."
            // Refusals are not retried by the client: each fails one pass, and the passes back off.
            emulator.enqueue(.error(status: 400, code: "LoadBalancerInUse", message: refusal),
                             for: .request(method: "DELETE", pathSuffix: Self.lbPath), count: 6)
            emulator.clearRequestLog()
            _ = try await harness.sgcs().delete("gw1")
            let warning = try await eventuallyEvent(harness, about: "gw1", reason: "EnsureDeleteGatewayLBConfigurationError")
            #expect(warning.type == "Warning")
            #expect(warning.message.hasPrefix("DELETE ") && warning.message.hasSuffix(": 400 LoadBalancerInUse: \(refusal)"),
                    "\(warning.message)")
            #expect(try await harness.lbConfigurations().get("gw1").metadata.finalizers
                == [EgressGateway.Finalizer.gatewayLBConfiguration])

            try await harness.expectAllGone(["gw1"])
            let deletes = Self.loadBalancerWrites(emulator)
            #expect(deletes.map(\.method) == Array(repeating: "DELETE", count: 7))
            #expect(deletes.map(\.status).prefix(6).allSatisfy { $0 == 400 } && deletes.last.map { $0.status < 300 } == true)
            #expect(emulator.resources(.loadBalancer).isEmpty)
        }
    }

    // MARK: Errors and pool lookup (items 11 and 12)

    /// Waits for the LB controller's warning about `name` and for the SGC's Ready condition to carry the same text.
    static func expectReported(_ harness: OperatorHarness, _ name: String, message: @escaping @Sendable (String) -> Bool,
                               sourceLocation: SourceLocation = #_sourceLocation) async throws {
        while try await !harness.events(about: name).contains(where: {
            $0.reason == "ReconcileGatewayLBConfigurationError" && $0.type == "Warning" && message($0.message)
        }) {
            try await Task.sleep(for: .milliseconds(20))
        }
        let sgc = try await harness.eventually(harness.sgcs(), name) {
            $0.status.readyCondition.map { message($0.message) } ?? false
        }
        #expect(sgc.status.readyCondition?.status == .false, sourceLocation: sourceLocation)
        #expect(sgc.status.readyCondition?.reason == "WaitingForLoadBalancer", sourceLocation: sourceLocation)
    }

    @Test("a gateway VMSS without uniqueId gives the Go operator's UID error as the event and the Ready message")
    func scaleSetWithoutUniqueID() async throws {
        try await AzureFabricTests.with { harness, emulator, _ in
            try emulator.create(
                ResourceID(subscription: AzureFabricTests.subscription, resourceGroup: AzureFabricTests.group,
                           kind: .scaleSet, names: ["aks-nouid-12345678-vmss"]),
                ["location": "eastus", "tags": ["aks-managed-poolName": "nouid"], "properties": ["uniqueId": ""]])
            _ = try await harness.sgcs().create(sgc("gw1", spec: .init(gatewayNodepoolName: "nouid")))
            let expected = "gateway node pool does not have UID. gatewayPoolName=nouid, "
                + "vmssName=aks-nouid-12345678-vmss, vmssResourceGroup=\(AzureFabricTests.group)"
            try await Self.expectReported(harness, "gw1") { $0 == expected }
            #expect(emulator.resources(.loadBalancer).isEmpty)
        }
    }

    @Test("an error reading the LB is the event message as ARM worded it, and the next pass recovers")
    func loadBalancerReadErrorIsReportedVerbatim() async throws {
        try await AzureFabricTests.with { harness, emulator, _ in
            let refusal = "The client 'egressgw' does not have authorization to perform action "
                + "'Microsoft.Network/loadBalancers/read'."
            emulator.enqueue(.error(status: 403, code: "AuthorizationFailed", message: refusal),
                             for: .request(method: "GET", pathSuffix: Self.lbPath))
            _ = try await harness.sgcs().create(sgc("gw1", spec: .init(gatewayNodepoolName: "gwpool")))
            let warning = try await eventuallyEvent(harness, about: "gw1", reason: "ReconcileGatewayLBConfigurationError")
            #expect(warning.message.hasPrefix("GET ") && warning.message.contains("/loadBalancers/kubeegressgateway-ilb")
                && warning.message.hasSuffix(": 403 AuthorizationFailed: \(refusal)"), "\(warning.message)")
            _ = try await harness.eventually(harness.sgcs(), "gw1") { $0.status.readyCondition?.status == .true }
        }
    }

    @Test("an error listing the scale sets is the event and the Ready message")
    func scaleSetListErrorPropagates() async throws {
        try await AzureFabricTests.with { harness, emulator, _ in
            let refusal = "The client 'egressgw' does not have authorization to perform action "
                + "'Microsoft.Compute/virtualMachineScaleSets/read'."
            // Every list fails, so that the Ready message stays to be read.
            emulator.enqueue(.error(status: 403, code: "AuthorizationFailed", message: refusal),
                             for: .request(method: "GET", pathSuffix: "/providers/Microsoft.Compute/virtualMachineScaleSets"),
                             count: 1000)
            _ = try await harness.sgcs().create(sgc("gw1", spec: .init(gatewayNodepoolName: "gwpool")))
            try await Self.expectReported(harness, "gw1") {
                $0.hasPrefix("GET ") && $0.contains("/virtualMachineScaleSets")
                    && $0.hasSuffix(": 403 AuthorizationFailed: \(refusal)")
            }
            #expect(emulator.resources(.loadBalancer).isEmpty)
        }
    }

    @Test("a node pool name that tags no VMSS and no VM gives 'gateway agent pool not found'")
    func poolNotFound() async throws {
        try await AzureFabricTests.with { harness, emulator, _ in
            _ = try await harness.sgcs().create(sgc("gw1", spec: .init(gatewayNodepoolName: "nosuchpool")))
            try await Self.expectReported(harness, "gw1") {
                $0 == "gateway agent pool not found (gatewayNodepoolName nosuchpool)"
            }
            #expect(emulator.resources(.loadBalancer).isEmpty)
        }
    }

    @Test("a node pool name that tags VMs only is a VM pool: frontend and backend are named by its UUIDv3")
    func taggedVMIsAVMPool() async throws {
        let seed = AzureFabricTests.seed(gatewayScaleSets: [], virtualMachines: [
            "{name: aks-gwvm-0, pool: gwvm, gatewayPrefixLength: 31, subnet: aks-vnet/aks-subnet}",
        ])
        try await AzureFabricTests.with(seed: seed) { harness, emulator, _ in
            _ = try await harness.sgcs().create(sgc("gw1", spec: .init(gatewayNodepoolName: "gwvm")))
            let lbConfiguration = try await harness.eventually(harness.lbConfigurations(), "gw1") {
                $0.status?.serverPort == 6000
            }
            let poolID = EgressGateway.vmPoolID(nodepoolName: "gwvm")
            #expect(AzureFabricTests.loadBalancerChildren(emulator, "frontendIPConfigurations") == [poolID])
            #expect(AzureFabricTests.loadBalancerChildren(emulator, "backendAddressPools") == [poolID])
            #expect(AzureFabricTests.loadBalancerChildren(emulator, "loadBalancingRules") == [lbConfiguration.metadata.uid])
        }
    }
}

/// Polls `condition` (test side only) until it holds; the test timeout bounds the wait.
func waitUntil(_ condition: @Sendable () async throws -> Bool) async throws {
    while try await !condition() {
        try await Task.sleep(for: .milliseconds(20))
    }
}
