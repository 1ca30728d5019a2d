import ARMEmulator
import Foundation
import Logging
import Netlink
import Testing
@testable import Sandbox
#if canImport(Glibc)
import Glibc
#endif

/// The sandbox's Azure driving the real fabric: ARM state → fabric state → kernel, with real packets.
@Suite("Azure fabric", .serialized, .enabled(if: SandboxTestSupport.hostVNetIsFree, SandboxTestSupport.hostVNetMessage))
struct AzureFabricTests {
    @Test("a gateway's secondary IP leaves as its public IP, the ILB rule reaches the gateway, and IMDS answers each node as itself")
    func armStateDrivesTheFabricAndIMDS() async throws {
        try await SandboxTestSupport.withControlLinkTopology(workers: 1, gateways: 1) { layout in
            let directory = NSTemporaryDirectory() + "sandbox-azure-\(layout.runID)"
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let azure = try SandboxAzure(layout: layout, directory: directory, logger: Logger(label: "test"))
            let endpoints = try await azure.start()
            let controller = try FabricController(layout: layout, logger: Logger(label: "test"))
            let echo = try EchoServer(in: try NetworkNamespace.named(layout.internetNamespace))
            do {
                let fixture = ARMFixture(cloud: azure.cloud, arm: azure.arm)
                try fixture.createPrefix()
                try fixture.createLoadBalancer()
                try fixture.updateInstance(0, publicIPs: true)
                var states = azure.fabricStates().makeAsyncIterator()
                var state = try #require(await states.next())
                while state.publicIPs.isEmpty { state = try #require(await states.next()) }
                try await controller.update(state)
                #expect(state.imdsPort == endpoints.imdsPort)

                let gateway = layout.gateways[0]
                let secondary = try #require(state.secondaryIPs.first)
                #expect(secondary.node == gateway.primaryIP)
                let publicIP = try #require(state.publicIPs.first { $0.privateAddress == secondary.address }).publicAddress
                // What the gateway daemon does with its secondary IP, reduced to a local address.
                let gatewayNS = try NetworkNamespace.named(gateway.namespace)
                let links = try NetlinkHandle(namespace: gatewayNS)
                try links.addAddress(Address(linkIndex: try links.link(named: "lo").index, network: IPNetwork(host: secondary.address)))
                let seen = try NamespacedSocket.get(in: gatewayNS, from: secondary.address, to: SandboxLayout.echoAddress,
                                                    port: SandboxLayout.echoPort, path: "/")
                #expect(seen.body == "\(publicIP)\n")

                // The ILB rule as derived: its probe path answered on the gateway, its frontend on the gateway's
                // eth0 (floating IP), a worker's UDP flow arrives unchanged.
                let rule = try #require(state.loadBalancerRules.first)
                #expect(rule.backends == [gateway.primaryIP])
                let probeServer = try EchoServer(in: gatewayNS, address: gateway.primaryIP, port: rule.probe.port)
                defer { probeServer.stop() }
                try links.addAddress(Address(linkIndex: try links.link(named: "eth0").index, network: IPNetwork(host: rule.frontend)))
                let receiver = try UDP.receiver(in: gatewayNS, address: rule.frontend, port: rule.port)
                defer { close(receiver) }
                #expect(try await SandboxTestSupport.eventually { await controller.healthyTargets == state.probeTargets })
                let worker = try NetworkNamespace.named(layout.workers[0].namespace)
                _ = try UDP.sendFlows(from: worker, to: rule.frontend, port: rule.port, count: 1, receivers: [receiver])
                #expect(try UDP.sendFlows(from: worker, to: rule.frontend, port: rule.port, count: 4, receivers: [receiver]) == [4])

                for node in layout.nodes {
                    let answer = try NamespacedSocket.get(
                        in: try NetworkNamespace.named(node.namespace), to: SandboxLayout.imdsAddress, port: 80,
                        path: "/metadata/instance?api-version=2021-10-01&format=json", headers: ["Metadata": "true"])
                    #expect(answer.status == 200)
                    let document = try #require(ARMValue(json: Array(answer.body.utf8)))
                    #expect(document[path: "compute", "osProfile", "computerName"]?.stringValue == node.name)
                    #expect(document[path: "compute", "vmScaleSetName"]?.stringValue == azure.cloud.scaleSet(of: node))
                    #expect(document[path: "compute", "resourceGroupName"]?.stringValue == SandboxCloud.resourceGroup)
                    // The daemon's applyToNode reads the pool from the tag string.
                    #expect(document[path: "compute", "tags"]?.stringValue?.split(separator: ";")
                        .contains("aks-managed-poolName:\(azure.cloud.pool(of: node))") == true)
                    let address = document[path: "network", "interface"]?.arrayValue?.first?[path: "ipv4", "ipAddress"]?.arrayValue?.first
                    #expect(address?["privateIpAddress"]?.stringValue == node.primaryIP.description)
                    // The daemon also needs the load-balancer document to answer before it starts.
                    let balancer = try NamespacedSocket.get(
                        in: try NetworkNamespace.named(node.namespace), to: SandboxLayout.imdsAddress, port: 80,
                        path: "/metadata/loadbalancer?api-version=2020-10-01&format=json", headers: ["Metadata": "true"])
                    #expect(balancer.status == 200)
                }
            } catch {
                echo.stop()
                await controller.stop()
                await azure.stop()
                throw error
            }
            echo.stop()
            await controller.stop()
            await azure.stop()
        }
    }
}
