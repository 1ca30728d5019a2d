import ARMEmulator
@testable import Sandbox

/// What the operator writes to ARM, written directly into an emulator seeded for a layout: the gateway load
/// balancer, a managed prefix, and secondary ipconfigs on the gateway pool's model and instances.
struct ARMFixture {
    let cloud: SandboxCloud
    let arm: ARMEmulator
    let uid = "0f0e0d0c-0000-4000-8000-000000000abc"

    init(cloud: SandboxCloud, arm: ARMEmulator) {
        self.cloud = cloud
        self.arm = arm
    }

    var ipConfigurationName: String { "egressgateway-\(uid)" }
    var prefixID: String { "\(cloud.resourceGroupID)/providers/Microsoft.Network/publicIPPrefixes/egressgateway-\(uid)" }
    var loadBalancerID: String { "\(cloud.resourceGroupID)/providers/Microsoft.Network/loadBalancers/\(SandboxCloud.loadBalancerName)" }
    var poolID: String { loadBalancerID + "/backendAddressPools/gwpool-unique-id" }
    var scaleSetID: String { "\(cloud.resourceGroupID)/providers/Microsoft.Compute/virtualMachineScaleSets/\(SandboxCloud.gatewayScaleSet)" }

    /// The ILB: one frontend in the subnet, the pool, an HTTP probe and a UDP rule with floating IP.
    func createLoadBalancer(port: Int64 = 6000, floatingIP: Bool = true) throws {
        let frontend = loadBalancerID + "/frontendIPConfigurations/gwpool-unique-id"
        let probe = loadBalancerID + "/probes/\(uid)"
        try arm.create(ResourceID(loadBalancerID)!, [
            "location": "eastus", "sku": ["name": "Standard"],
            "properties": [
                "frontendIPConfigurations": [["name": "gwpool-unique-id", "properties": ["subnet": ["id": .string(cloud.subnetID)]]]],
                "backendAddressPools": [["name": "gwpool-unique-id"]],
                "probes": [["name": .string(uid), "properties": [
                    "protocol": "Http", "port": 8082, "requestPath": .string("/gw/\(uid)"), "intervalInSeconds": 1,
                ]]],
                "loadBalancingRules": [["name": .string(uid), "properties": [
                    "protocol": "Udp", "frontendPort": .integer(port), "backendPort": .integer(port),
                    "enableFloatingIP": .bool(floatingIP),
                    "frontendIPConfiguration": ["id": .string(frontend)], "backendAddressPool": ["id": .string(poolID)],
                    "probe": ["id": .string(probe)],
                ]]],
            ],
        ])
    }

    func createPrefix() throws {
        try arm.create(ResourceID(prefixID)!, ["location": "eastus", "properties": ["prefixLength": 31]])
    }

    /// The gateway pool's NIC configuration with the secondary ipconfig (and its public IP when `publicIPs`).
    func networkConfiguration(publicIPs: Bool, backend: Bool = true) -> ARMValue {
        var secondary: ARMValue = ["name": .string(ipConfigurationName), "properties": [
            "primary": false, "privateIPAddressVersion": "IPv4", "subnet": ["id": .string(cloud.subnetID)],
        ]]
        if publicIPs {
            secondary[path: "properties", "publicIPAddressConfiguration"] = [
                "name": .string(ipConfigurationName), "properties": ["publicIPPrefix": ["id": .string(prefixID)]],
            ]
        }
        var primary: ARMValue = ["name": "ipconfig1", "properties": ["primary": true, "subnet": ["id": .string(cloud.subnetID)]]]
        if backend { primary[path: "properties", "loadBalancerBackendAddressPools"] = [["id": .string(poolID)]] }
        return [[
            "name": .string(SandboxCloud.gatewayScaleSet),
            "properties": ["primary": true, "ipConfigurations": [primary, secondary]],
        ]]
    }

    /// The model change alone: instances keep their old configuration until updated.
    func updateModel(publicIPs: Bool) throws {
        try arm.create(ResourceID(scaleSetID)!, [
            "properties": ["virtualMachineProfile": ["networkProfile": ["networkInterfaceConfigurations": networkConfiguration(publicIPs: publicIPs)]]],
        ])
    }

    func updateInstance(_ index: Int, publicIPs: Bool, backend: Bool = true) throws {
        try arm.create(ResourceID("\(scaleSetID)/virtualMachines/\(index)")!, [
            "properties": ["networkProfileConfiguration": ["networkInterfaceConfigurations": networkConfiguration(publicIPs: publicIPs, backend: backend)]],
        ])
    }

    /// Back to the seed's configuration: no secondary ipconfig, no pool membership.
    func resetInstance(_ index: Int) throws {
        try arm.create(ResourceID("\(scaleSetID)/virtualMachines/\(index)")!, [
            "properties": ["networkProfileConfiguration": ["networkInterfaceConfigurations": [[
                "name": .string(SandboxCloud.gatewayScaleSet),
                "properties": ["primary": true, "ipConfigurations": [
                    ["name": "ipconfig1", "properties": ["primary": true, "subnet": ["id": .string(cloud.subnetID)]]],
                ]],
            ]]]],
        ])
    }
}
