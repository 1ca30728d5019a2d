import Firewall
import Netlink
import WireGuard

/// The gateway namespace's part of a gateway: the namespace itself, the WireGuard link and
/// device, the veth to the host with its routes, and the namespace's own settings.
extension GatewayDataPath {
    func ensureGatewayNamespaceState(for configuration: GatewayConfiguration, _ log: ChangeLog) throws(GatewayDataPathError) {
        let gateway = try ensureGatewayNamespace(log)
        let hostLinks = try step("open \(hostPlace)") { try NetlinkHandle(namespace: node.hostNamespace) }
        let gatewayLinks = try step("open \(gatewayPlace)") { try NetlinkHandle(namespace: gateway) }
        let wireGuard = WireGuardLinkSetup(dataPath: self, hostLinks: hostLinks, gatewayLinks: gatewayLinks, log: log)
        let link = try wireGuard.ensureLink(for: configuration)
        try wireGuard.ensureDevice(for: configuration, link: link)
        try ensureVeth(secondaryIP: configuration.secondaryIP, primaryIP: configuration.primaryIP, hostLinks: hostLinks, gatewayLinks: gatewayLinks, log)
        try ensureNamespaceSettings(gatewayLinks: gatewayLinks, log)
    }

    /// The gateway namespace, created the way the Go daemon's init container does (`ip netns
    /// add`) when it does not exist yet.
    func ensureGatewayNamespace(_ log: ChangeLog) throws(GatewayDataPathError) -> NetworkNamespace {
        let namespace = node.gatewayNamespace
        if namespace.exists { return namespace }
        do {
            return try log.write("create \(gatewayPlace)") { try NetworkNamespace.create(named: node.gatewayNamespaceName) }
        } catch {
            // Another creator (an init container) may have been quicker: that is as good.
            if namespace.exists { return namespace }
            throw error
        }
    }

    /// The gateway namespace when it exists; the peer calls need the links `apply` made there.
    func existingGatewayNamespace() throws(GatewayDataPathError) -> NetworkNamespace {
        let namespace = node.gatewayNamespace
        guard namespace.exists else {
            throw .failed(operation: "open \(gatewayPlace)", cause: NetlinkError.notFound(operation: "open \(gatewayPlace)"))
        }
        return namespace
    }

    /// The veth between host and gateway namespace (`host-gateway` / `host0`, the peer created
    /// directly inside the gateway namespace), the host route of the secondary IP into it,
    /// `host0` with the secondary IP, and the gateway namespace's routes to the node: `<primary
    /// IP>/32 dev host0 scope link` and `default via <primary IP> dev host0`. A `/32 scope link`
    /// route on `host0` to an older primary IP is removed. A veth made by this call is deleted
    /// again if the host side cannot be finished.
    func ensureVeth(secondaryIP: IPAddress, primaryIP: IPAddress, hostLinks: NetlinkHandle, gatewayLinks: NetlinkHandle,
                    _ log: ChangeLog) throws(GatewayDataPathError) {
        let hostName = GatewayLayout.hostVeth
        let gatewayName = GatewayLayout.gatewayVeth
        var created = false
        var hostEnd: Link
        if let present = try lookUpLink(hostName, in: hostLinks, place: hostPlace) {
            hostEnd = present
        } else {
            hostEnd = try log.write("\(hostPlace): add veth \"\(hostName)\" with peer \"\(gatewayName)\" in \(gatewayPlace)") {
                try hostLinks.addVeth(name: hostName, peerName: gatewayName, peerNamespace: node.gatewayNamespace)
            }
            created = true
        }
        do {
            if !hostEnd.isUp {
                try log.write("\(hostPlace): set \"\(hostName)\" up") { try hostLinks.setLinkUp(hostName) }
            }
            let routes = try step("list routes of \"\(hostName)\" in \(hostPlace)") {
                try hostLinks.routes(table: RouteTable.main, family: .ipv4, linkIndex: hostEnd.index)
            }
            let toGateway = Route(destination: IPNetwork(host: secondaryIP), linkIndex: hostEnd.index, scope: .universe)
            try RouteMatching.ensure(toGateway, device: hostName, existing: routes, links: hostLinks, place: hostPlace, log: log)
            // The Go daemon creates both ends in the host and then moves `host0`; finish a move it
            // did not get to.
            if try lookUpLink(gatewayName, in: hostLinks, place: hostPlace) != nil {
                try log.write("\(hostPlace): move \"\(gatewayName)\" to \(gatewayPlace)") {
                    try hostLinks.moveLink(gatewayName, to: node.gatewayNamespace)
                }
            }
        } catch {
            guard created else { throw error }
            do {
                try hostLinks.deleteLink(named: hostName)
                log.record("\(hostPlace): delete half-made veth \"\(hostName)\"")
            } catch let rollback {
                throw .rollbackFailed(operation: "set up veth \"\(hostName)\" in \(hostPlace)", cause: error, rollback: rollback)
            }
            throw error
        }

        let peer = try step("get \"\(gatewayName)\" in \(gatewayPlace)") { try gatewayLinks.link(named: gatewayName) }
        let addresses = try step("list addresses of \"\(gatewayName)\" in \(gatewayPlace)") {
            try gatewayLinks.addresses(family: .ipv4).filter { $0.linkIndex == peer.index }
        }
        let wanted = IPNetwork(host: secondaryIP)
        if !addresses.contains(where: { $0.network == wanted }) {
            try log.write("\(gatewayPlace): add address \(wanted) to \"\(gatewayName)\"") {
                try gatewayLinks.addAddress(Address(linkIndex: peer.index, network: wanted))
            }
        }
        if !peer.isUp {
            try log.write("\(gatewayPlace): set \"\(gatewayName)\" up") { try gatewayLinks.setLinkUp(gatewayName) }
        }
        let routes = try step("list routes of \"\(gatewayName)\" in \(gatewayPlace)") {
            try gatewayLinks.routes(table: RouteTable.main, family: .ipv4, linkIndex: peer.index)
        }
        let toNode = Route(destination: IPNetwork(host: primaryIP), linkIndex: peer.index, scope: .link)
        let byNode = Route(destination: nil, gateway: primaryIP, linkIndex: peer.index)
        try RouteMatching.ensure(toNode, device: gatewayName, existing: routes, links: gatewayLinks, place: gatewayPlace, log: log)
        try RouteMatching.ensure(byNode, device: gatewayName, existing: routes, links: gatewayLinks, place: gatewayPlace, log: log)
        for route in routes where route.isHostLinkRoute && route.destination != toNode.destination {
            try log.write("\(gatewayPlace): delete route \(RouteMatching.describe(route, device: gatewayName)) to an earlier primary IP") {
                try gatewayLinks.deleteRoute(route)
            }
        }
    }

