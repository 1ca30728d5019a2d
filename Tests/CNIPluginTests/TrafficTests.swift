import Foundation
import Netlink
import Testing
import WireGuard
@testable import CNIPlugin

/// Packets through the pod's tunnel: a fake gateway (a WireGuard device in its own namespace,
/// reached from the node over a veth) registers the pod's key when the fake cni-manager gets
/// nicAdd, as the real gateway does from the PodEndpoint; a ping from the pod must reach an
/// address that exists only behind that gateway.
@Suite(.enabled(if: Host.canRunChain, "needs root, wireguard-go and /usr/lib/cni/{bridge,host-local}"))
struct TrafficTests {
    static let target = "203.0.113.10"

    @Test("a ping from the pod reaches the gateway through wg0", arguments: DefaultRouteMode.allCases)
    func ping(mode: DefaultRouteMode) async throws {
        let gateway = try Scratch("gw")
        defer { gateway.remove() }
        let gatewayDevice = "wggw" + Host.containerID().prefix(8)
        let gatewayKey = try PrivateKey.generate()
        let gatewayClient = try WireGuardClient(namespace: gateway.namespace)

        var assignment = GatewayAssignment(gatewayPublicKey: gatewayKey.publicKey, endpoint: Endpoint("192.168.231.2:51820")!,
                                           defaultRoute: mode)
        // Azure-networking mode sends only the exception CIDRs into the tunnel.
        if mode == .azureNetworking { assignment.exceptionCIDRs = [cidr("203.0.113.0/24")] }
        let manager = FakeManager(assignment: assignment) { request in
            try gatewayClient.configure(named: gatewayDevice, DeviceConfiguration(
                peers: [PeerConfiguration(publicKey: request.publicKey, replaceAllowedIPs: true, allowedIPs: [request.allowedIP])]))
        }
        let fixture = try ChainFixture("ping", manager: manager)
        defer { fixture.remove() }

        // node ── veth ── gateway; the gateway owns the target address on its WireGuard device.
        try fixture.node.links.addVeth(name: "uplink", peerName: "downlink", peerNamespace: gateway.namespace)
        try fixture.node.address("uplink", "192.168.231.1/24")
        try gateway.address("downlink", "192.168.231.2/24")
        try fixture.node.links.setLinkUp("uplink")
        try gateway.links.setLinkUp("downlink")
        try gatewayClient.createDevice(named: gatewayDevice)
        defer { try? gatewayClient.deleteDevice(named: gatewayDevice) }
        try gatewayClient.configure(named: gatewayDevice, DeviceConfiguration(privateKey: gatewayKey, listenPort: 51820))
        try gateway.address(gatewayDevice, "\(Self.target)/32")
        try gateway.links.setLinkUp(gatewayDevice)
        try gateway.run("ip", ["route", "add", fixture.subnet, "dev", gatewayDevice])

        let result = try await fixture.addChain()
        #expect(try fixture.pod.ping(Self.target), "ping \(Self.target) from the pod through wg0")

        // The gateway saw the pod's key, its address as the source, and its packets coming from the
        // node's address: the tunnel's UDP socket lives in the node namespace.
        let peer = try #require(try gatewayClient.device(named: gatewayDevice).peers.first)
        #expect(peer.allowedIPs == [cidr("\(fixture.podIP)/32")])
        #expect(peer.endpoint?.address == ip("192.168.231.1"))
        #expect(peer.lastHandshake != nil && peer.receiveBytes > 0)

        // Ingress symmetry: a connection from outside the pod's subnet that came in on eth0 is
        // answered through eth0 (mark 8738, table 8738), not into the tunnel the default route takes.
        let inbound = try fixture.node.namespace.execute("ping", ["-c", "1", "-W", "2", "-I", "192.168.231.1", fixture.podIP])
        #expect(inbound.exitCode == 0, "inbound ping answered: \(inbound.stdout)")
        if mode == .staticEgressGateway {
            // Without the fwmark rule the answer follows the default route into the tunnel and is lost.
            try fixture.pod.run("ip", ["rule", "del", "fwmark", "0x2222", "lookup", "8738"])
            let lost = try fixture.node.namespace.execute("ping", ["-c", "1", "-W", "1", "-I", "192.168.231.1", fixture.podIP])
            #expect(lost.exitCode != 0, "the rule is what brings the answer back")
        }

        let deletions = try await fixture.runtime.delete(cached: result)
        #expect(deletions.allSatisfy { $0.succeeded })
        #expect(try noWireGuardGo(for: fixture.temporary))
        try gatewayClient.deleteDevice(named: gatewayDevice)
        #expect(try noWireGuardGo(for: gatewayDevice))
    }
}
