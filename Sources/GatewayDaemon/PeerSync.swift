import Netlink
import WireGuard

/// The peers of a gateway link and their routes (`<pod CIDR> dev wg-<port> scope link`): the
/// upstream shape is one peer per pod with its CIDR as allowed IPs, replaced rather than added
/// to, no endpoint (learnt from the pod's handshake) and no keepalive.
enum PeerPlan {
    /// One entry per public key, the last one winning, as the device would end up after
    /// configuring them in order.
    static func unique(_ peers: [GatewayPeer]) -> [GatewayPeer] {
        var index: [PublicKey: Int] = [:]
        var result: [GatewayPeer] = []
        for peer in peers {
            if let position = index[peer.publicKey] {
                result[position] = peer
            } else {
                index[peer.publicKey] = result.count
                result.append(peer)
            }
        }
        return result
    }

    /// The peers of `desired` that `device` lacks or has with other allowed IPs.
    static func needingConfiguration(_ desired: [GatewayPeer], on device: Device) -> [GatewayPeer] {
        var current: [PublicKey: Set<IPNetwork>] = [:]
        for peer in device.peers { current[peer.publicKey] = Set(peer.allowedIPs) }
        return unique(desired).filter { current[$0.publicKey] != [$0.podCIDR] }
    }

    static func configuration(_ peer: GatewayPeer) -> PeerConfiguration {
        PeerConfiguration(publicKey: peer.publicKey, replaceAllowedIPs: true, allowedIPs: [peer.podCIDR])
    }

    static func route(for peer: GatewayPeer, linkIndex: Int32) -> Route {
        Route(destination: peer.podCIDR, linkIndex: linkIndex, scope: .link)
    }

    /// A route on a gateway link that a peer could own: made by a program (not by the kernel
    /// for an address, such as `fe80::/64`), on-link, without next hop.
    static func isPeerRoute(_ route: Route) -> Bool {
        route.destination != nil && route.gateway == nil && route.via == nil && route.scope == .link
            && route.type == .unicast && route.protocol != .kernel
    }

    /// `peer <key> (10.244.0.7/32)` for a few peers, a count for many: change lines stay short.
    static func describe(_ peers: [GatewayPeer]) -> String {
        guard peers.count <= 3 else { return "\(peers.count) peers" }
        return peers.map { "peer \($0.publicKey) (\($0.podCIDR))" }.joined(separator: ", ")
    }

    static func describe(keys: [PublicKey]) -> String {
        keys.count <= 3 ? keys.map { "peer \($0)" }.joined(separator: ", ") : "\(keys.count) peers"
    }

    static func describe(routes: [Route], device: String) -> String {
        guard routes.count <= 3 else { return "\(routes.count) routes dev \(device)" }
        return routes.map { "route " + RouteMatching.describe($0, device: device) }.joined(separator: ", ")
    }
}

/// The peer calls of ``GatewayDataPath``, run on a blocking thread.
extension GatewayDataPath {
    /// The gateway namespace's handles and the link of `port`, which must exist.
    private func openLink(port: UInt16) throws(GatewayDataPathError) -> (NetlinkHandle, WireGuardClient, Link) {
        let gateway = try existingGatewayNamespace()
        let name = GatewayLayout.wireGuardLinkName(port: port)
        let links = try step("open \(gatewayPlace)") { try NetlinkHandle(namespace: gateway) }
        let wireGuard = try step("open WireGuard in \(gatewayPlace)") { try WireGuardClient(namespace: gateway, options: node.wireGuard) }
        let link = try step("get \"\(name)\" in \(gatewayPlace)") { try links.link(named: name) }
        return (links, wireGuard, link)
    }

    func addPeers(_ peers: [GatewayPeer], port: UInt16, _ log: ChangeLog) throws(GatewayDataPathError) {
        let peers = PeerPlan.unique(peers)
        guard !peers.isEmpty else { return }
        let (links, wireGuard, link) = try openLink(port: port)
        try log.write("\(gatewayPlace): configure \"\(link.name)\": \(PeerPlan.describe(peers))") {
            try wireGuard.configure(named: link.name, DeviceConfiguration(peers: peers.map(PeerPlan.configuration)))
        }
        peerIndex.withLock { $0.record(peers, port: port) }
        let routes = peers.map { PeerPlan.route(for: $0, linkIndex: link.index) }
        try log.write("\(gatewayPlace): replace \(PeerPlan.describe(routes: routes, device: link.name))") {
            try links.replaceRoutes(routes)
        }
    }

