import GatewayDaemon
import Netlink
import Testing
import WireGuard

@Suite("Gateway cleanup (root)",
       .enabled(if: Host.isRoot, "needs root"),
       .enabled(if: Host.hasWireGuard, "no WireGuard backend: neither the kernel module nor wireguard-go"))
struct CleanupTests {
    /// §4.5 with two gateways: dropping one removes its link, chains, `host0` address and host
    /// route, and also a host chain whose address had already left `host0`; `host0`'s IPv6
    /// link-local stays. Dropping the last removes the ILB address and the host chain too.
    @Test func removesOneConfigurationThenEverything() async throws {
        let topology = try TestNode("cleanup")
        defer { #expect(topology.teardown(), "a wireguard-go process outlived its link") }
        let (node, gateway) = (topology.node, topology.gateway)
        let first = IPAddress("10.0.0.6")!, second = IPAddress("10.0.0.7")!
        try topology.addSecondaryIP(first)
        try topology.addSecondaryIP(second)
        let kept = try topology.configuration(uid: "kept-uid", secondaryIP: first, peers: try makePeers(1))
        let dropped = try topology.configuration(uid: "dropped-uid", secondaryIP: second, peers: try makePeers(1, startingAt: 1))
        let dataPath = GatewayDataPath(node: try topology.gatewayNode())
        try await dataPath.apply(kept)
        try await dataPath.apply(dropped)
        #expect(try natLines(node) == hostNat([first, second]))
        #expect(try natLines(gateway) == gatewayNat([(kept.port, first), (dropped.port, second)]))
        let linkLocal = try #require(try shownAddresses(gateway, "host0", family: "-6").first { $0.local.hasPrefix("fe80:") })

        // What the Go daemon leaks: a host chain for an address no longer on host0.
        try node.executeChecked("iptables", ["-t", "nat", "-N", "EGRESS-10-0-0-9"])
        try node.executeChecked("iptables", ["-t", "nat", "-A", "EGRESS-10-0-0-9", "-s", "10.0.0.9/32", "-j", "ACCEPT"])
        try node.executeChecked("iptables", ["-t", "nat", "-I", "EGRESS-GATEWAY-SNAT", "-m", "comment", "--comment",
                                             "kube-egress-gateway no sNAT packet from ip 10.0.0.9", "-j", "EGRESS-10-0-0-9"])

        let report = await dataPath.cleanup(active: [kept.active])
        #expect(report.failures.isEmpty, "\(report.failures)")
        #expect(report.removedGateways.map(\.port) == [dropped.port])
        #expect(report.removedGateways.map(\.uid) == [dropped.uid], "the alias names the configuration for the probe server")
        #expect(report.removedSecondaryIPs == [second])
        #expect(try shownLink(gateway, dropped.linkName) == nil)
        #expect(try noUserspaceProcess(for: dropped.linkName))
        #expect(try shownLink(gateway, kept.linkName) != nil)
        #expect(try natLines(gateway) == gatewayNat([(kept.port, first)]))
        #expect(try natLines(node) == hostNat([first]))
        #expect(try shownAddresses(gateway, "host0") == [ShownAddress(local: "10.0.0.6", prefixLength: 32, label: "host0")])
        #expect(try shownAddresses(gateway, "host0", family: "-6").contains(linkLocal), "host0 keeps its IPv6 link-local")
        #expect(try shownRoutes(node, device: "host-gateway") == [ShownRoute(destination: "10.0.0.6", device: "host-gateway")])
        #expect(try shownAddresses(node, "eth0").contains(ShownAddress(local: "10.0.0.100", prefixLength: 32, label: "eth0:egress")))
        #expect(try await dataPath.apply(kept).isEmpty, "the surviving gateway is untouched")

        let repeated = await dataPath.cleanup(active: [kept.active])
        #expect(repeated.changes.isEmpty, "\(repeated.changes)")

        let final = await dataPath.cleanup(active: [])
        #expect(final.failures.isEmpty, "\(final.failures)")
        #expect(final.removedGateways.map(\.uid) == [kept.uid])
        #expect(final.removedSecondaryIPs == [first])
        #expect(Set(try ipJSON(gateway, ["link", "show"]).compactMap { $0["ifname"] as? String }) == ["lo", "host0"],
                "the veth stays, as upstream")
        #expect(try noUserspaceProcess(for: kept.linkName))
        #expect(try natLines(gateway) == expectedNat([]))
        #expect(try natLines(node) == expectedNat([]))
        #expect(try shownAddresses(node, "eth0") == [ShownAddress(local: "10.0.0.5", prefixLength: 24, label: "eth0")])
        #expect(try shownAddresses(gateway, "host0").isEmpty)
        #expect(try shownAddresses(gateway, "host0", family: "-6").contains(linkLocal), "host0 keeps its IPv6 link-local")
        #expect(try shownRoutes(node, device: "host-gateway").isEmpty)
        // The routes to the node are never deleted (as upstream), but the kernel drops a link's
        // IPv4 routes with its last IPv4 address; the next apply puts them back.
        #expect(try shownRoutes(gateway).isEmpty)
        #expect(await dataPath.cleanup(active: []).changes.isEmpty)
    }

