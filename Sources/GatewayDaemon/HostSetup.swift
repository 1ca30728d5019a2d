import Firewall
import Netlink

/// The host namespace's part of a gateway: the uplink's addresses and the host nat chains.
extension GatewayDataPath {
    /// Puts the ILB frontend address on the uplink as a /32 labelled `<uplink>:egress` (unless
    /// the uplink already has that address, with whatever prefix or label), and takes the
    /// secondary IP off the uplink so the host forwards its traffic instead of keeping it. A /32
    /// adds no connected route, so the ILB address is never picked as a source for the subnet.
    func ensureUplink(for configuration: GatewayConfiguration, _ log: ChangeLog) throws(GatewayDataPathError) {
        let links = try step("open \(hostPlace)") { try NetlinkHandle(namespace: node.hostNamespace) }
        let uplink = try step("get uplink \"\(node.uplink)\" in \(hostPlace)") { try links.link(named: node.uplink) }
        let addresses = try step("list addresses of \"\(node.uplink)\" in \(hostPlace)") {
            try links.addresses(family: .ipv4).filter { $0.linkIndex == uplink.index }
        }
        if !addresses.contains(where: { $0.network.address == configuration.ilbIP }) {
            let address = Address(linkIndex: uplink.index, network: IPNetwork(host: configuration.ilbIP), label: node.uplinkLabel)
            try log.write("\(hostPlace): add address \(address.network) label \(node.uplinkLabel) to \"\(node.uplink)\"") {
                try links.addAddress(address)
            }
        }
        for address in addresses where address.network.address == configuration.secondaryIP {
            try log.write("\(hostPlace): delete secondary IP \(address.network) from \"\(node.uplink)\"") {
                try links.deleteAddress(address)
            }
        }
    }

    /// Ensures the host's `EGRESS-GATEWAY-SNAT` chain (jumped to first from `POSTROUTING`) with a
    /// jump to `EGRESS-<ip>` for `secondaryIP` and for every secondary IP it already serves:
    /// those belong to other gateways on the node, and only the cleanup decides they are gone.
    func ensureHostFirewall(adding secondaryIP: IPAddress, _ log: ChangeLog) async throws(GatewayDataPathError) {
        let iptables = hostIPTables()
        let snapshot: TableSnapshot
        do {
            snapshot = try await iptables.snapshot(of: .nat)
        } catch {
            throw .failed(operation: "read the nat table of \(hostPlace)", cause: error)
        }
        let served = snapshot.chain(GatewayRules.hostSNATChain)?.rules
            .compactMap { $0.target.flatMap(GatewayLayout.secondaryIP(ofHostChain:)) } ?? []
        do {
            let state = try GatewayRules.hostSNAT(secondaryIPs: (served + [secondaryIP]).map(\.description))
            log.record(try await iptables.apply(state), in: hostPlace)
        } catch {
            throw .failed(operation: "apply the nat chains of \(hostPlace) for \(secondaryIP)", cause: error)
        }
    }
}