    /// `lo` up, and IPv4 forwarding on: the namespace forwards between the WireGuard links and
    /// `host0`, and must not depend on what it inherited from the host when it was created.
    func ensureNamespaceSettings(gatewayLinks: NetlinkHandle, _ log: ChangeLog) throws(GatewayDataPathError) {
        let loopback = try step("get \"lo\" in \(gatewayPlace)") { try gatewayLinks.link(named: "lo") }
        if !loopback.isUp {
            try log.write("\(gatewayPlace): set \"lo\" up") { try gatewayLinks.setLinkUp("lo") }
        }
        let key = "net.ipv4.ip_forward"
        let forwarding = try step("read \(key) in \(gatewayPlace)") { try node.gatewayNamespace.readSysctl(key) }
        if forwarding != "1" {
            try log.write("\(gatewayPlace): set \(key)=1") { try node.gatewayNamespace.writeSysctl(key, "1") }
        }
    }

    /// Ensures the gateway's nat chains in the gateway namespace: connmark `<port>` on what
    /// arrives from `wg-<port>`, source NAT to the secondary IP for what leaves by `host0`.
    func ensureGatewayFirewall(for configuration: GatewayConfiguration, _ log: ChangeLog) async throws(GatewayDataPathError) {
        do {
            let state = try GatewayRules.gatewayNetns(port: Int(configuration.port), secondaryIP: configuration.secondaryIP.description)
            log.record(try await gatewayIPTables().apply(state), in: gatewayPlace)
        } catch {
            throw .failed(operation: "apply the nat chains of \"\(configuration.linkName)\" in \(gatewayPlace)", cause: error)
        }
    }

    /// The link called `name`, or nil when there is none.
    func lookUpLink(_ name: String, in links: NetlinkHandle, place: String) throws(GatewayDataPathError) -> Link? {
        do {
            return try links.link(named: name)
        } catch NetlinkError.notFound {
            return nil
        } catch {
            throw .failed(operation: "get link \"\(name)\" in \(place)", cause: error)
        }
    }
}

extension Route {
    /// An IPv4 `/32 … scope link` route without next hop that no address made: the shape of the
    /// route to the node's primary IP.
    var isHostLinkRoute: Bool {
        family == .ipv4 && destination?.prefixLength == 32 && gateway == nil && via == nil
            && scope == .link && type == .unicast && self.protocol != .kernel
    }
}