    /// Upstream aborts the cleanup when the gateway namespace has no `host0` (§9.3.3), so the
    /// ILB address and host chain of a node whose last gateway went are never removed. Here
    /// neither a missing `host0` nor a missing gateway namespace stops it.
    @Test func missingHost0OrNamespaceDoesNotStopCleanup() async throws {
        let topology = try TestNode("nohost0")
        defer { topology.teardown() }
        let node = topology.node
        let dataPath = GatewayDataPath(node: try topology.gatewayNode())
        for gatewayNamespaceExists in [false, true] {
            if gatewayNamespaceExists { _ = try NetworkNamespace.create(named: topology.gatewayNamespaceName) }
            try ip(node, "addr", "add", "10.0.0.100/32", "dev", "eth0", "label", "eth0:egress")
            for arguments in [
                ["-N", "EGRESS-GATEWAY-SNAT"],
                ["-I", "POSTROUTING", "-m", "comment", "--comment", "kube-egress-gateway no MASQUERADE", "-j", "EGRESS-GATEWAY-SNAT"],
                ["-N", "EGRESS-10-0-0-6"],
                ["-A", "EGRESS-10-0-0-6", "-s", "10.0.0.6/32", "-j", "ACCEPT"],
                ["-I", "EGRESS-GATEWAY-SNAT", "-m", "comment", "--comment", "kube-egress-gateway no sNAT packet from ip 10.0.0.6",
                 "-j", "EGRESS-10-0-0-6"],
            ] {
                try node.executeChecked("iptables", ["-t", "nat"] + arguments)
            }
            let report = await dataPath.cleanup(active: [])
            #expect(report.failures.isEmpty, "gateway netns exists: \(gatewayNamespaceExists): \(report.failures)")
            #expect(try shownAddresses(node, "eth0") == [ShownAddress(local: "10.0.0.5", prefixLength: 24, label: "eth0")])
            #expect(try natLines(node) == expectedNat([]))
        }
    }

    /// A gateway whose secondary IP and ILB address change (§4.3): the apply adds the new ones
    /// next to the old, and the cleanup with the new values removes the old address, route,
    /// host chain and ILB address, where upstream leaks the chain and the ILB address.
    @Test func changedAddressesAreSweptAfterTheApply() async throws {
        let topology = try TestNode("change")
        defer { #expect(topology.teardown(), "a wireguard-go process outlived its link") }
        let (node, gateway) = (topology.node, topology.gateway)
        let old = IPAddress("10.0.0.6")!, new = IPAddress("10.0.0.8")!
        try topology.addSecondaryIP(old)
        try topology.addSecondaryIP(new)
        let before = try topology.configuration(uid: "change-uid", secondaryIP: old)
        let after = try GatewayConfiguration(uid: before.uid, port: before.port, ilbIP: IPAddress("10.0.0.101")!,
                                             primaryIP: before.primaryIP, secondaryIP: new, privateKey: before.privateKey)
        let dataPath = GatewayDataPath(node: try topology.gatewayNode())
        try await dataPath.apply(before)
        try await dataPath.apply(after)
        #expect(try natLines(gateway) == gatewayNat([(after.port, new)]))
        #expect(try natLines(node) == hostNat([old, new]))
        #expect(Set(try shownAddresses(gateway, "host0").map(\.local)) == ["10.0.0.6", "10.0.0.8"])

        let report = await dataPath.cleanup(active: [after.active])
        #expect(report.failures.isEmpty, "\(report.failures)")
        #expect(report.removedGateways.isEmpty)
        #expect(report.removedSecondaryIPs == [old])
        #expect(try natLines(node) == hostNat([new]))
        #expect(try shownAddresses(gateway, "host0") == [ShownAddress(local: "10.0.0.8", prefixLength: 32, label: "host0")])
        #expect(try shownRoutes(node, device: "host-gateway") == [ShownRoute(destination: "10.0.0.8", device: "host-gateway")])
        #expect(Set(try shownAddresses(node, "eth0")) == [
            ShownAddress(local: "10.0.0.5", prefixLength: 24, label: "eth0"),
            ShownAddress(local: "10.0.0.101", prefixLength: 32, label: "eth0:egress"),
        ])
        #expect(try await dataPath.apply(after).isEmpty)
    }

    /// A gateway whose secondary IP the caller cannot resolve right now (its VM configuration
    /// briefly lacks the node) keeps its link, peers and addresses: upstream tears it down
    /// (§9.3.2) and its peers never come back.
    @Test func gatewayWithUnknownAddressesIsKept() async throws {
        let topology = try TestNode("unknown")
        defer { #expect(topology.teardown(), "a wireguard-go process outlived its link") }
        let secondary = IPAddress("10.0.0.6")!
        try topology.addSecondaryIP(secondary)
        let peers = try makePeers(2)
        let configuration = try topology.configuration(uid: "unknown-uid", secondaryIP: secondary, peers: peers)
        let dataPath = GatewayDataPath(node: try topology.gatewayNode())
        try await dataPath.apply(configuration)
        let before = (try natLines(topology.node), try natLines(topology.gateway), try shownAddresses(topology.gateway, "host0"))

        let report = await dataPath.cleanup(active: [ActiveGateway(port: configuration.port, secondaryIP: nil, ilbIP: nil)])
        #expect(report.failures.isEmpty, "\(report.failures)")
        #expect(report.changes.isEmpty, "\(report.changes)")
        #expect(try natLines(topology.node) == before.0)
        #expect(try natLines(topology.gateway) == before.1)
        #expect(try shownAddresses(topology.gateway, "host0") == before.2)
        #expect(try WGDump.read(configuration.linkName, in: topology.gateway).peers.count == 2)
    }
}
