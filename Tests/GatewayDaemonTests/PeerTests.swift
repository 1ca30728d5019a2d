import GatewayDaemon
import Netlink
import Testing
import WireGuard

@Suite("Gateway peers (root)",
       .enabled(if: Host.isRoot, "needs root"),
       .enabled(if: Host.hasWireGuard, "no WireGuard backend: neither the kernel module nor wireguard-go"))
struct PeerTests {
    /// The peers of `link` as wg(8) shows them: public key → allowed IPs.
    private func shownPeers(_ link: String, _ topology: TestNode) throws -> [String: Set<String>] {
        try WGDump.read(link, in: topology.gateway).peers.mapValues(\.allowedIPs)
    }

    private func expected(_ peers: [GatewayPeer]) -> [String: Set<String>] {
        Dictionary(uniqueKeysWithValues: peers.map { ($0.publicKey.base64, [$0.podCIDR.description]) })
    }

    private func routes(_ peers: [GatewayPeer], _ link: String) -> Set<ShownRoute> {
        Set(peers.map { ShownRoute(destination: $0.podCIDR.address.description, device: link, scope: "link") })
    }

    /// Add three in one call, remove one: device and routes agree at once (not at the next sweep).
    /// Then the periodic sweep removes a peer the caller no longer expects, and a route no peer
    /// covers; and re-applying the configuration with its peers writes nothing.
    @Test func addThreeRemoveOneThenSweep() async throws {
        let topology = try TestNode("peers")
        defer { #expect(topology.teardown(), "a wireguard-go process outlived its link") }
        let secondary = IPAddress("10.0.0.6")!
        try topology.addSecondaryIP(secondary)
        var configuration = try topology.configuration(uid: "peers-uid", secondaryIP: secondary)
        let link = configuration.linkName
        let port = configuration.port
        let dataPath = GatewayDataPath(node: try topology.gatewayNode())
        try await dataPath.apply(configuration)

        let peers = try makePeers(3)
        let added = try await dataPath.addPeers(peers, port: port)
        #expect(added.count == 2, "one device configuration and one route batch:\n\(added)")
        #expect(try shownPeers(link, topology) == expected(peers))
        #expect(try shownRoutes(topology.gateway, device: link) == routes(peers, link))
        let keepalive = try WGDump.read(link, in: topology.gateway).peers.values.map(\.persistentKeepalive)
        #expect(keepalive == ["off", "off", "off"])

        let removed = try await dataPath.removePeers([peers[1]], port: port)
        #expect(removed.count == 2, "\(removed)")
        let remaining = [peers[0], peers[2]]
        #expect(try shownPeers(link, topology) == expected(remaining))
        #expect(try shownRoutes(topology.gateway, device: link) == routes(remaining, link))
        try await dataPath.removePeers([peers[1]], port: port)
        #expect(try shownPeers(link, topology) == expected(remaining), "removing an absent peer again is harmless")
        #expect(try shownRoutes(topology.gateway, device: link) == routes(remaining, link))

        configuration.peers = remaining
        let reapplied = try await dataPath.apply(configuration)
        #expect(reapplied.isEmpty, "\(reapplied)")

        // A pod address that changed leaves its old route behind; the sweep takes it, together
        // with the peer nobody expects any more.
        let moved = try GatewayPeer(publicKey: peers[0].publicKey, podCIDR: IPNetwork("10.244.7.7/32")!)
        try await dataPath.addPeers([moved], port: port)
        let sweep = await dataPath.removeStalePeers(expected: [port: [moved.publicKey]])
        #expect(sweep.failures.isEmpty)
        #expect(sweep.removed[port] == [peers[2].publicKey])
        #expect(sweep.kept[port] == [moved.publicKey])
        #expect(try shownPeers(link, topology) == expected([moved]))
        #expect(try shownRoutes(topology.gateway, device: link) == routes([moved], link))
        let again = await dataPath.removeStalePeers(expected: [port: [moved.publicKey]])
        #expect(again.changes.isEmpty && again.removed.isEmpty, "\(again.changes)")
        #expect(again.kept[port] == [moved.publicKey])
    }

    /// 1,000 peers in one call: one device configuration, one route batch; the same peers in the
    /// configuration change nothing; all removed in one call.
    @Test func thousandPeersInOneCall() async throws {
        let topology = try TestNode("batch")
        defer { #expect(topology.teardown(), "a wireguard-go process outlived its link") }
        let secondary = IPAddress("10.0.0.6")!
        try topology.addSecondaryIP(secondary)
        var configuration = try topology.configuration(uid: "batch-uid", secondaryIP: secondary)
        let link = configuration.linkName
        let dataPath = GatewayDataPath(node: try topology.gatewayNode())
        try await dataPath.apply(configuration)

        let peers = try makePeers(1_000)
        let added = try await dataPath.addPeers(peers, port: configuration.port)
        #expect(added.count == 2, "\(added)")
        #expect(try shownPeers(link, topology) == expected(peers))
        #expect(try shownRoutes(topology.gateway, device: link) == routes(peers, link))

        configuration.peers = peers
        let reapplied = try await dataPath.apply(configuration)
        #expect(reapplied.isEmpty, "\(reapplied)")

        let removed = try await dataPath.removePeers(peers, port: configuration.port)
        #expect(removed.count == 2, "\(removed)")
        #expect(try shownPeers(link, topology).isEmpty)
        #expect(try shownRoutes(topology.gateway, device: link).isEmpty)
    }

    /// A removal names the pod CIDR the caller last knew. When a new pod already got that address
    /// (its peer took it over on the device), the route stays with the new peer; when the data
    /// path had since moved the removed peer to another address, that route goes too.
    @Test func removalDeletesOnlyRoutesNoOtherPeerNeeds() async throws {
        let topology = try TestNode("reuse")
        defer { #expect(topology.teardown(), "a wireguard-go process outlived its link") }
        let secondary = IPAddress("10.0.0.6")!
        try topology.addSecondaryIP(secondary)
        let configuration = try topology.configuration(uid: "reuse-uid", secondaryIP: secondary)
        let (link, port) = (configuration.linkName, configuration.port)
        let dataPath = GatewayDataPath(node: try topology.gatewayNode())
        try await dataPath.apply(configuration)
        let net = { (text: String) in IPNetwork(text)! }
        let keys = try (0..<3).map { _ in try PrivateKey.generate().publicKey }

        // Pod A had .1; pod B is given .1 before A's removal arrives.
        let podA = try GatewayPeer(publicKey: keys[0], podCIDR: net("10.244.0.1/32"))
        let podB = try GatewayPeer(publicKey: keys[1], podCIDR: net("10.244.0.1/32"))
        try await dataPath.addPeers([podA], port: port)
        try await dataPath.addPeers([podB], port: port)
        try await dataPath.removePeers([podA], port: port)
        #expect(try shownPeers(link, topology) == expected([podB]))
        #expect(try shownRoutes(topology.gateway, device: link) == routes([podB], link))

        // Pod C moved from .2 to .3; its removal still names .2.
        let podC = try GatewayPeer(publicKey: keys[2], podCIDR: net("10.244.0.2/32"))
        let movedC = try GatewayPeer(publicKey: keys[2], podCIDR: net("10.244.0.3/32"))
        try await dataPath.addPeers([podC], port: port)
        try await dataPath.addPeers([movedC], port: port)
        #expect(try shownRoutes(topology.gateway, device: link) == routes([podB, podC, movedC], link))
        try await dataPath.removePeers([podC], port: port)
        #expect(try shownPeers(link, topology) == expected([podB]))
        #expect(try shownRoutes(topology.gateway, device: link) == routes([podB], link))
    }

    /// A link made again (deleted behind the daemon's back) gets the configuration's peers back
    /// in the same apply, and says it was created so the caller can hand peers over again.
    @Test func recreatedLinkGetsItsPeersBack() async throws {
        let topology = try TestNode("recreate")
        defer { #expect(topology.teardown(), "a wireguard-go process outlived its link") }
        let secondary = IPAddress("10.0.0.6")!
        try topology.addSecondaryIP(secondary)
        let peers = try makePeers(3)
        let configuration = try topology.configuration(uid: "recreate-uid", secondaryIP: secondary, peers: peers)
        let dataPath = GatewayDataPath(node: try topology.gatewayNode())
        try await dataPath.apply(configuration)
        try ip(topology.gateway, "link", "del", configuration.linkName)
        #expect(try noUserspaceProcess(for: configuration.linkName))

        let repaired = try await dataPath.apply(configuration)
        #expect(repaired.createdLinks == [configuration.linkName])
        #expect(try shownPeers(configuration.linkName, topology) == expected(peers))
        #expect(try shownRoutes(topology.gateway, device: configuration.linkName) == routes(peers, configuration.linkName))
        #expect(try await dataPath.apply(configuration).isEmpty)
    }
}
