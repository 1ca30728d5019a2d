import ARMEmulator
import Foundation
import Testing
@testable import Azure

/// The typed operations against the ARM emulator: real ARM semantics (ETags, long-running operations, the
/// Compute merge of scale-set models into instances) over HTTP.
@Suite("ARM typed operations against the emulator")
struct EmulatorTests {
    static let subscription = "sub"
    static let group = "MC_rg_cluster_eastus"
    static var groupPath: String { "/subscriptions/\(subscription)/resourceGroups/\(group)" }
    static var subnetID: String { "\(groupPath)/providers/Microsoft.Network/virtualNetworks/aks-vnet/subnets/aks-subnet" }
    static let scaleSetName = "aks-gw-12345678-vmss"

    static func with(_ body: @Sendable (ARMClient, ARMEmulator) async throws -> Void) async throws {
        var configuration = ARMEmulator.Configuration()
        configuration.operationPolls = 2
        let emulator = ARMEmulator(configuration: configuration)
        emulator.addResourceGroup(subscription: subscription, name: group, location: "eastus")
        try emulator.create(ResourceID("\(groupPath)/providers/Microsoft.Network/virtualNetworks/aks-vnet")!, [
            "location": "eastus",
            "properties": [
                "addressSpace": ["addressPrefixes": ["10.224.0.0/12"]],
                "subnets": [["name": "aks-subnet", "properties": ["addressPrefix": "10.224.0.0/16"]]],
            ],
        ])
        let scaleSet = ResourceID("\(groupPath)/providers/Microsoft.Compute/virtualMachineScaleSets/\(scaleSetName)")!
        try emulator.create(scaleSet, [
            "location": "eastus",
            "sku": ["name": "Standard_D2s_v3", "capacity": 1],
            "properties": [
                "orchestrationMode": "Uniform",
                "virtualMachineProfile": [
                    "osProfile": ["computerNamePrefix": .string(scaleSetName), "adminUsername": "azureuser"],
                    "networkProfile": ["networkInterfaceConfigurations": [[
                        "name": .string(scaleSetName),
                        "properties": [
                            "primary": true, "enableIPForwarding": true,
                            "ipConfigurations": [["name": "ipconfig1", "properties": ["primary": true, "subnet": ["id": .string(subnetID)]]]],
                        ],
                    ]]],
                ],
            ],
        ])
        _ = try emulator.addInstances(to: scaleSet, count: 1)
        let server = try await emulator.start()
        do {
            try await body(try ARMClient.local(server.url), emulator)
            await server.stop()
        } catch {
            await server.stop()
            throw error
        }
    }

    @Test("VMSS: add a secondary ipconfig to model and instance, read its IP, remove it; unknown members survive")
    func scaleSetRoundTrip() async throws {
        try await Self.with { arm, _ in
            let name = "egressgateway-uid1"
            var vmss = try await arm.virtualMachineScaleSet(resourceGroup: Self.group, name: Self.scaleSetName)
            var profile = try #require(vmss.networkProfile)
            profile.networkInterfaceConfigurations[0].ipConfigurations.append(
                VMSSIPConfiguration(name: name, subnetID: Self.subnetID, publicIPPrefixID: nil))
            vmss.networkProfile = profile
            let updated = try await arm.updateNetworkProfile(of: vmss, resourceGroup: Self.group)
            let nic = try #require(updated.networkProfile?.networkInterfaceConfigurations.first)
            #expect(nic.ipConfigurations.map(\.name) == ["ipconfig1", name])
            #expect(nic.json["properties"]?["enableIPForwarding"] == true)
            #expect(updated.json["properties"]?["orchestrationMode"] == "Uniform")
            #expect(updated.json["properties"]?["virtualMachineProfile"]?["osProfile"]?["adminUsername"] == "azureuser")

            var instance = try #require(try await arm.virtualMachineScaleSetVMs(resourceGroup: Self.group, scaleSet: Self.scaleSetName).first)
            var configurations = try #require(instance.networkInterfaceConfigurations)
            configurations[0].ipConfigurations.append(VMSSIPConfiguration(name: name, subnetID: Self.subnetID, publicIPPrefixID: nil))
            instance.networkInterfaceConfigurations = configurations
            _ = try await arm.updateNetworkConfiguration(of: instance, resourceGroup: Self.group, scaleSet: Self.scaleSetName)
            let instanceNIC = try await arm.virtualMachineScaleSetVMNetworkInterface(
                resourceGroup: Self.group, scaleSet: Self.scaleSetName, instanceID: instance.instanceID ?? "", name: Self.scaleSetName)
            #expect(instanceNIC.primaryIPAddress?.isEmpty == false)
            #expect(instanceNIC.ipConfigurations.first { $0.name == name }?.privateIPAddress?.isEmpty == false)

            var again = try await arm.virtualMachineScaleSet(resourceGroup: Self.group, name: Self.scaleSetName)
            var cleaned = try #require(again.networkProfile)
            cleaned.networkInterfaceConfigurations[0].ipConfigurations.removeAll { $0.name == name }
            again.networkProfile = cleaned
            let removed = try await arm.updateNetworkProfile(of: again, resourceGroup: Self.group)
            #expect(removed.networkProfile?.networkInterfaceConfigurations.first?.ipConfigurations.map(\.name) == ["ipconfig1"])
        }
    }

