import ARMEmulator
import EgressGatewayAPI
import Kube
import Operator
import Testing

/// An SGC whose spec moves to another gateway pool (spec §8.2 item 10: Go leaves the old pool's ipconfigs, which
/// hold the prefix's addresses, and the old frontend and backend behind).
@Suite("Operator: an SGC moved to another gateway pool")
struct PoolMoveTests {
    static let otherScaleSet = "aks-gwpool2-12345678-vmss"
    static let seed = AzureFabricTests.seed(gatewayScaleSets: [
        "{name: \(AzureFabricTests.scaleSet), pool: gwpool, gatewayPrefixLength: 31, subnet: aks-vnet/aks-subnet, instances: 2}",
        "{name: \(otherScaleSet), pool: gwpool2, gatewayPrefixLength: 31, subnet: aks-vnet/aks-subnet, instances: 2}",
    ])

    /// Names of the ipconfigs on the primary NIC of `scaleSet`'s model and of each of its instances.
    static func ipConfigurations(_ emulator: ARMEmulator, of scaleSet: String) -> [[String]] {
        func names(_ nics: ARMValue?) -> [String] {
            nics?.arrayValue?.first?["properties"]?["ipConfigurations"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? []
        }
        let model = emulator.resources(.scaleSet).first { $0["name"]?.stringValue == scaleSet }
        let instances = emulator.resources(.scaleSetVM).filter { ($0["id"]?.stringValue ?? "").contains("/\(scaleSet)/") }
        return [names(model?[path: "properties", "virtualMachineProfile", "networkProfile", "networkInterfaceConfigurations"])]
            + instances.map { names($0[path: "properties", "networkProfileConfiguration", "networkInterfaceConfigurations"]) }
    }

    static func uniqueID(_ emulator: ARMEmulator, of scaleSet: String) throws -> String {
        try #require(emulator.resources(.scaleSet).first { $0["name"]?.stringValue == scaleSet }?[path: "properties", "uniqueId"]?
            .stringValue)
    }

    @Test("the old pool loses the ipconfigs, the LB its old frontend and backend; the new pool gets the prefix's addresses")
    func movedToAnotherPool() async throws {
        try await AzureFabricTests.with(seed: Self.seed) { harness, emulator, _ in
            _ = try await harness.sgcs().create(sgc("gw1", spec: .init(gatewayNodepoolName: "gwpool")))
            let first = try await harness.eventually(harness.sgcs(), "gw1") { $0.status.readyCondition?.status == .true }
            let vm = try await harness.vmConfigurations().get("gw1")
            let ipconfig = EgressGateway.managedResourceName(gatewayVMConfigurationUID: vm.metadata.uid)
            let oldPool = try Self.uniqueID(emulator, of: AzureFabricTests.scaleSet)
            let newPool = try Self.uniqueID(emulator, of: Self.otherScaleSet)
            #expect(Self.ipConfigurations(emulator, of: AzureFabricTests.scaleSet).allSatisfy { $0.contains(ipconfig) })

            try await harness.update(harness.sgcs(), "gw1") { $0.spec.gatewayNodepoolName = "gwpool2" }
            try await waitUntil {
                Self.ipConfigurations(emulator, of: Self.otherScaleSet).allSatisfy { $0.contains(ipconfig) }
                    && Self.ipConfigurations(emulator, of: AzureFabricTests.scaleSet).allSatisfy { !$0.contains(ipconfig) }
                    && AzureFabricTests.loadBalancerChildren(emulator, "frontendIPConfigurations") == [newPool]
                    && AzureFabricTests.loadBalancerChildren(emulator, "backendAddressPools") == [newPool]
            }
            let moved = try await harness.eventually(harness.sgcs(), "gw1") {
                $0.status.readyCondition?.status == .true && $0.status.egressIpPrefix == first.status.egressIpPrefix
            }
            #expect(!oldPool.isEmpty && moved.status.gatewayServerProfile.port == 6000)
            let recorded = try await harness.vmConfigurations().get("gw1")
                .metadata.annotations[GatewayVMConfigurationReconciler.poolAnnotation]
            #expect(recorded == "vmss/\(AzureFabricTests.group)/\(Self.otherScaleSet)")

            _ = try await harness.sgcs().delete("gw1")
            try await harness.eventuallyGone(harness.vmConfigurations(), "gw1")
            #expect(Self.ipConfigurations(emulator, of: Self.otherScaleSet).allSatisfy { !$0.contains(ipconfig) })
            #expect(emulator.resources(.publicIPPrefix).isEmpty)
        }
    }
}
