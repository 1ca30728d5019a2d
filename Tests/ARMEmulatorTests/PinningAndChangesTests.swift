import ARMEmulator
import Foundation
import Testing

/// Seeds that pin instances to given names and addresses, and the change stream observers of the state follow.
@Suite struct PinningAndChangesTests {
    static func seed(pins: [Seed.PinnedInstance]) -> Seed {
        Seed(subscription: Harness.subscription, location: "eastus", resourceGroups: [
            Seed.ResourceGroup(name: Harness.group, virtualNetworks: [
                Seed.VirtualNetwork(name: "aks-vnet", addressPrefixes: ["10.224.0.0/16"],
                                    subnets: [Seed.Subnet(name: "aks-subnet", addressPrefix: "10.224.0.0/16")]),
            ], scaleSets: [
                Seed.ScaleSet(name: "aks-gwpool-12345678-vmss", pool: "gwpool", gatewayPrefixLength: 31,
                              subnet: "aks-vnet/aks-subnet", instances: pins.count, pinnedInstances: pins),
            ]),
        ])
    }

    @Test func pinnedInstancesKeepTheirNameAndPrimaryAddressThroughAnInstanceUpdate() async throws {
        let arm = ARMEmulator()
        let nodes = try arm.apply(Self.seed(pins: [
            .init(computerName: "gateway-0", primaryIP: "10.224.1.4"), .init(primaryIP: "10.224.1.5"),
        ]))
        #expect(nodes.map(\.name) == ["gateway-0", "aks-gwpool-12345678-vmss000001"])
        #expect(nodes.map(\.primaryIP) == ["10.224.1.4", "10.224.1.5"])
        let nic = try #require(arm.resources(.scaleSetNIC).first)
        #expect(nic[path: "properties", "ipConfigurations"]?.arrayValue?.first?[path: "properties", "privateIPAddress"] == "10.224.1.4")

        // An instance update that adds a secondary ipconfig keeps the pinned primary and takes the lowest free address.
        let server = try await arm.start()
        let harness = Harness(emulator: arm, server: server, client: try .init(configuration: .init(proxy: .none)))
        defer { Task { await server.stop() } }
        let instancePath = "\(Harness.groupPath)/providers/Microsoft.Compute/virtualMachineScaleSets/aks-gwpool-12345678-vmss/virtualMachines/0"
        let subnet = Harness.subnetID
        let updated = try await harness.put(instancePath, [
            "properties": ["networkProfileConfiguration": ["networkInterfaceConfigurations": [[
                "name": "aks-gwpool-12345678-vmss",
                "properties": ["primary": true, "ipConfigurations": [
                    ["name": "ipconfig1", "properties": ["primary": true, "subnet": ["id": .string(subnet)]]],
                    ["name": "egressgateway-x", "properties": ["primary": false, "subnet": ["id": .string(subnet)]]],
                ]],
            ]]]],
        ], api: Harness.compute)
        #expect(updated.status == 200)
        #expect(updated["properties", "osProfile", "computerName"] == "gateway-0")
        let addresses = arm.resources(.scaleSetNIC).first?[path: "properties", "ipConfigurations"]?.arrayValue?
            .compactMap { $0[path: "properties", "privateIPAddress"]?.stringValue }
        #expect(addresses == ["10.224.1.4", "10.224.0.4"])
    }

    @Test func aPinOutsideTheSubnetOrTakenIsRefusedNamingTheInstance() throws {
        #expect(throws: SeedError.self) { try ARMEmulator().apply(Self.seed(pins: [.init(primaryIP: "10.225.0.4")])) }
        #expect(throws: SeedError.self) {
            try ARMEmulator().apply(Self.seed(pins: [.init(primaryIP: "10.224.1.4"), .init(primaryIP: "10.224.1.4")]))
        }
        var wrongCount = Self.seed(pins: [.init(primaryIP: "10.224.1.4")])
        wrongCount.resourceGroups[0].scaleSets?[0].instances = 2
        #expect(throws: SeedError.invalid(field: "resourceGroups[0].scaleSets[0].pinnedInstances", value: "1",
                                          reason: "needs one entry per instance (2)")) {
            try ARMEmulator().apply(wrongCount)
        }
    }

    @Test func observersHearOfWrites() async throws {
        try await Harness.with { harness in
            var changes = harness.emulator.changes().makeAsyncIterator()
            try await harness.get(Harness.scaleSetPath, api: Harness.compute)
            let put = try await harness.put(Harness.network("publicIPPrefixes", "p"), [
                "location": "eastus", "properties": ["prefixLength": 31],
            ])
            #expect(put.status == 200 || put.status == 201)
            // One element, whatever number of changes came before the read (the buffer keeps the newest).
            #expect(await changes.next() != nil)
            harness.emulator.setProvisioningState("Failed", of: ResourceID(Harness.scaleSetPath + "/virtualMachines/0")!)
            #expect(await changes.next() != nil)
        }
    }
}
