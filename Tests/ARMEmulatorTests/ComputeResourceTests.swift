import ARMEmulator
import Testing

/// Scale sets: Compute's merging PUT of §4.5's partial bodies, instances that change only when updated, and the
/// NICs and public IPs that follow instances.
@Suite struct ComputeResourceTests {
    let instance0 = "\(Harness.scaleSetPath)/virtualMachines/0"
    var nic0: String { "\(instance0)/networkInterfaces/aks-gw-12345678-vmss" }
    let lbPath = Harness.network("loadBalancers", "kubeegressgateway-ilb")

    /// The model's NIC configuration with a secondary `egressgateway-` ipconfig and the backend on the primary.
    func gatewayNICs(prefix: String?) -> ARMValue {
        var secondary: ARMValue = ["name": "egressgateway-uid", "properties": [
            "primary": false, "privateIPAddressVersion": "IPv4", "subnet": ["id": .string(Harness.subnetID)],
        ]]
        if let prefix {
            secondary[path: "properties", "publicIPAddressConfiguration"] = [
                "name": "egressgateway-uid", "properties": ["publicIPPrefix": ["id": .string(prefix)]],
            ]
        }
        return [[
            "name": "aks-gw-12345678-vmss",
            "properties": [
                "primary": true, "enableIPForwarding": true,
                "ipConfigurations": [
                    ["name": "ipconfig1", "properties": [
                        "primary": true, "subnet": ["id": .string(Harness.subnetID)],
                        "loadBalancerBackendAddressPools": [["id": .string("\(lbPath)/backendAddressPools/pool-1")]],
                    ]],
                    secondary,
                ],
            ],
        ]]
    }

