import ARMEmulator
import EgressGatewayAPI
import Kube
import Operator
import Testing

/// How the VM controller finds a configuration's gateway pool and its prefix length (spec §4.3 step 3, §8.1
/// item 15), one pass at a time over the ARMEmulator. Go's texts are kept where they say enough; ours name the
/// pool and the value besides.
@Suite("VM controller: gateway pool lookup over ARM")
struct VMPoolLookupTests {
    /// The standard gateway pool, pools whose prefix-size tag is missing or unusable, and a VM pool with one.
    static let seed = AzureFabricTests.seed(gatewayScaleSets: [
        "{name: \(AzureFabricTests.scaleSet), pool: gwpool, gatewayPrefixLength: 31, subnet: aks-vnet/aks-subnet, instances: 2}",
        "{name: aks-gwnotag-12345678-vmss, pool: gwnotag, subnet: aks-vnet/aks-subnet, instances: 1}",
        "{name: aks-gwzero-12345678-vmss, pool: gwzero, tags: {aks-managed-gatewayIPPrefixSize: '0'}, subnet: aks-vnet/aks-subnet, instances: 1}",
        "{name: aks-gwword-12345678-vmss, pool: gwword, tags: {aks-managed-gatewayIPPrefixSize: abc}, subnet: aks-vnet/aks-subnet, instances: 1}",
    ], virtualMachines: [
        "{name: aks-gwvmneg-0, pool: gwvmneg, tags: {aks-managed-gatewayIPPrefixSize: '-1'}, subnet: aks-vnet/aks-subnet}",
    ])

    static let scaleSetCollection = "/providers/Microsoft.Compute/virtualMachineScaleSets"

    @Test("a node pool that no VMSS or VM is tagged with fails the pass, naming the pool, and writes nothing to Azure")
    func untaggedPool() async throws {
        try await VMPassFixture.with(seed: Self.seed) { fixture in
            try await fixture.create("gw1", .init(gatewayNodepoolName: "nosuchpool"))
            let message = try await fixture.failingPass("gw1")
            #expect(message == "gateway agent pool not found (gatewayNodepoolName nosuchpool)")
            #expect(try await fixture.events("gw1") == ["Warning ReconcileGatewayVMConfigurationError: \(message)"])
            #expect(fixture.writes.isEmpty, "\(fixture.writes)")
        }
    }

