import EgressGatewayAPI
import GatewayDaemon
import Kube
import Testing

@Suite("Node identity: which gateways target the node, and its IPs (§1.6)")
struct NodeIdentityTests {
    private func gateway(pool: String = "", vmss: String = "", group: String = "") -> StaticGatewayConfiguration {
        StaticGatewayConfiguration(
            metadata: ObjectMeta(name: "gw", namespace: "ns"),
            spec: StaticGatewayConfigurationSpec(
                gatewayNodepoolName: pool,
                gatewayVmssProfile: GatewayVmssProfile(vmssResourceGroup: group, vmssName: vmss, publicIpPrefixSize: 31)))
    }

    @Test func tagsParseAsTheGoDaemonReadsThem() {
        let identity = NodeIdentity(computerName: "c", vmScaleSetName: "", resourceGroupName: "", tagText: "a:b; c : d ;e;f:g:h")
        #expect(identity.tags == ["a": "b", "c": "d"], "trimmed; a part without exactly one ':' is dropped")
        let nic = NodeIdentity(computerName: "c", vmScaleSetName: "", resourceGroupName: "",
                               tagText: "aks-managed-nic-name:nic1;aks-managed-nic-name:nic2; aks-managed-nic-name:nic3")
        #expect(nic.nicName == "nic2", "untrimmed key must match exactly; the last match wins")
    }

    @Test func poolNameOrVMSSDecidesTargeting() {
        let identity = NodeIdentity(computerName: "vm0", vmScaleSetName: "GW-VMSS", resourceGroupName: "RG",
                                    tagText: "aks-managed-poolName:GwPool")
        #expect(identity.isTargeted(by: gateway(pool: "gwpool")), "equal-fold")
        #expect(!identity.isTargeted(by: gateway(pool: "other")))
        #expect(identity.isTargeted(by: gateway(vmss: "gw-vmss", group: "rg")))
        #expect(!identity.isTargeted(by: gateway(vmss: "gw-vmss", group: "other")))
        let untagged = NodeIdentity(computerName: "vm0", vmScaleSetName: "", resourceGroupName: "", tagText: "")
        #expect(!untagged.isTargeted(by: gateway(pool: "gwpool")))
    }

    @Test func vmProfileByComputerNameOrNICName() throws {
        let key = ObjectKey(namespace: "ns", name: "gw")
        var configuration = GatewayVMConfiguration(metadata: ObjectMeta(name: "gw", namespace: "ns"), spec: GatewayVMConfigurationSpec())
        let byComputer = NodeIdentity(computerName: "vm0", vmScaleSetName: "", resourceGroupName: "", tagText: "")
        #expect(throws: GatewayDaemonError.self) { try byComputer.addresses(in: configuration, of: key) }
        #expect(throws: GatewayDaemonError.self) { try byComputer.addresses(in: nil, of: key) }
        configuration.status = GatewayVMConfigurationStatus(egressIpPrefix: "x", gatewayVMProfiles: [
            GatewayVMProfile(nodeName: "nic-7", primaryIP: "10.0.0.7", secondaryIP: "10.0.0.8"),
            GatewayVMProfile(nodeName: "vm0", primaryIP: "10.0.0.5", secondaryIP: "10.0.0.6"),
        ])
        let found = try byComputer.addresses(in: configuration, of: key)
        #expect(found.primaryIP.description == "10.0.0.5")
        #expect(found.secondaryIP.description == "10.0.0.6")
        let byNIC = NodeIdentity(computerName: "other", vmScaleSetName: "", resourceGroupName: "", tagText: "aks-managed-nic-name:nic-7")
        #expect(try byNIC.addresses(in: configuration, of: key).secondaryIP.description == "10.0.0.8")
        let stranger = NodeIdentity(computerName: "VM0", vmScaleSetName: "", resourceGroupName: "", tagText: "")
        #expect(throws: GatewayDaemonError.self, "names compare exactly") { try stranger.addresses(in: configuration, of: key) }
    }
}
