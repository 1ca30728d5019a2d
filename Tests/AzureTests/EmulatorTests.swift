import ARMEmulator
import Foundation
import Testing
@testable import Azure

/// The typed operations against the ARM emulator: real ARM semantics (ETags, long-running operations, the
/// Compute merge of scale-set models into instances) over HTTP.
@Suite("ARM typed operations against the emulator")
struct EmulatorTests {
    static let group = EmulatedFabric.group
    static let groupPath = EmulatedFabric.groupPath
    static let subnetID = EmulatedFabric.subnetID
    static let scaleSetName = EmulatedFabric.scaleSetName

    static func with(_ body: @Sendable (ARMClient, ARMEmulator) async throws -> Void) async throws {
        try await EmulatedFabric.with({ $0.operationPolls = 2 }) { fabric in try await body(try fabric.client(), fabric.emulator) }
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

    /// What the emulator received in the last `method` request whose path ends with `suffix`, as the client's JSON type.
    static func sent(_ emulator: ARMEmulator, _ method: String, _ suffix: String) throws -> (body: AzureJSON?, ifMatch: String?) {
        let record = try #require(emulator.requestLog.last { $0.method == method && $0.path.hasSuffix(suffix) })
        return (try record.body.map { try AzureJSON(parsing: $0.jsonBytes) }, record.ifMatch)
    }

    @Test("scale set and instances: list, read, the §4.5 partial bodies on the wire with If-Match, instance NICs")
    func scaleSetPartialBodies() async throws {
        try await EmulatedFabric.with(instances: 2) { fabric in
            let arm = try fabric.client()
            let name = "egressgateway-uid2"
            let scaleSets = try await arm.virtualMachineScaleSets(resourceGroup: Self.group)
            #expect(scaleSets.map(\.name) == [Self.scaleSetName])
            var vmss = try await arm.virtualMachineScaleSet(resourceGroup: Self.group, name: Self.scaleSetName)
            var profile = try #require(vmss.networkProfile)
            profile.networkInterfaceConfigurations[0].ipConfigurations.append(
                VMSSIPConfiguration(name: name, subnetID: Self.subnetID, publicIPPrefixID: nil))
            vmss.networkProfile = profile
            _ = try await arm.updateNetworkProfile(of: vmss, resourceGroup: Self.group)
            let model = try Self.sent(fabric.emulator, "PUT", Self.scaleSetName)
            #expect(model.body == vmss.networkProfileUpdate())
            #expect(model.ifMatch != nil && model.ifMatch == vmss.etag)

            let instances = try await arm.virtualMachineScaleSetVMs(resourceGroup: Self.group, scaleSet: Self.scaleSetName)
            #expect(instances.count == 2)
            for var instance in instances {
                let id = try #require(instance.instanceID)
                // The model change reaches an instance only when the instance is updated.
                let before = try await arm.virtualMachineScaleSetVMNetworkInterface(
                    resourceGroup: Self.group, scaleSet: Self.scaleSetName, instanceID: id, name: Self.scaleSetName)
                #expect(before.ipConfigurations.map(\.name) == ["ipconfig1"])
                var configurations = try #require(instance.networkInterfaceConfigurations)
                configurations[0].ipConfigurations.append(VMSSIPConfiguration(name: name, subnetID: Self.subnetID, publicIPPrefixID: nil))
                instance.networkInterfaceConfigurations = configurations
                _ = try await arm.updateNetworkConfiguration(of: instance, resourceGroup: Self.group, scaleSet: Self.scaleSetName)
                let update = try Self.sent(fabric.emulator, "PUT", "/virtualMachines/\(id)")
                #expect(update.body == instance.networkConfigurationUpdate())
                #expect(update.ifMatch != nil && update.ifMatch == instance.etag)
                let after = try await arm.virtualMachineScaleSetVMNetworkInterface(
                    resourceGroup: Self.group, scaleSet: Self.scaleSetName, instanceID: id, name: Self.scaleSetName)
                #expect(after.primaryIPAddress?.isEmpty == false)
                #expect(after.ipConfigurations.first { $0.name == name }?.privateIPAddress?.isEmpty == false)
            }
        }
    }

    @Test("VM pool: VMs and NICs listed and read, a secondary ipconfig with a public IP from a prefix, then cleaned up")
    func vmPool() async throws {
        try await EmulatedFabric.with { fabric in
            let arm = try fabric.client()
            let nicName = EmulatedFabric.vmName + "-nic"
            #expect(try await arm.virtualMachines(resourceGroup: Self.group).map(\.name) == [EmulatedFabric.vmName])
            let vm = try await arm.virtualMachine(resourceGroup: Self.group, name: EmulatedFabric.vmName)
            #expect(vm.tags["aks-managed-poolName"] == "vmpool")
            #expect(try await arm.networkInterfaces(resourceGroup: Self.group).map(\.name) == [nicName])

            let prefix = try await arm.createOrUpdate(
                PublicIPPrefix(name: "egressgateway-uid3", location: "eastus", prefixLength: 31), resourceGroup: Self.group)
            #expect(try await arm.publicIPPrefix(resourceGroup: Self.group, name: "egressgateway-uid3").ipPrefix == prefix.ipPrefix)
            let pipName = "egressgateway-uid3-\(EmulatedFabric.vmName)"
            let pip = try await arm.createOrUpdate(
                PublicIPAddress(name: pipName, location: "eastus", publicIPPrefixID: prefix.id ?? ""), resourceGroup: Self.group)
            #expect(pip.ipAddress?.isEmpty == false)
            let readBack = try await arm.publicIPAddress(resourceGroup: Self.group, name: pipName)
            #expect(readBack.ipAddress == pip.ipAddress)
            #expect(readBack.publicIPPrefixID?.lowercased() == prefix.id?.lowercased())

            var nic = try await arm.networkInterface(resourceGroup: Self.group, name: nicName)
            nic.ipConfigurations.append(NICIPConfiguration(
                name: "egressgateway-uid3", subnetID: Self.subnetID, publicIPAddress: PublicIPAddress(json: ["id": .string(pip.id ?? "")])))
            let updated = try await arm.createOrUpdate(nic, resourceGroup: Self.group)
            #expect(try Self.sent(fabric.emulator, "PUT", nicName).ifMatch == nic.etag)
            let secondary = try #require(updated.ipConfigurations.first { $0.name == "egressgateway-uid3" })
            #expect(secondary.privateIPAddress?.hasPrefix("10.224.") == true)
            #expect(secondary.publicIPAddress?.id?.lowercased() == pip.id?.lowercased())

            // Referential integrity: the address holds the prefix, the NIC holds the address.
            let prefixInUse = await #expect(throws: Azure.ARMError.self) {
                try await arm.deletePublicIPPrefix(resourceGroup: Self.group, name: "egressgateway-uid3")
            }
            #expect(prefixInUse?.code == "InUsePublicIpPrefixCannotBeDeleted")
            let addressInUse = await #expect(throws: Azure.ARMError.self) {
                try await arm.deletePublicIPAddress(resourceGroup: Self.group, name: pipName)
            }
            #expect(addressInUse?.code == "PublicIPAddressCannotBeDeleted")

            var detached = try await arm.networkInterface(resourceGroup: Self.group, name: nicName)
            detached.ipConfigurations.removeAll { $0.name == "egressgateway-uid3" }
            _ = try await arm.createOrUpdate(detached, resourceGroup: Self.group)
            try await arm.deletePublicIPAddress(resourceGroup: Self.group, name: pipName)
            try await arm.deletePublicIPPrefix(resourceGroup: Self.group, name: "egressgateway-uid3")
            let gone = await #expect(throws: Azure.ARMError.self) { try await arm.publicIPAddress(resourceGroup: Self.group, name: pipName) }
            #expect(gone?.isNotFound == true)
        }
    }
}
