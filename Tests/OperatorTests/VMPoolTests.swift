import ARMEmulator
import EgressGatewayAPI
import Kube
import Operator
import Testing

/// AKS "VirtualMachines" gateway pools (spec §4.6): the operator works on the pool's pre-created NICs, over the
/// ARMEmulator. Each test would fail on the Go behaviour of spec §8.2 that it names.
@Suite("VM-pool gateway NICs over ARM")
struct VMPoolTests {
    static let seed = AzureFabricTests.seed(gatewayScaleSets: [], virtualMachines: [
        "{name: aks-gwvm-0, pool: gwvm, gatewayPrefixLength: 31, subnet: aks-vnet/aks-subnet}",
        "{name: aks-gwvm-1, pool: gwvm, gatewayPrefixLength: 31, subnet: aks-vnet/aks-subnet}",
    ])
    static let nics = ["aks-gwvm-0-nic", "aks-gwvm-1-nic"]

    static func nicID(_ name: String) -> ResourceID {
        ResourceID(subscription: AzureFabricTests.subscription, resourceGroup: AzureFabricTests.group,
                   kind: .networkInterface, names: [name])
    }

    /// How many successful VM passes the events of `sgc` count.
    static func vmPasses(_ harness: OperatorHarness, _ sgc: String) async throws -> Int32 {
        try await harness.events(about: sgc).first { $0.reason == "ReconcileGatewayVMConfigurationSuccess" }?.count ?? 0
    }

    /// Touches the VM configuration `name` and waits for a whole VM pass over it after the touch.
    static func touchAndWaitForPass(_ harness: OperatorHarness, _ emulator: ARMEmulator, _ name: String, _ value: String)
        async throws
    {
        let before = try await vmPasses(harness, name)
        try await harness.update(harness.vmConfigurations(), name) { $0.metadata.annotations["touch"] = value }
        try await waitUntil { try await vmPasses(harness, name) > before }
    }

    @Test("public mode: ipconfig, backend reference and a public IP per NIC; an unchanged world writes nothing; deletion leaves no reference or public IP (Go: §8.2 items 5, 6, 8)")
    func publicModeLifecycle() async throws {
        try await AzureFabricTests.with(seed: Self.seed) { harness, emulator, _ in
            _ = try await harness.sgcs().create(sgc("gw1", spec: .init(gatewayNodepoolName: "gwvm")))
            let ready = try await harness.eventually(harness.sgcs(), "gw1") { $0.status.readyCondition?.status == .true }
            let vm = try await harness.vmConfigurations().get("gw1")
            let ipconfig = "egressgateway-\(vm.metadata.uid)"
            let backendID = AzureFabricTests.cloud.backendID(EgressGateway.vmPoolID(nodepoolName: "gwvm"))
            let footprint = AzureFootprint(emulator)
            for nic in Self.nics {
                let id = try #require(footprint.ipconfigs.keys.first { $0.hasSuffix("/\(nic)") })
                #expect(footprint.ipconfigs[id] == [ipconfig])
                #expect(footprint.backendReferences[id]?.map { $0.lowercased() } == [backendID.lowercased()])
            }
            #expect(footprint.publicIPs == Self.nics.map { EgressGateway.publicIPName(prefixName: ipconfig, nicName: $0) }.sorted())
            #expect(footprint.prefixes == [ipconfig])
            #expect(footprint.frontends == [EgressGateway.vmPoolID(nodepoolName: "gwvm")])
            // VM pools name their nodes after the NICs (spec §1.5).
            #expect(vm.status?.gatewayVMProfiles.map(\.nodeName) == Self.nics)
            #expect(ready.status.egressIpPrefix.hasSuffix("/31"))

            // Go compares the public IP by name, which ARM does not return, and PUTs the public IP every pass.
            emulator.clearRequestLog()
            try await Self.touchAndWaitForPass(harness, emulator, "gw1", "1")
            #expect(emulator.requestLog.contains { $0.kind == .networkInterface && $0.method == "GET" })
            #expect(emulator.requestLog.filter(\.isWrite).isEmpty, "\(emulator.requestLog.filter(\.isWrite))")

            _ = try await harness.sgcs().delete("gw1")
            try await harness.expectAllGone(["gw1"])
            #expect(AzureFootprint(emulator).leftovers.isEmpty, "\(AzureFootprint(emulator).leftovers)")
        }
    }

    @Test("private mode: the NICs' secondary IPs in order; a NIC that leaves the pool leaves the status (Go: §8.2 item 7)")
    func privateModePrunesStatus() async throws {
        try await AzureFabricTests.with(seed: Self.seed) { harness, emulator, _ in
            _ = try await harness.sgcs().create(sgc("gw1", spec: .init(gatewayNodepoolName: "gwvm", provisionPublicIps: false)))
            let ready = try await harness.eventually(harness.sgcs(), "gw1") { $0.status.readyCondition?.status == .true }
            let vm = try await harness.vmConfigurations().get("gw1")
            let profiles = try #require(vm.status?.gatewayVMProfiles)
            #expect(profiles.map(\.nodeName) == Self.nics)
            #expect(ready.status.egressIpPrefix == GatewayIPs.egressList(profiles.map(\.secondaryIP)))
            #expect(AzureFootprint(emulator).publicIPs.isEmpty && AzureFootprint(emulator).prefixes.isEmpty)

            // The second node leaves the gateway pool: its NIC loses the gateway tag.
            var nic = try #require(emulator.resource(Self.nicID(Self.nics[1])))
            nic[path: "tags", "aks-managed-static-gateway-nic"] = nil
            try emulator.create(Self.nicID(Self.nics[1]), nic)
            try await Self.touchAndWaitForPass(harness, emulator, "gw1", "1")
            let pruned = try await harness.eventually(harness.vmConfigurations(), "gw1") {
                $0.status?.gatewayVMProfiles.count == 1
            }
            #expect(pruned.status?.gatewayVMProfiles.map(\.nodeName) == [Self.nics[0]])
            #expect(pruned.status?.egressIpPrefix == profiles[0].secondaryIP)
        }
    }
}
