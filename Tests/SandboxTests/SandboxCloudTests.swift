import ARMEmulator
import Foundation
import Kube
import Netlink
import Testing
@testable import Sandbox

/// The Azure layout of a sandbox run, from the layout alone: the seed, the instances it pins, the Node objects.
@Suite struct SandboxCloudTests {
    let cloud = SandboxCloud(layout: try! SandboxLayout(runID: "t1", workers: 2, gateways: 2))

    @Test func theSeedPinsEveryInstanceToItsNodesNameAndPrimaryIP() throws {
        let nodes = try ARMEmulator().apply(cloud.seed)
        #expect(nodes.map(\.name) == ["worker-0", "worker-1", "gateway-0", "gateway-1"])
        #expect(nodes.map(\.primaryIP) == ["10.224.0.4", "10.224.0.5", "10.224.1.4", "10.224.1.5"])
        #expect(nodes.map(\.scaleSet) == [SandboxCloud.workerScaleSet, SandboxCloud.workerScaleSet,
                                          SandboxCloud.gatewayScaleSet, SandboxCloud.gatewayScaleSet])
        #expect(nodes.map(\.resourceID) == cloud.layout.nodes.map(cloud.resourceID(of:)))
        #expect(nodes.map(\.isGateway) == [false, false, true, true])
        // The pool lookup of the operator (by tag) and of the daemon (IMDS tags) find the gateway pool by the
        // name docs/samples/sgc-public.yaml uses, with a prefix size that has an address per gateway.
        #expect(nodes[2].tags == ["aks-managed-poolName": "gwpool", "aks-managed-gatewayIPPrefixSize": "31"])
        #expect(nodes[0].tags == ["aks-managed-poolName": "nodepool1"])
    }

    @Test func theSamplesNameTheSandboxsGatewayPool() throws {
        let samples = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../docs/samples")
        let publicMode = try String(contentsOf: samples.appendingPathComponent("sgc-public.yaml"), encoding: .utf8)
        let privateMode = try String(contentsOf: samples.appendingPathComponent("sgc-private.yaml"), encoding: .utf8)
        #expect(publicMode.contains("gatewayNodepoolName: \(SandboxCloud.gatewayPool)\n"))
        #expect(privateMode.contains("vmssResourceGroup: \(SandboxCloud.resourceGroup)\n"))
        #expect(privateMode.contains("vmssName: \(SandboxCloud.gatewayScaleSet)\n"))
    }

    @Test(arguments: [(1, 31), (2, 31), (3, 30), (4, 30), (5, 29), (50, 26)])
    func theGatewayPrefixHasAnAddressPerGateway(gateways: Int, length: Int) throws {
        #expect(SandboxCloud(layout: try SandboxLayout(runID: "t1", workers: 1, gateways: gateways)).gatewayPrefixLength == length)
    }

    @Test func gatewayNodesAreLabelledAndTaintedWorkersAreNot() throws {
        let nodes = cloud.nodeObjects
        #expect(nodes.map(\.metadata.name) == ["worker-0", "worker-1", "gateway-0", "gateway-1"])
        let gateway = nodes[3]
        #expect(gateway.spec.providerID == "azure:///subscriptions/\(SandboxCloud.subscription)/resourceGroups/mc_sandbox_egressgw_eastus"
            + "/providers/Microsoft.Compute/virtualMachineScaleSets/aks-gwpool-12345678-vmss/virtualMachines/1")
        #expect(gateway.metadata.labels["kubeegressgateway.azure.com/mode"] == "true")
        #expect(gateway.metadata.labels["kubernetes.azure.com/agentpool"] == "gwpool")
        #expect(gateway.spec.taints == [Taint(key: "kubeegressgateway.azure.com/mode", value: "true", effect: "NoSchedule")])
        #expect(gateway.status.address(ofType: "InternalIP") == "10.224.1.5")

        let worker = nodes[0]
        #expect(worker.metadata.labels["kubeegressgateway.azure.com/mode"] == nil)
        #expect(worker.metadata.labels["kubernetes.azure.com/agentpool"] == "nodepool1")
        #expect(worker.spec.taints.isEmpty)
        #expect(worker.spec.providerID.hasSuffix("/virtualMachineScaleSets/aks-nodepool1-12345678-vmss/virtualMachines/0"))
        #expect(worker.status.address(ofType: "InternalIP") == "10.224.0.4")
        #expect(worker.spec.unknownFields["podCIDR"] == .string("10.244.0.0/24"))
    }
}
