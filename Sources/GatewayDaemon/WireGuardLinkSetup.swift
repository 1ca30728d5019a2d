import Netlink
import WireGuard

/// A gateway's `wg-<port>` link: created in the host namespace so its UDP socket stays there
/// (where the load balancer delivers), moved into the gateway namespace, and configured there.
struct WireGuardLinkSetup {
    let dataPath: GatewayDataPath
    let hostLinks: NetlinkHandle
    let gatewayLinks: NetlinkHandle
    let log: ChangeLog

    private var node: GatewayNode { dataPath.node }
    private var hostPlace: String { dataPath.hostPlace }
    private var gatewayPlace: String { dataPath.gatewayPlace }

    /// The link in the gateway namespace, created when missing, with the configuration's uid as
    /// alias, `fe80::1/64`, and up. An existing link is kept as it is (same index, same peers).
    func ensureLink(for configuration: GatewayConfiguration) throws(GatewayDataPathError) -> Link {
        let name = configuration.linkName
        // Matched on the name itself: a lookup by name would also answer for an alternative name.
        let present = try step("list links of \(gatewayPlace)") { try gatewayLinks.links() }.first { $0.name == name }
        let link: Link
        if let present {
            link = present
            if link.alias != configuration.uid {
                try log.write("\(gatewayPlace): set alias \"\(configuration.uid)\" on \"\(name)\"") {
                    try gatewayLinks.setAlias(name, configuration.uid)
                }
            }
        } else {
            link = try create(configuration)
        }
        let addresses = try step("list addresses of \"\(name)\" in \(gatewayPlace)") {
            try gatewayLinks.addresses(family: .ipv6).filter { $0.linkIndex == link.index }
        }
        if !addresses.contains(where: { $0.network == GatewayLayout.wireGuardAddress }) {
            try log.write("\(gatewayPlace): add address \(GatewayLayout.wireGuardAddress) to \"\(name)\"") {
                try gatewayLinks.addAddress(Address(linkIndex: link.index, network: GatewayLayout.wireGuardAddress))
            }
        }
        if !link.isUp {
            try log.write("\(gatewayPlace): set \"\(name)\" up") { try gatewayLinks.setLinkUp(name) }
        }
        return link
    }

    /// Sets the private key and listen port when either differs (both together, as the Go
    /// daemon does), adds the configuration's peers that are missing or whose allowed IPs
    /// differ, all in one device configuration, then adds the missing peer routes in one batch.
    func ensureDevice(for configuration: GatewayConfiguration, link: Link) throws(GatewayDataPathError) {
        let name = configuration.linkName
        let wireGuard = try step("open WireGuard in \(gatewayPlace)") {
            try WireGuardClient(namespace: node.gatewayNamespace, options: node.wireGuard)
        }
        let device = try step("read WireGuard device \"\(name)\" in \(gatewayPlace)") { try wireGuard.device(named: name) }
        var change = DeviceConfiguration()
        var parts: [String] = []
        if device.privateKey != configuration.privateKey || device.listenPort != configuration.port {
            change.privateKey = configuration.privateKey
            change.listenPort = configuration.port
            parts.append("private key and listen port \(configuration.port)")
        }
        let peers = PeerPlan.needingConfiguration(configuration.peers, on: device)
        if !peers.isEmpty {
            change.peers = peers.map(PeerPlan.configuration)
            parts.append(PeerPlan.describe(peers))
        }
        if !parts.isEmpty {
            try log.write("\(gatewayPlace): configure \"\(name)\": \(parts.joined(separator: ", "))") {
                try wireGuard.configure(named: name, change)
            }
        }
        dataPath.peerIndex.withLock { index in
            index.reset(port: configuration.port, from: device.peers)
            index.record(peers, port: configuration.port)
        }
        // The link's routes, so a set lookup replaces comparing every peer with every route.
        let routed = try step("list routes of \"\(name)\" in \(gatewayPlace)") {
            Set(try gatewayLinks.routes(table: RouteTable.main, linkIndex: link.index).filter(PeerPlan.isPeerRoute).compactMap(\.destination))
        }
        let missing = PeerPlan.unique(configuration.peers).filter { !routed.contains($0.podCIDR) }
            .map { PeerPlan.route(for: $0, linkIndex: link.index) }
        if !missing.isEmpty {
            try log.write("\(gatewayPlace): replace \(PeerPlan.describe(routes: missing, device: name))") {
                try gatewayLinks.replaceRoutes(missing)
            }
        }
    }

    /// Creates the link in the host namespace (with the userspace backend this starts the
    /// implementation there), sets its alias in a request of its own (the kernel ignores one
    /// given at creation), and moves it into the gateway namespace. If the alias or the move
    /// fails the link is deleted again, so no half-made link stays in the host.
    private func create(_ configuration: GatewayConfiguration) throws(GatewayDataPathError) -> Link {
        let name = configuration.linkName
        let hostWireGuard = try step("open WireGuard in \(hostPlace)") {
            try WireGuardClient(namespace: node.hostNamespace, options: node.wireGuard)
        }
        if try dataPath.lookUpLink(name, in: hostLinks, place: hostPlace) != nil {
            // Left by a run that stopped between creating and moving it: finish the job, but only
            // with a WireGuard device, never with some other link that happens to have the name.
            _ = try step("take over \"\(name)\" left in \(hostPlace)") { try hostWireGuard.device(named: name) }
            log.warning("\(hostPlace): taking over WireGuard link \"\(name)\" left by an earlier run")
        } else {
            try log.write("\(hostPlace): create WireGuard link \"\(name)\" (\(hostWireGuard.backendKind))") {
                try hostWireGuard.createDevice(named: name)
            }
        }
        do {
            try log.write("\(hostPlace): set alias \"\(configuration.uid)\" on \"\(name)\"") {
                try hostLinks.setAlias(name, configuration.uid)
            }
            try log.write("\(hostPlace): move \"\(name)\" to \(gatewayPlace)") {
                try hostLinks.moveLink(name, to: node.gatewayNamespace)
            }
        } catch {
            do {
                try Self.delete(name, wireGuard: hostWireGuard, links: hostLinks)
                log.record("\(hostPlace): delete half-made link \"\(name)\"")
            } catch let rollback {
                throw .rollbackFailed(operation: "create WireGuard link \"\(name)\"", cause: error, rollback: rollback)
            }
            throw error
        }
        log.noteCreated(link: name)
        return try step("get \"\(name)\" in \(gatewayPlace)") { try gatewayLinks.link(named: name) }
    }

    /// Deletes a WireGuard link through its backend, which for a userspace implementation waits
    /// until the implementation has let go of the name; a link the backend does not recognise
    /// is deleted directly.
    static func delete(_ name: String, wireGuard: WireGuardClient?, links: NetlinkHandle) throws {
        if let wireGuard {
            do {
                try wireGuard.deleteDevice(named: name)
                return
            } catch WireGuardError.deviceNotFound {}
        }
        try links.deleteLink(named: name)
    }
}
