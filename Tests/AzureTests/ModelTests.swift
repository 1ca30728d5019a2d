import Foundation
import Testing
import TestSupport
@testable import Azure

@Suite("ARM models and typed operations")
struct ModelTests {
    /// A scale set as ARM returns it, with members the models do not know at every level.
    static let scaleSet: AzureJSON = try! AzureJSON(parsing: Array("""
    {"name":"aks-gw-vmss","location":"westus2","etag":"\\"7\\"","sku":{"name":"Standard_D2s_v5","capacity":2},
     "properties":{"uniqueId":"4f4b9e2c-unique","upgradePolicy":{"mode":"Manual"},
      "virtualMachineProfile":{"osProfile":{"computerNamePrefix":"aks-gw"},
       "networkProfile":{"networkApiVersion":"2020-11-01","networkInterfaceConfigurations":[
        {"name":"aks-gw-vmss","properties":{"primary":true,"enableAcceleratedNetworking":true,
         "ipConfigurations":[{"name":"ipconfig1","properties":{"primary":true,"subnet":{"id":"/subnets/aks"},
          "loadBalancerBackendAddressPools":[{"id":"/kubernetes/backend"}],"applicationSecurityGroups":[{"id":"/asg"}]}}]}}]}}}}
    """.utf8))

    @Test("editing the network profile keeps every member the model does not name")
    func roundTrip() throws {
        var vmss = VirtualMachineScaleSet(json: Self.scaleSet)
        #expect(vmss.uniqueID == "4f4b9e2c-unique")
        var profile = try #require(vmss.networkProfile)
        var nic = profile.networkInterfaceConfigurations[0]
        #expect(nic.primary)
        nic.ipConfigurations.append(VMSSIPConfiguration(name: "egressgateway-uid", subnetID: "/subnets/aks", publicIPPrefixID: "/prefix"))
        nic.ipConfigurations[0].loadBalancerBackendAddressPools.append(SubResource(id: "/ilb/backend"))
        profile.networkInterfaceConfigurations[0] = nic
        vmss.networkProfile = profile
        let edited = vmss.json
        #expect(edited["sku"]?["capacity"] == 2)
        #expect(edited["properties"]?["upgradePolicy"]?["mode"] == "Manual")
        let nicJSON = edited["properties"]?["virtualMachineProfile"]?["networkProfile"]?["networkInterfaceConfigurations"]?.arrayValue?[0]
        #expect(nicJSON?["properties"]?["enableAcceleratedNetworking"] == true)
        let first = nicJSON?["properties"]?["ipConfigurations"]?.arrayValue?[0]
        #expect(first?["properties"]?["applicationSecurityGroups"] == [["id": "/asg"]])
        #expect(first?["properties"]?["loadBalancerBackendAddressPools"] == [["id": "/kubernetes/backend"], ["id": "/ilb/backend"]])
        let added = nicJSON?["properties"]?["ipConfigurations"]?.arrayValue?[1]
        #expect(added == [
            "name": "egressgateway-uid",
            "properties": ["primary": false, "privateIPAddressVersion": "IPv4", "subnet": ["id": "/subnets/aks"],
                           "publicIPAddressConfiguration": ["name": "egressgateway-uid", "properties": ["publicIPPrefix": ["id": "/prefix"]]]],
        ])
    }

    @Test("the partial bodies of §4.5: the VMSS model and the instance")
    func partialBodies() throws {
        let vmss = VirtualMachineScaleSet(json: Self.scaleSet)
        let body = vmss.networkProfileUpdate()
        #expect(body.objectValue?.keys.sorted() == ["location", "properties"])
        #expect(body["properties"]?.objectValue?.keys.sorted() == ["virtualMachineProfile"])
        #expect(body["properties"]?["virtualMachineProfile"]?.objectValue?.keys.sorted() == ["networkProfile"])
        #expect(body["properties"]?["virtualMachineProfile"]?["networkProfile"]?["networkApiVersion"] == "2020-11-01")
        let instance = VirtualMachineScaleSetVM(json: [
            "instanceId": "3", "etag": "\"2\"", "properties": [
                "osProfile": ["computerName": "aks-gw-vmss000003"], "hardwareProfile": ["vmSize": "x"],
                "networkProfileConfiguration": ["networkInterfaceConfigurations": [["name": "nic", "properties": ["primary": true]]]],
            ],
        ])
        #expect(instance.computerName == "aks-gw-vmss000003")
        #expect(instance.networkConfigurationUpdate() == [
            "properties": ["networkProfileConfiguration": ["networkInterfaceConfigurations": [["name": "nic", "properties": ["primary": true]]]]],
        ])
    }

    @Test("typed operations: paths, api-versions, partial body and If-Match with the ETag that was read")
    func operations() async throws {
        try await ScriptedServer.run({ request, _ in
            switch request.method {
            case "GET" where request.path.hasSuffix("/virtualMachines"):
                ScriptedResponse(200, #"{"value":[{"instanceId":"0","etag":"\"5\"","properties":{"osProfile":{"computerName":"n0"}}}]}"#)
            case "GET":
                ScriptedResponse(200, String(decoding: Self.scaleSet.serialized(), as: UTF8.self))
            default:
                ScriptedResponse(200, request.body)
            }
        }) { url, requests in
            let arm = try ARMClient.local(url)
            let vmss = try await arm.virtualMachineScaleSet(resourceGroup: "rg", name: "aks-gw-vmss")
            _ = try await arm.updateNetworkProfile(of: vmss, resourceGroup: "rg")
            let instances = try await arm.virtualMachineScaleSetVMs(resourceGroup: "rg", scaleSet: "aks-gw-vmss")
            _ = try await arm.updateNetworkConfiguration(of: instances[0], resourceGroup: "rg", scaleSet: "aks-gw-vmss")
            _ = try? await arm.virtualMachineScaleSetVMNetworkInterface(resourceGroup: "rg", scaleSet: "aks-gw-vmss", instanceID: "0", name: "nic")
            let prefix = PublicIPPrefix(name: "egressgateway-uid", location: "westus2", prefixLength: 31)
            _ = try await arm.createOrUpdate(prefix, resourceGroup: "rg")
            let seen = requests()
            let base = "/subscriptions/sub/resourceGroups/rg/providers"
            #expect(seen.map { "\($0.method) \($0.path) \($0.query["api-version"] ?? "")" } == [
                "GET \(base)/Microsoft.Compute/virtualMachineScaleSets/aks-gw-vmss 2025-04-01",
                "PUT \(base)/Microsoft.Compute/virtualMachineScaleSets/aks-gw-vmss 2025-04-01",
                "GET \(base)/Microsoft.Compute/virtualMachineScaleSets/aks-gw-vmss/virtualMachines 2025-04-01",
                "PUT \(base)/Microsoft.Compute/virtualMachineScaleSets/aks-gw-vmss/virtualMachines/0 2025-04-01",
                "GET \(base)/microsoft.Compute/virtualMachineScaleSets/aks-gw-vmss/virtualMachines/0/networkInterfaces/nic 2018-10-01",
                "PUT \(base)/Microsoft.Network/publicIPPrefixes/egressgateway-uid 2025-05-01",
            ])
            #expect(seen[1].headers["if-match"] == "\"7\"")
            #expect(try AzureJSON(parsing: Array(seen[1].body.utf8)) == vmss.networkProfileUpdate())
            #expect(seen[3].headers["if-match"] == "\"5\"")
            #expect(seen[5].headers["if-match"] == nil)
            #expect(try AzureJSON(parsing: Array(seen[5].body.utf8)) == [
                "name": "egressgateway-uid", "location": "westus2", "sku": ["name": "Standard", "tier": "Regional"],
                "properties": ["prefixLength": 31, "publicIPAddressVersion": "IPv4"],
            ])
        }
    }

    @Test("JSON keeps integers apart from doubles and round-trips unknown members")
    func json() throws {
        let text = #"{"a":1,"b":1.5,"c":[true,null,"x"],"d":{"e":{}}}"#
        let value = try AzureJSON(parsing: Array(text.utf8))
        #expect(value["a"] == .integer(1))
        #expect(value["b"] == .double(1.5))
        #expect(String(decoding: value.serialized(), as: UTF8.self) == text)
    }
}