    @Test("a PUT from a stale read is refused with 412, not applied")
    func staleETag() async throws {
        try await Self.with { arm, _ in
            let created = try await arm.createOrUpdate(LoadBalancer(name: "kubeegressgateway-ilb", location: "eastus"), resourceGroup: Self.group)
            var first = created
            first.backendAddressPools = [BackendAddressPool(name: "pool-a")]
            _ = try await arm.createOrUpdate(first, resourceGroup: Self.group)
            var stale = created
            stale.backendAddressPools = [BackendAddressPool(name: "pool-b")]
            let error = await #expect(throws: Azure.ARMError.self) { try await arm.createOrUpdate(stale, resourceGroup: Self.group) }
            guard case .preconditionFailed = error else { Issue.record("expected 412, got \(String(describing: error))"); return }
            let current = try await arm.loadBalancer(resourceGroup: Self.group, name: "kubeegressgateway-ilb")
            #expect(current.backendAddressPools.map(\.name) == ["pool-a"])
        }
    }

    @Test("load balancer CRUD with a frontend in the subnet, a rule and a probe")
    func loadBalancerCRUD() async throws {
        try await Self.with { arm, _ in
            let subnet = try await arm.subnet(resourceGroup: Self.group, virtualNetwork: "aks-vnet", name: "aks-subnet")
            #expect(subnet.addressPrefix == "10.224.0.0/16")
            let lbID = "\(Self.groupPath)/providers/Microsoft.Network/loadBalancers/kubeegressgateway-ilb"
            var lb = LoadBalancer(name: "kubeegressgateway-ilb", location: "eastus")
            lb.frontendIPConfigurations = [FrontendIPConfiguration(name: "fe", subnetID: subnet.id ?? "")]
            lb.backendAddressPools = [BackendAddressPool(name: "fe")]
            var probe = Probe(name: "uid")
            probe.protocol = "Http"
            probe.port = 8082
            probe.requestPath = "/gw/sgc-uid"
            probe.intervalInSeconds = 5
            probe.numberOfProbes = 1
            lb.probes = [probe]
            var rule = LoadBalancingRule(name: "uid")
            rule.protocol = "Udp"
            rule.frontendPort = 6000
            rule.backendPort = 6000
            rule.enableFloatingIP = true
            rule.frontendIPConfigurationID = lbID + "/frontendIPConfigurations/fe"
            rule.backendAddressPoolID = lbID + "/backendAddressPools/fe"
            rule.probeID = lbID + "/probes/uid"
            lb.loadBalancingRules = [rule]
            let created = try await arm.createOrUpdate(lb, resourceGroup: Self.group)
            #expect(created.frontendIPConfigurations.first?.privateIPAddress?.hasPrefix("10.224.") == true)
            #expect(created.loadBalancingRules.first?.frontendPort == 6000)
            #expect(created.probes.first?.requestPath == "/gw/sgc-uid")
            try await arm.deleteLoadBalancer(resourceGroup: Self.group, name: "kubeegressgateway-ilb")
            let error = await #expect(throws: Azure.ARMError.self) {
                try await arm.loadBalancer(resourceGroup: Self.group, name: "kubeegressgateway-ilb")
            }
            #expect(error?.isNotFound == true)
        }
    }

    @Test("managed prefix: create, read its block, delete")
    func prefix() async throws {
        try await Self.with { arm, _ in
            let created = try await arm.createOrUpdate(
                PublicIPPrefix(name: "egressgateway-uid", location: "eastus", prefixLength: 31), resourceGroup: Self.group)
            #expect(created.prefixLength == 31)
            #expect(created.ipPrefix?.hasSuffix("/31") == true)
            try await arm.deletePublicIPPrefix(resourceGroup: Self.group, name: "egressgateway-uid")
            let error = await #expect(throws: Azure.ARMError.self) { try await arm.publicIPPrefix(resourceGroup: Self.group, name: "egressgateway-uid") }
            #expect(error?.isNotFound == true)
        }
    }
}
