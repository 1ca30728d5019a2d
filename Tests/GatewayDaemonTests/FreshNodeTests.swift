import GatewayDaemon
import Netlink
import Testing
import WireGuard

@Suite("Gateway data path on a fresh node (root)",
       .enabled(if: Host.isRoot, "needs root"),
       .enabled(if: Host.hasWireGuard, "no WireGuard backend: neither the kernel module nor wireguard-go"))
struct FreshNodeTests {
    /// §2: every object of the layout, read back with `ip -j`, `iptables-save` and `wg`; then a
    /// second apply of the same state writes nothing.
    @Test func buildsTheLayoutOfTheSpecAndReappliesWithoutWrites() async throws {
        let topology = try TestNode("fresh")
        defer { #expect(topology.teardown(), "a wireguard-go process outlived its link") }
        let node = topology.node
        let secondary = IPAddress("10.0.0.6")!
        try topology.addSecondaryIP(secondary)
        let peers = try makePeers(2)
        let configuration = try topology.configuration(uid: "0f6c1d2e-5b7a-4c1e-9d3f-2a8b7c6d5e4f", secondaryIP: secondary, peers: peers)
        let link = configuration.linkName
        #expect(try userspaceProcessCount(for: link) == 0)
        #expect(!topology.gateway.exists)

        let dataPath = GatewayDataPath(node: try topology.gatewayNode())
        let first = try await dataPath.apply(configuration)
        #expect(first.createdLinks == [link])
        #expect(topology.gateway.exists, "the gateway namespace is created when missing")
        let gateway = topology.gateway

        // Host namespace: ILB /32 labelled eth0:egress, the secondary IP gone from eth0, the veth
        // end up with the route of the secondary IP, the WireGuard socket listening here.
        #expect(Set(try shownAddresses(node, "eth0")) == [
            ShownAddress(local: "10.0.0.5", prefixLength: 24, label: "eth0"),
            ShownAddress(local: "10.0.0.100", prefixLength: 32, label: "eth0:egress"),
        ])
        #expect(try linkIsUp(node, "host-gateway"))
        #expect(try shownLink(node, link) == nil, "the WireGuard link was moved out of the host")
        #expect(try shownLink(node, "host0") == nil)
        #expect(try shownRoutes(node, device: "host-gateway") == [ShownRoute(destination: "10.0.0.6", device: "host-gateway")])
        #expect(try udpListeners(node).contains(Int(configuration.port)), "the UDP socket stays in the host namespace")
        #expect(!(try udpListeners(gateway).contains(Int(configuration.port))))

        // Gateway namespace: lo, host0 and wg-<port> only.
        let names = Set(try ipJSON(gateway, ["link", "show"]).compactMap { $0["ifname"] as? String })
        #expect(names == ["lo", "host0", link])
        #expect(try linkIsUp(gateway, "lo"))
        #expect(try linkIsUp(gateway, "host0"))
        #expect(try linkIsUp(gateway, link))
        #expect(try shownLink(gateway, link)?["ifalias"] as? String == configuration.uid)
        #expect(try shownAddresses(gateway, link).isEmpty)
        let linkAddresses = try shownAddresses(gateway, link, family: "-6")
        #expect(linkAddresses.contains(ShownAddress(local: "fe80::1", prefixLength: 64)), "\(linkAddresses)")
        #expect(linkAddresses.allSatisfy { $0.local.hasPrefix("fe80:") && $0.prefixLength == 64 }, "only link-locals: \(linkAddresses)")
        #expect(try shownAddresses(gateway, "host0") == [ShownAddress(local: "10.0.0.6", prefixLength: 32, label: "host0")])
        #expect(try shownRoutes(gateway) == Set([
            ShownRoute(destination: "10.0.0.5", device: "host0", scope: "link"),
            ShownRoute(destination: "default", gateway: "10.0.0.5", device: "host0"),
        ] + peers.map { ShownRoute(destination: $0.podCIDR.address.description, device: link, scope: "link") }))
        #expect(try gateway.executeChecked("cat", ["/proc/sys/net/ipv4/ip_forward"]).stdout == "1\n")

        // nat chains, comments and rules exactly as the spec renders them.
        #expect(try natLines(node) == hostNat([secondary]))
        #expect(try natLines(gateway) == gatewayNat([(configuration.port, secondary)]))

        // The device: key, port, no mark, peers with only their pod address.
        let dump = try WGDump.read(link, in: gateway)
        #expect(dump.privateKey == configuration.privateKey.base64)
        #expect(dump.publicKey == configuration.privateKey.publicKey.base64)
        #expect(dump.listenPort == Int(configuration.port))
        #expect(dump.firewallMark == "off")
        #expect(dump.peers == Dictionary(uniqueKeysWithValues: peers.map { peer in
            (peer.publicKey.base64, WGDump.PeerLine(presharedKey: "(none)", endpoint: "(none)",
                                                    allowedIPs: [peer.podCIDR.description], persistentKeepalive: "off"))
        }))

        let second = try await dataPath.apply(configuration)
        #expect(second.isEmpty, "second apply wrote:\n\(second)")
        #expect(second.createdLinks.isEmpty)
        if Host.isUserspace { #expect(try userspaceProcessCount(for: link) == 1) }
    }

    /// A move that fails (the gateway namespace already has the name, here as an alternative
    /// name of another link) deletes the link just made: nothing half-made stays in the host,
    /// and no userspace implementation is left running.
    @Test func failedMoveLeavesNoHalfMadeLink() async throws {
        let topology = try TestNode("rollback")
        defer { #expect(topology.teardown(), "a wireguard-go process outlived its link") }
        try topology.addSecondaryIP(IPAddress("10.0.0.6")!)
        let configuration = try topology.configuration(uid: "rollback-uid", secondaryIP: IPAddress("10.0.0.6")!)
        let gateway = try NetworkNamespace.create(named: topology.gatewayNamespaceName)
        try NetlinkHandle(namespace: gateway).addVeth(name: "blocker", peerName: "blocker-peer")
        try ip(gateway, "link", "property", "add", "dev", "blocker", "altname", configuration.linkName)

        let dataPath = GatewayDataPath(node: try topology.gatewayNode())
        let error = await #expect(throws: GatewayDataPathError.self) { try await dataPath.apply(configuration) }
        let text = error.map { "\($0)" } ?? ""
        #expect(text.contains("move \"\(configuration.linkName)\""), "\(text)")
        #expect(text.contains("already exists"), "\(text)")
        #expect(try shownLink(topology.node, configuration.linkName) == nil, "the half-made link was deleted")
        #expect(try noUserspaceProcess(for: configuration.linkName))
        #expect(try ipJSON(gateway, ["link", "show"]).compactMap { $0["ifname"] as? String }.contains(configuration.linkName) == false)
    }
}

extension Host {
    /// True when devices are driven by a userspace implementation (one process per device).
    static let isUserspace: Bool = {
        guard let client = try? WireGuardClient() else { return false }
        if case .userspace = client.backendKind { return true }
        return false
    }()
}

/// The UDP ports something listens on in `namespace` (`ss -H -u -l -n`).
func udpListeners(_ namespace: NetworkNamespace) throws -> Set<Int> {
    let text = try namespace.executeChecked("ss", ["-H", "-u", "-l", "-n"]).stdout
    return Set(text.split(separator: "\n").compactMap { line in
        let fields = line.split(whereSeparator: \.isWhitespace)
        guard fields.count >= 4, let colon = fields[3].lastIndex(of: ":") else { return nil }
        return Int(fields[3][fields[3].index(after: colon)...])
    })
}
