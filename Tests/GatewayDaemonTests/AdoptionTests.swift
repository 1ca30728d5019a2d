import Foundation
import GatewayDaemon
import Netlink
import Testing
import WireGuard

@Suite("Adopting a node set up by the Go daemon (root)",
       .enabled(if: Host.isRoot, "needs root"),
       .enabled(if: Host.hasWireGuard, "no WireGuard backend: neither the kernel module nor wireguard-go"))
struct AdoptionTests {
    /// The layout of §2 made by hand with `ip`, `wg` and `iptables`, in the order and with the
    /// defaults of the Go daemon (link created in the host and moved, no alias, rules inserted
    /// one by one with `-I`). The library keeps the link (same index), its key and peers, and
    /// every rule; the only writes are what upstream never sets (the alias; forwarding inside
    /// the namespace when the host's was off at its creation). A second apply writes nothing.
    @Test func adoptsWithoutChurn() async throws {
        let topology = try TestNode("adopt")
        defer { #expect(topology.teardown(), "a wireguard-go process outlived its link") }
        let node = topology.node
        let secondary = IPAddress("10.0.0.6")!
        try topology.addSecondaryIP(secondary)
        let peers = try makePeers(2)
        let configuration = try topology.configuration(uid: "adopt-uid", secondaryIP: secondary, peers: peers)
        let link = configuration.linkName
        try buildGoDaemonLayout(topology, configuration, peers: peers)
        let gateway = topology.gateway
        let index = try #require(try shownLink(gateway, link)?["ifindex"] as? Int)
        let hostNatBefore = try natLines(node)
        let gatewayNatBefore = try natLines(gateway)
        #expect(hostNatBefore == hostNat([secondary]), "the hand-made host rules are the spec's")
        #expect(gatewayNatBefore == gatewayNat([(configuration.port, secondary)]), "the hand-made gateway rules are the spec's")
        let routesBefore = (try shownRoutes(node), try shownRoutes(gateway))
        let dumpBefore = try WGDump.read(link, in: gateway)

        let dataPath = GatewayDataPath(node: try topology.gatewayNode())
        let adopted = try await dataPath.apply(configuration)
        #expect(adopted.createdLinks.isEmpty)
        #expect(adopted.entries.contains { $0.contains("set alias \"adopt-uid\"") }, "\(adopted)")
        #expect(adopted.entries.allSatisfy { $0.contains("set alias") || $0.contains("net.ipv4.ip_forward=1") }, "\(adopted)")
        #expect(try shownLink(gateway, link)?["ifindex"] as? Int == index, "the working link is kept")
        #expect(try natLines(node) == hostNatBefore)
        #expect(try natLines(gateway) == gatewayNatBefore)
        #expect(try shownRoutes(node) == routesBefore.0)
        #expect(try shownRoutes(gateway) == routesBefore.1)
        let dumpAfter = try WGDump.read(link, in: gateway)
        #expect(dumpAfter.privateKey == dumpBefore.privateKey)
        #expect(dumpAfter.listenPort == dumpBefore.listenPort)
        #expect(dumpAfter.peers == dumpBefore.peers)
        #expect(try shownAddresses(node, "eth0").count == 2, "no second ILB address")

        let second = try await dataPath.apply(configuration)
        #expect(second.isEmpty, "\(second)")
        #expect(await dataPath.cleanup(active: [configuration.active]).changes.isEmpty)
        #expect(await dataPath.removeStalePeers(expected: [configuration.port: Set(peers.map(\.publicKey))]).changes.isEmpty)
    }
}
