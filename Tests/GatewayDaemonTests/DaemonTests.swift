import EgressGatewayAPI
import Foundation
import GatewayDaemon
import Kube
import Netlink
import Testing
import WireGuard

@Suite("The daemon against the KubeEmulator on a node of namespaces (root)",
       .enabled(if: Host.isRoot, "needs root"),
       .enabled(if: Host.hasWireGuard, "no WireGuard backend: neither the kernel module nor wireguard-go"),
       .timeLimit(.minutes(2)))
struct DaemonTests {
    /// A fresh node: the gateway is built with its peers, the status lists both sorted, the probe
    /// answers 200; a deleted PodEndpoint's peer and route go at once (upstream: next sweep); a
    /// link deleted behind the daemon's back comes back with its peers on the next apply; the
    /// SGC's deletion removes the link and chains and fails the probe.
    @Test func reconcilesGatewaysAndEndpoints() async throws {
        let topology = try TestNode("daemon")
        defer { #expect(topology.teardown(), "a wireguard-go process outlived its link") }
        let cluster = try await Cluster.start()
        let secondary = IPAddress("10.0.0.6")!
        try topology.addSecondaryIP(secondary)
        let port = Host.port()
        let link = GatewayLayout.wireGuardLinkName(port: port)
        topology.use(device: link)
        let key = try PrivateKey.generate()
        let peers = try makePeers(3)
        let gateway = try await cluster.addGateway("egress", port: port, secondaryIP: secondary, key: key)
        try await cluster.addEndpoint("pod-b", gateway: "egress", peer: peers[1])
        try await cluster.addEndpoint("pod-a", gateway: "egress", peer: peers[0])

        let running = try RunningDaemon(topology: topology, cluster: cluster)
        let gw = topology.gateway
        // Healthy only once the whole gateway is set up.
        try await eventually { running.daemon.probes.status(forPath: "/gw/\(gateway.metadata.uid)") == 200 }
        let dump = try WGDump.read(link, in: gw)
        #expect(dump.privateKey == key.base64)
        #expect(dump.listenPort == Int(port))
        #expect(dump.peers[peers[0].publicKey.base64]?.allowedIPs == ["10.244.0.1/32"])
        #expect(dump.peers[peers[0].publicKey.base64]?.persistentKeepalive == "off")
        #expect(try natLines(gw) == gatewayNat([(port, secondary)]))
        #expect(try natLines(topology.node) == hostNat([secondary]))
        #expect(dump.peers.count == 2)
        #expect(running.daemon.probes.status(forPath: "/gw/other") == 503)
        try await eventually { try await cluster.gatewayStatus()?.spec.readyPeerConfigurations.count == 2 }
        let status = try #require(try await cluster.gatewayStatus())
        #expect(status.spec.readyGatewayConfigurations == [
            EgressGatewayAPI.GatewayConfiguration(staticGatewayConfiguration: "default/egress", interfaceName: link),
        ])
        #expect(status.spec.readyPeerConfigurations.map(\.podEndpoint) == ["default/pod-a", "default/pod-b"], "sorted")
        #expect(status.metadata.ownerReferences.first?.kind == "Node")

        // A new endpoint: one peer, one route, no full re-read.
        try await cluster.addEndpoint("pod-c", gateway: "egress", peer: peers[2])
        try await eventually { (try? WGDump.read(link, in: gw).peers.count) == 3 }
        #expect(try shownRoutes(gw, device: link).contains(ShownRoute(destination: "10.244.0.3", gateway: nil, device: link, scope: "link")))

        // Deleted: peer and route go now, not at the next sweep (an hour away here).
        _ = try await cluster.client.resource(PodEndpoint.self, namespace: "default").delete("pod-b")
        try await eventually { (try? WGDump.read(link, in: gw).peers[peers[1].publicKey.base64]) == nil }
        #expect(!(try shownRoutes(gw, device: link).map(\.destination).contains("10.244.0.2")))
        try await eventually { try await cluster.gatewayStatus()?.spec.readyPeerConfigurations.map(\.podEndpoint) == ["default/pod-a", "default/pod-c"] }

        // The link deleted by hand: the next apply of the gateway (any event) brings it back with its peers.
        let before = try #require(try shownLink(gw, link)?["ifindex"] as? Int)
        try ip(gw, "link", "del", link)
        _ = try await cluster.client.resource(StaticGatewayConfiguration.self, namespace: "default")
            .patch("egress", .merge(["metadata": ["annotations": ["touched": "1"]]]))
        try await eventually { (try? WGDump.read(link, in: gw).peers.count) == 2 }
        #expect(try shownLink(gw, link)?["ifindex"] as? Int != before)
        #expect(try shownRoutes(gw, device: link).map(\.destination).sorted() == ["10.244.0.1", "10.244.0.3"])