    @Test func instancesComeWithComputerNamesNICsAndAddresses() async throws {
        try await Harness.with { arm in
            let (instances, _) = try await arm.listAll("\(Harness.scaleSetPath)/virtualMachines", api: Harness.compute)
            #expect(instances.compactMap { $0[path: "properties", "osProfile", "computerName"]?.stringValue }
                == ["aks-gw-12345678-vmss000000", "aks-gw-12345678-vmss000001"])
            #expect(instances.first?["name"]?.stringValue == "aks-gw-12345678-vmss_0")
            #expect(instances.first?["tags"]?["aks-managed-poolName"]?.stringValue == "gwpool")
            let nic = try await arm.get(nic0, api: Harness.scaleSetNIC)
            #expect(nic["properties", "ipConfigurations"]?.arrayValue?.first?[path: "properties", "privateIPAddress"] == "10.224.0.4")
            let scaleSet = try await arm.get(Harness.scaleSetPath, api: Harness.compute)
            #expect(scaleSet["properties", "uniqueId"]?.stringValue?.count == 36)
            #expect(scaleSet["etag"]?.stringValue == "\"1\"")
        }
    }

    @Test func theModelChangesWithAPartialPutAndReachesAnInstanceOnlyWhenItIsUpdated() async throws {
        try await Harness.with { arm in
            try await arm.put(lbPath, Harness.loadBalancer())
            // §4.5: {location, properties: {virtualMachineProfile: {networkProfile}}}.
            let model = try await arm.put(Harness.scaleSetPath, [
                "location": "eastus",
                "properties": ["virtualMachineProfile": ["networkProfile": ["networkInterfaceConfigurations": gatewayNICs(prefix: nil)]]],
            ], api: Harness.compute)
            #expect(model.status == 200, "\(model)")
            #expect(model["sku", "name"]?.stringValue == "Standard_D2s_v3")
            #expect(model["properties", "virtualMachineProfile", "osProfile", "computerNamePrefix"] != nil)
            #expect(model["properties", "virtualMachineProfile", "networkProfile", "networkInterfaceConfigurations"]?
                .arrayValue?.first?[path: "properties", "ipConfigurations"]?.arrayValue?.count == 2)
            #expect(model["etag"]?.stringValue == "\"2\"")

            let stale = try await arm.get(instance0, api: Harness.compute)
            #expect(stale["properties", "latestModelApplied"] == false)
            #expect(try await arm.get(nic0, api: Harness.scaleSetNIC)["properties", "ipConfigurations"]?.arrayValue?.count == 1)

            // §4.5: {properties: {networkProfileConfiguration: {networkInterfaceConfigurations}}}.
            let updated = try await arm.put(instance0, [
                "properties": ["networkProfileConfiguration": ["networkInterfaceConfigurations": gatewayNICs(prefix: nil)]],
            ], api: Harness.compute)
            #expect(updated.status == 200, "\(updated)")
            #expect(updated["properties", "latestModelApplied"] == true)
            #expect(updated["properties", "osProfile", "computerName"]?.stringValue == "aks-gw-12345678-vmss000000")
            let nic = try await arm.get(nic0, api: Harness.scaleSetNIC)
            let addresses = nic["properties", "ipConfigurations"]?.arrayValue?.compactMap { $0[path: "properties", "privateIPAddress"]?.stringValue }
            // .4 and .5 are the instances' primaries, .6 the LB frontend.
            #expect(addresses == ["10.224.0.4", "10.224.0.7"])
            let pool = try await arm.get(lbPath)["properties", "backendAddressPools"]?.arrayValue?.first
            #expect(pool?[path: "properties", "backendIPConfigurations"]?.arrayValue?.count == 1)
            #expect(try await arm.get("\(Harness.scaleSetPath)/virtualMachines/1", api: Harness.compute)["properties", "latestModelApplied"] == false)
            // The backend pool is in use by the scale set now.
            #expect(try await arm.delete(lbPath).errorCode == "LoadBalancerInUseByVirtualMachineScaleSet")
        }
    }

    @Test func instancePublicIPsComeFromThePrefixAndHoldItUntilRemoved() async throws {
        try await Harness.with { arm in
            try await arm.put(lbPath, Harness.loadBalancer())
            let prefixPath = Harness.network("publicIPPrefixes", "egressgateway-uid")
            try await arm.put(prefixPath, ["location": "eastus", "properties": ["prefixLength": 31]])
            let withPrefix: ARMValue = ["properties": ["networkProfileConfiguration": ["networkInterfaceConfigurations": gatewayNICs(prefix: prefixPath)]]]
            #expect(try await arm.put(instance0, withPrefix, api: Harness.compute).status == 200)
            #expect(try await arm.put("\(Harness.scaleSetPath)/virtualMachines/1", withPrefix, api: Harness.compute).status == 200)
            let nic = try await arm.get(nic0, api: Harness.scaleSetNIC)
            let pipID = try #require(nic["properties", "ipConfigurations"]?.arrayValue?[1][path: "properties", "publicIPAddress", "id"]?.stringValue)
            #expect(pipID == "\(nic0)/ipConfigurations/egressgateway-uid/publicIPAddresses/egressgateway-uid")
            let prefix = try await arm.get(prefixPath)
            #expect(prefix["properties", "publicIPAddresses"]?.arrayValue?.count == 2)
            #expect(try await arm.delete(prefixPath).errorCode == "InUsePublicIpPrefixCannotBeDeleted")
            let full = try await arm.put("\(Harness.scaleSetPath)/virtualMachines/1", withPrefix, api: Harness.compute)
            #expect(full.status == 200, "an unchanged instance keeps its address: \(full)")

            let without: ARMValue = ["properties": ["networkProfileConfiguration": ["networkInterfaceConfigurations": gatewayNICs(prefix: nil)]]]
            try await arm.put(instance0, without, api: Harness.compute)
            try await arm.put("\(Harness.scaleSetPath)/virtualMachines/1", without, api: Harness.compute)
            #expect(try await arm.get(prefixPath)["properties", "publicIPAddresses"] == nil)
            #expect(try await arm.delete(prefixPath).status == 200)
        }
    }

    @Test func badNetworkConfigurationsAreRefusedWithComputeCodes() async throws {
        try await Harness.with { arm in
            var nics = gatewayNICs(prefix: nil)
            // Two primaries on one NIC.
            var configurations = try #require(nics.arrayValue?[0][path: "properties", "ipConfigurations"]?.arrayValue)
            configurations[1][path: "properties", "primary"] = true
            var nic = try #require(nics.arrayValue?[0])
            nic[path: "properties", "ipConfigurations"] = .array(configurations)
            nics = [nic]
            let twoPrimaries = try await arm.put(instance0, [
                "properties": ["networkProfileConfiguration": ["networkInterfaceConfigurations": nics]],
            ], api: Harness.compute)
            #expect(twoPrimaries.status == 400 && twoPrimaries.errorCode == "InvalidParameter", "\(twoPrimaries)")
            // The backend pool does not exist yet.
            let missingPool = try await arm.put(Harness.scaleSetPath, [
                "properties": ["virtualMachineProfile": ["networkProfile": ["networkInterfaceConfigurations": gatewayNICs(prefix: nil)]]],
            ], api: Harness.compute)
            #expect(missingPool.errorCode == "InvalidResourceReference", "\(missingPool)")
            let newInstance = try await arm.put("\(Harness.scaleSetPath)/virtualMachines/9", ["properties": [:]], api: Harness.compute)
            #expect(newInstance.status == 404 && newInstance.errorCode == "ResourceNotFound")
        }
    }
}
