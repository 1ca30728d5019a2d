import ARMEmulator
import Azure
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

    /// The identity as the instance metadata service gives it (emulated over HTTP).
    @Test(.timeLimit(.minutes(1))) func fromInstanceMetadata() async throws {
        let imds = IMDSEmulator(authority: TokenAuthority())
        imds.register(IMDSEmulator.Instance(
            name: "aks-gwpool-12345678-vmss_0", computerName: "aks-gwpool-12345678-vmss000000", subscriptionID: "sub",
            resourceGroup: "MC_rg", location: "westeurope", scaleSetName: "aks-gwpool-12345678-vmss",
            resourceID: "/subscriptions/sub/resourceGroups/MC_rg/providers/Microsoft.Compute/virtualMachineScaleSets/x/virtualMachines/0",
            tags: ["aks-managed-poolName": "gwpool", "aks-managed-nic-name": "nic-0"], privateIP: "10.224.0.4",
            subnetAddress: "10.224.0.0", subnetPrefixLength: 16), forCallerAddress: "127.0.0.1")
        let server = try await imds.start()
        let source = IMDSNodeIdentity(client: try IMDSClient(endpoint: server.url))
        let identity = try await source.nodeIdentity()
        await server.stop()
        #expect(identity.computerName == "aks-gwpool-12345678-vmss000000")
        #expect(identity.vmScaleSetName == "aks-gwpool-12345678-vmss")
        #expect(identity.resourceGroupName == "MC_rg")
        #expect(identity.tags["aks-managed-poolName"] == "gwpool")
        #expect(identity.nicName == "nic-0")
    }
}