        // The SGC goes: link, chains, host address and chain go, the probe fails.
        _ = try await cluster.client.resource(StaticGatewayConfiguration.self, namespace: "default").delete("egress")
        try await eventually { try shownLink(gw, link) == nil }
        try await eventually { try natLines(gw) == expectedNat([]) }
        #expect(try natLines(topology.node) == hostNat([]))
        // The probe set may be updated a moment after the kernel teardown checked above; the LB polls anyway.
        try await eventually { running.daemon.probes.status(forPath: "/gw/\(gateway.metadata.uid)") == 503 }
        try await eventually { try await cluster.gatewayStatus()?.spec.readyGatewayConfigurations.isEmpty == true }
        #expect(try await cluster.gatewayStatus()?.spec.readyPeerConfigurations.isEmpty == true)
        await running.stop()
        await cluster.stop()
    }

    /// The periodic pass repairs drift (upstream only re-applies on events), and a gateway whose
    /// VM profile no longer lists the node keeps its link and peers (upstream tears them down).
    @Test func periodicPassRepairsDriftAndKeepsAGatewayWithoutProfile() async throws {
        let topology = try TestNode("drift")
        defer { #expect(topology.teardown(), "a wireguard-go process outlived its link") }
        let cluster = try await Cluster.start()
        let secondary = IPAddress("10.0.0.6")!
        try topology.addSecondaryIP(secondary)
        let port = Host.port()
        let link = GatewayLayout.wireGuardLinkName(port: port)
        topology.use(device: link)
        let peer = try makePeers(1)[0]
        let gateway = try await cluster.addGateway("egress", port: port, secondaryIP: secondary, key: try PrivateKey.generate())
        try await cluster.addEndpoint("pod-a", gateway: "egress", peer: peer)
        let running = try RunningDaemon(topology: topology, cluster: cluster, cleanupInterval: .milliseconds(300))
        let gw = topology.gateway
        try await eventually { running.daemon.probes.status(forPath: "/gw/\(gateway.metadata.uid)") == 200 }
        #expect((try WGDump.read(link, in: gw)).peers.count == 1)

        try gw.executeChecked("iptables", ["-t", "nat", "-F", "EGRESS-GATEWAY-SNAT-\(port)"])
        try await eventually { try natLines(gw) == gatewayNat([(port, secondary)]) }

        let index = try #require(try shownLink(gw, link)?["ifindex"] as? Int)
        let configurations = cluster.client.resource(GatewayVMConfiguration.self, namespace: "default")
        var configuration = try await configurations.get("egress")
        configuration.status?.gatewayVMProfiles = []
        _ = try await configurations.updateStatus(configuration)
        // Two cleanup passes later the link is the same one and still has its peer.
        let passes = running.daemon.cleanupPasses
        try await eventually { running.daemon.cleanupPasses >= passes + 2 }
        #expect(try shownLink(gw, link)?["ifindex"] as? Int == index)
        #expect((try WGDump.read(link, in: gw)).peers.count == 1)
        await running.stop()
        await cluster.stop()
    }
}

@Suite("The daemon adopting a node the Go daemon set up (root)",
       .enabled(if: Host.isRoot, "needs root"),
       .enabled(if: Host.hasWireGuard, "no WireGuard backend: neither the kernel module nor wireguard-go"),
       .timeLimit(.minutes(2)))
struct DaemonAdoptionTests {
    /// The layout of §2 built by hand as the Go daemon leaves it; the daemon, given the same
    /// SGC, Secret and PodEndpoints, converges without recreating the link, dropping a peer or
    /// duplicating a rule, and reports the gateway and its peers in the status.
    @Test func convergesWithoutChurn() async throws {
        let topology = try TestNode("dadopt")
        defer { #expect(topology.teardown(), "a wireguard-go process outlived its link") }
        let secondary = IPAddress("10.0.0.6")!
        try topology.addSecondaryIP(secondary)
        let peers = try makePeers(2)
        let configuration = try topology.configuration(uid: "unused", secondaryIP: secondary, peers: peers)
        let link = configuration.linkName
        try buildGoDaemonLayout(topology, configuration, peers: peers)
        let gw = topology.gateway
        let index = try #require(try shownLink(gw, link)?["ifindex"] as? Int)
        let before = (try natLines(topology.node), try natLines(gw), try shownRoutes(topology.node), try shownRoutes(gw),
                      try WGDump.read(link, in: gw))

        let cluster = try await Cluster.start()
        try await cluster.addGateway("egress", port: configuration.port, secondaryIP: secondary, key: configuration.privateKey)
        for (number, peer) in peers.enumerated() { try await cluster.addEndpoint("pod-\(number)", gateway: "egress", peer: peer) }
        let running = try RunningDaemon(topology: topology, cluster: cluster)
        try await eventually { try await cluster.gatewayStatus()?.spec.readyPeerConfigurations.count == 2 }
        #expect(try shownLink(gw, link)?["ifindex"] as? Int == index, "the working link is kept")
        #expect(try natLines(topology.node) == before.0)
        #expect(try natLines(gw) == before.1)
        #expect(try shownRoutes(topology.node) == before.2)
        #expect(try shownRoutes(gw) == before.3)
        let after = try WGDump.read(link, in: gw)
        #expect(after.peers == before.4.peers)
        #expect(after.privateKey == before.4.privateKey && after.listenPort == before.4.listenPort)
        await running.stop()
        await cluster.stop()
    }
}