    @Test("a failed VMSS list fails the pass with ARM's answer, which names the collection")
    func scaleSetListError() async throws {
        try await VMPassFixture.with(seed: Self.seed) { fixture in
            try await fixture.create("gw1", .init(gatewayNodepoolName: "gwpool"))
            fixture.refuse("GET", Self.scaleSetCollection)
            let message = try await fixture.failingPass("gw1")
            #expect(message.hasPrefix("GET ") && message.contains("/resourceGroups/\(AzureFabricTests.group)\(Self.scaleSetCollection)"),
                    "\(message)")
            #expect(message.hasSuffix(": 403 AuthorizationFailed: failed"), "\(message)")
            #expect(try await fixture.events("gw1") == ["Warning ReconcileGatewayVMConfigurationError: \(message)"])
            #expect(fixture.writes.isEmpty, "\(fixture.writes)")
        }
    }

    /// Go: `nodepool does not have IP prefix size` and `failed to parse nodepool IP prefix size: 0`, naming
    /// neither the pool nor the tag.
    @Test("a pool's prefix-size tag that is missing or not a positive length fails the pass, naming the pool and the value",
          arguments: [
              ("gwnotag", "nodepool gwnotag does not have IP prefix size"),
              ("gwzero", "failed to parse nodepool gwzero IP prefix size: 0"),
              ("gwword", "failed to parse nodepool gwword IP prefix size: abc"),
              ("gwvmneg", "failed to parse nodepool gwvmneg IP prefix size: -1"),
          ])
    func unusablePrefixSize(pool: String, expected: String) async throws {
        try await VMPassFixture.with(seed: Self.seed) { fixture in
            try await fixture.create("gw1", .init(gatewayNodepoolName: pool))
            let message = try await fixture.failingPass("gw1")
            #expect(message.hasPrefix(expected), "\(message)")
            if expected.hasPrefix("failed to parse") {
                #expect(message.contains("tag aks-managed-gatewayIPPrefixSize"), "\(message)")
            }
            #expect(try await fixture.events("gw1") == ["Warning ReconcileGatewayVMConfigurationError: \(message)"])
            #expect(fixture.emulator.resources(.publicIPPrefix).isEmpty)
            #expect(fixture.writes.isEmpty, "\(fixture.writes)")
        }
    }

    /// Go asks for the tag even in private mode (spec §8.2 item 15), where no prefix is made.
    @Test("private mode needs no prefix-size tag")
    func privateModeWithoutPrefixSize() async throws {
        try await VMPassFixture.with(seed: Self.seed) { fixture in
            try await fixture.create("gw1", .init(gatewayNodepoolName: "gwnotag", provisionPublicIps: false))
            #expect(try await fixture.pass("gw1") == .requeueAfter(.seconds(300)))
            let status = try #require(try await fixture.vmConfiguration("gw1").status)
            #expect(status.gatewayVMProfiles.count == 1)
            #expect(status.egressIpPrefix == status.gatewayVMProfiles.first?.secondaryIP)
        }
    }

    @Test("a pool tagged with prefix size 31 gets a managed /31 prefix")
    func taggedPrefixSize() async throws {
        try await VMPassFixture.with(seed: Self.seed) { fixture in
            let vm = try await fixture.create("gw1", .init(gatewayNodepoolName: "GWPOOL"))
            #expect(try await fixture.pass("gw1") == .requeueAfter(.seconds(300)))
            let put = try #require(fixture.emulator.requestLog.first { $0.method == "PUT" && $0.kind == .publicIPPrefix })
            #expect(put.path.hasSuffix("/egressgateway-\(vm.metadata.uid)"))
            #expect(put.body?[path: "properties", "prefixLength"]?.integerValue == 31)
        }
    }

    static func profile(vmss: String, size: Int32) -> StaticGatewayConfigurationSpec {
        .init(gatewayVmssProfile: GatewayVmssProfile(vmssResourceGroup: AzureFabricTests.group, vmssName: vmss,
                                                     publicIpPrefixSize: size))
    }

    @Test("a VMSS profile: a failed GET of the VMSS fails the pass with ARM's answer, which names the VMSS")
    func profileScaleSetGetError() async throws {
        try await VMPassFixture.with(seed: Self.seed) { fixture in
            try await fixture.create("gw1", Self.profile(vmss: AzureFabricTests.scaleSet, size: 30))
            fixture.refuse("GET", "/virtualMachineScaleSets/\(AzureFabricTests.scaleSet)")
            let message = try await fixture.failingPass("gw1")
            #expect(message.contains("/virtualMachineScaleSets/\(AzureFabricTests.scaleSet)"), "\(message)")
            #expect(message.hasSuffix(": 403 AuthorizationFailed: failed"), "\(message)")
            #expect(try await fixture.events("gw1") == ["Warning ReconcileGatewayVMConfigurationError: \(message)"])
            #expect(fixture.writes.isEmpty, "\(fixture.writes)")
        }
    }

    @Test("a VMSS profile naming no VMSS fails the pass, naming the resource group and the VMSS")
    func profileScaleSetMissing() async throws {
        try await VMPassFixture.with(seed: Self.seed) { fixture in
            try await fixture.create("gw1", Self.profile(vmss: "aks-absent-vmss", size: 30))
            let message = try await fixture.failingPass("gw1")
            #expect(message == "gateway vmss \(AzureFabricTests.group)/aks-absent-vmss not found")
            #expect(fixture.writes.isEmpty, "\(fixture.writes)")
        }
    }

    @Test("a VMSS profile: the pool is that VMSS, and the prefix length is the profile's, not the pool tag's")
    func profileScaleSet() async throws {
        try await VMPassFixture.with(seed: Self.seed) { fixture in
            let vm = try await fixture.create("gw1", Self.profile(vmss: AzureFabricTests.scaleSet, size: 30))
            #expect(try await fixture.pass("gw1") == .requeueAfter(.seconds(300)))
            let put = try #require(fixture.emulator.requestLog.first { $0.method == "PUT" && $0.kind == .publicIPPrefix })
            #expect(put.body?[path: "properties", "prefixLength"]?.integerValue == 30)
            #expect(fixture.ipConfigurations()["egressgateway-\(vm.metadata.uid)"] != nil)
            #expect(try await fixture.vmConfiguration("gw1").status?.egressIpPrefix.hasSuffix("/30") == true)
        }
    }
}
