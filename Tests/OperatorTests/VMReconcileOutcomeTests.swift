import ARMEmulator
import EgressGatewayAPI
import Kube
import Operator
import Testing

/// What one VM-controller pass returns and reports (spec §4.3, §8.1 item 20): the finalizer, the egress prefix
/// and the 5-minute drift requeue on success; on a failure at any ARM call, a Warning on the SGC carrying the
/// error, which names the resource, and the same text in `Ready`.
@Suite("VM controller: pass outcome and events over ARM")
struct VMReconcileOutcomeTests {
    @Test("a successful pass adds the finalizer, sets egressIpPrefix to the managed /31 and requeues after 5 minutes")
    func success() async throws {
        try await VMPassFixture.with { fixture in
            let created = try await fixture.create("gw1", .init(gatewayNodepoolName: "gwpool"))
            #expect(!created.metadata.hasFinalizer(EgressGateway.Finalizer.gatewayVMConfiguration))
            #expect(try await fixture.pass("gw1") == .requeueAfter(.seconds(300)))
            let vm = try await fixture.vmConfiguration("gw1")
            #expect(vm.metadata.finalizers == [EgressGateway.Finalizer.gatewayVMConfiguration])
            let prefix = try #require(fixture.emulator.resources(.publicIPPrefix).first)
            #expect(prefix["name"]?.stringValue == "egressgateway-\(vm.metadata.uid)")
            let cidr = try #require(prefix[path: "properties", "ipPrefix"]?.stringValue)
            #expect(cidr.hasSuffix("/31") && vm.status?.egressIpPrefix == cidr)
            #expect(vm.status?.readyCondition?.status == .true)
            #expect(try await fixture.events("gw1")
                == ["Normal ReconcileGatewayVMConfigurationSuccess: GatewayVMConfiguration reconciled"])
        }
    }

    /// One ARM call of a pass, in pass order; `{uid}` stands for the VM configuration's UID.
    struct Stage: Sendable, CustomTestStringConvertible {
        var name: String
        var method: String
        var pathSuffix: String
        var testDescription: String { name }
    }

    static let scaleSet = AzureFabricTests.scaleSet
    static let stages = [
        Stage(name: "VMSS list", method: "GET", pathSuffix: "/providers/Microsoft.Compute/virtualMachineScaleSets"),
        Stage(name: "managed prefix GET", method: "GET", pathSuffix: "/publicIPPrefixes/egressgateway-{uid}"),
        Stage(name: "managed prefix PUT", method: "PUT", pathSuffix: "/publicIPPrefixes/egressgateway-{uid}"),
        Stage(name: "VMSS model GET", method: "GET", pathSuffix: "/virtualMachineScaleSets/\(scaleSet)"),
        Stage(name: "VMSS model PUT", method: "PUT", pathSuffix: "/virtualMachineScaleSets/\(scaleSet)"),
        Stage(name: "instance list", method: "GET", pathSuffix: "/virtualMachineScaleSets/\(scaleSet)/virtualMachines"),
        Stage(name: "instance NIC GET", method: "GET", pathSuffix: "/virtualMachines/0/networkInterfaces/\(scaleSet)"),
        Stage(name: "instance PUT", method: "PUT", pathSuffix: "/virtualMachineScaleSets/\(scaleSet)/virtualMachines/0"),
    ]

    @Test("a failure at any ARM call of the pass: a Warning on the SGC and Ready carry the error, which names the resource",
          arguments: stages)
    func failureStage(_ stage: Stage) async throws {
        try await VMPassFixture.with { fixture in
            let vm = try await fixture.create("gw1", .init(gatewayNodepoolName: "gwpool"))
            let path = stage.pathSuffix.replacingOccurrences(of: "{uid}", with: vm.metadata.uid)
            fixture.refuse(stage.method, path)
            let message = try await fixture.failingPass("gw1")
            #expect(message.hasPrefix("\(stage.method) ") && message.contains(path + "?"), "\(message)")
            #expect(message.hasSuffix(": 403 AuthorizationFailed: failed"), "\(message)")
            #expect(try await fixture.events("gw1") == ["Warning ReconcileGatewayVMConfigurationError: \(message)"])
            let ready = try #require(try await fixture.vmConfiguration("gw1").status?.readyCondition)
            #expect(ready.status == .false && ready.message == message)
        }
    }
}
