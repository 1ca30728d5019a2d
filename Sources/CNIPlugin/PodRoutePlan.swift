import Netlink

/// The route changes of upstream-cni §1.6 for one pod, computed from the routes `eth0` has before
/// ADD touches them. Pure, so every case of the spec can be checked without a kernel; applying
/// it is ``PodNetworkSetup``'s job.
struct PodRoutePlan: Equatable {
    /// The gateway's WireGuard address, the next hop of every route into the tunnel.
    static let gatewayAddress = IPAddress("fe80::1")!
    /// Mark, rule and table of the ingress-symmetry policy routing.
    static let ingressTable: UInt32 = 8738

    /// Main-table routes of `eth0` to delete first (gateway-default mode: all of them).
    var deletions: [Route]
    /// Routes to replace-add, in order.
    var additions: [Route]
    /// The copy of the original default route for table 8738.
    var ingressDefault: Route
    /// The result's routes: they replace the previous ones (gateway-default mode) or are
    /// appended to them (Azure-networking mode).
    var resultRoutes: [CNIResult.RouteEntry]
    var replacesResultRoutes: Bool

    /// - Parameters:
    ///   - eth0Routes: every main-table route whose output link is `eth0`, both families, as listed.
    ///   - gatewayExceptions: the SGC's `excludeCidrs` (from nicAdd).
    ///   - excludedCIDRs: the config's `excludedCIDRs` (see ``excludedNetworks(_:)``), used in
    ///     gateway-default mode only.
    static func make(eth0Routes: [Route], eth0Index: Int32, wg0Index: Int32, mode: DefaultRouteMode,
                     gatewayExceptions: [IPNetwork], excludedCIDRs: [IPNetwork], gateway: String) throws(CNIError) -> PodRoutePlan {
        // The last IPv4 default route, as upstream picks it.
        guard let original = eth0Routes.last(where: { $0.family == .ipv4 && $0.destination == nil && $0.type == .unicast }),
              let defaultGateway = original.gateway else {
            throw CNIError(code: .internalFailure,
                           message: "eth0 has no IPv4 default route via a gateway: the main CNI plugin must install one before egressgw-cni runs")
        }
        var ingressDefault = original
        ingressDefault.table = ingressTable

        var cidrs: [IPNetwork] = []
        for cidr in gatewayExceptions {
            cidrs.append(try ipv4Network(cidr, source: "excludeCidrs of StaticGatewayConfiguration \(gateway)"))
        }
        switch mode {
        case .staticEgressGateway:
            cidrs += excludedCIDRs
            let gatewayHost = IPNetwork(host: defaultGateway)
            var additions = [
                Route(destination: gatewayHost, linkIndex: eth0Index, scope: .link),
                Route(destination: nil, family: .ipv4, via: gatewayAddress, linkIndex: wg0Index),
            ]
            var results = [
                CNIResult.RouteEntry(destination: gatewayHost),
                CNIResult.RouteEntry(destination: IPNetwork("0.0.0.0/0")!, gateway: gatewayAddress),
            ]
            for cidr in cidrs {
                additions.append(Route(destination: cidr, gateway: defaultGateway, linkIndex: eth0Index, protocol: .static))
                results.append(CNIResult.RouteEntry(destination: cidr, gateway: defaultGateway))
            }
            return PodRoutePlan(deletions: eth0Routes, additions: additions, ingressDefault: ingressDefault,
                                resultRoutes: results, replacesResultRoutes: true)
        case .azureNetworking:
            return PodRoutePlan(
                deletions: [],
                additions: cidrs.map { Route(destination: $0, family: .ipv4, via: gatewayAddress, linkIndex: wg0Index) },
                ingressDefault: ingressDefault,
                resultRoutes: cidrs.map { CNIResult.RouteEntry(destination: $0, gateway: gatewayAddress) },
                replacesResultRoutes: false)
        }
    }

    /// The config's `excludedCIDRs` as networks, checked before ADD changes anything: each must
    /// be an IPv4 CIDR (normalised to its network address).
    static func excludedNetworks(_ texts: [String]) throws(CNIError) -> [IPNetwork] {
        var networks: [IPNetwork] = []
        for text in texts {
            guard let cidr = IPNetwork(text), cidr.address.isIPv4 else {
                throw CNIError.invalidConfig(field: "excludedCIDRs", value: text, reason: "must be an IPv4 CIDR like 10.0.0.0/8")
            }
            networks.append(cidr.network)
        }
        return networks
    }

    /// `cidr` normalised to its network address (`172.17.0.4/16` → `172.17.0.0/16`); IPv6 is
    /// refused because the pod side is IPv4-only (the routes' next hops are IPv4 or RTA_VIA).
    private static func ipv4Network(_ cidr: IPNetwork, source: String) throws(CNIError) -> IPNetwork {
        guard cidr.address.isIPv4 else {
            throw CNIError(code: .invalidConfig, message: "\(source): \(cidr) is IPv6; only IPv4 CIDRs can be routed around or into the tunnel")
        }
        return cidr.network
    }
}