    func removePeers(_ peers: [GatewayPeer], port: UInt16, _ log: ChangeLog) throws(GatewayDataPathError) {
        let peers = PeerPlan.unique(peers)
        guard !peers.isEmpty else { return }
        let (links, wireGuard, link) = try openLink(port: port)
        try removeFromDevice(peers.map(\.publicKey), link: link, wireGuard: wireGuard, log)
        let addresses = peerIndex.withLock { $0.remove(peers, port: port) }
        let routes = addresses.map { Route(destination: $0, linkIndex: link.index, scope: .link) }
        try deleteRoutes(routes, link: link, links: links, log)
    }

    /// The sweep of one link: peers not in `keeping` go, and so does every peer-shaped route
    /// that no remaining peer's allowed IPs cover (left by a removal that failed halfway, or by
    /// a pod whose address changed). A missing link has nothing to sweep. Returns the removed
    /// and the kept keys.
    func removeStalePeers(port: UInt16, keeping: Set<PublicKey>, _ log: ChangeLog) throws(GatewayDataPathError) -> ([PublicKey], [PublicKey]) {
        let name = GatewayLayout.wireGuardLinkName(port: port)
        guard node.gatewayNamespace.exists else { return ([], []) }
        let links = try step("open \(gatewayPlace)") { try NetlinkHandle(namespace: node.gatewayNamespace) }
        guard let link = try lookUpLink(name, in: links, place: gatewayPlace) else { return ([], []) }
        let wireGuard = try step("open WireGuard in \(gatewayPlace)") {
            try WireGuardClient(namespace: node.gatewayNamespace, options: node.wireGuard)
        }
        let device = try step("read WireGuard device \"\(name)\" in \(gatewayPlace)") { try wireGuard.device(named: name) }
        let stale = device.peers.filter { !keeping.contains($0.publicKey) }
        let kept = device.peers.filter { keeping.contains($0.publicKey) }
        if !stale.isEmpty {
            try removeFromDevice(stale.map(\.publicKey), link: link, wireGuard: wireGuard, log)
        }
        peerIndex.withLock { $0.reset(port: port, from: kept) }
        let covered = Set(kept.flatMap(\.allowedIPs))
        let routes = try step("list routes of \"\(name)\" in \(gatewayPlace)") {
            try links.routes(table: RouteTable.main, linkIndex: link.index)
        }
        try deleteRoutes(routes.filter { PeerPlan.isPeerRoute($0) && !covered.contains($0.destination!) }, link: link, links: links, log)
        return (stale.map(\.publicKey), kept.map(\.publicKey))
    }

    private func removeFromDevice(_ keys: [PublicKey], link: Link, wireGuard: WireGuardClient, _ log: ChangeLog) throws(GatewayDataPathError) {
        try log.write("\(gatewayPlace): configure \"\(link.name)\": remove \(PeerPlan.describe(keys: keys))") {
            try wireGuard.configure(named: link.name, DeviceConfiguration(peers: keys.map(PeerConfiguration.removing)))
        }
    }

    /// Deletes `routes` in one batch. A route already gone is fine (the caller's view may be
    /// older than the kernel's): when the batch reports an error, each route is retried alone so
    /// that only a real failure is thrown.
    private func deleteRoutes(_ routes: [Route], link: Link, links: NetlinkHandle, _ log: ChangeLog) throws(GatewayDataPathError) {
        guard !routes.isEmpty else { return }
        try log.write("\(gatewayPlace): delete \(PeerPlan.describe(routes: routes, device: link.name))") {
            do {
                try links.deleteRoutes(routes)
            } catch {
                for route in routes {
                    do {
                        try links.deleteRoute(route)
                    } catch NetlinkError.notFound {}
                }
            }
        }
    }
}
