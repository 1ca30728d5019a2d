import Netlink
import Testing
@testable import CNIPlugin

/// upstream-cni §5.16–18: eth0 (index 1) with a default route via 10.244.0.1 and its subnet
/// route, wg0 index 2, SGC exceptions 1.2.3.4/32 and 172.17.0.4/16.
@Suite("route plan of both defaultRoute modes")
struct RoutePlanTests {
    static let defaultRoute = Route(destination: nil, gateway: ip("10.244.0.1"), linkIndex: 1)
    static let subnetRoute = Route(destination: cidr("10.244.0.0/24"), linkIndex: 1, scope: .link, protocol: .kernel,
                                   preferredSource: ip("10.244.0.20"))
    static let linkLocal = Route(destination: cidr("fe80::/64"), linkIndex: 1, protocol: .kernel, priority: 256)
    static let eth0Routes = [defaultRoute, subnetRoute, linkLocal]
    static let exceptions = [cidr("1.2.3.4/32"), cidr("172.17.0.4/16")]

    func plan(_ mode: DefaultRouteMode, excluded: [String] = []) throws -> PodRoutePlan {
        try PodRoutePlan.make(eth0Routes: Self.eth0Routes, eth0Index: 1, wg0Index: 2, mode: mode,
                              gatewayExceptions: Self.exceptions, excludedCIDRs: try PodRoutePlan.excludedNetworks(excluded),
                              gateway: "sgw1")
    }

    @Test("gateway-default: every eth0 route goes, the gateway host route, default via inet6 fe80::1, exceptions via eth0")
    func gatewayDefault() throws {
        let plan = try plan(.staticEgressGateway)
        #expect(plan.deletions == Self.eth0Routes)
        #expect(plan.additions == [
            Route(destination: cidr("10.244.0.1/32"), linkIndex: 1, scope: .link),
            Route(destination: nil, family: .ipv4, via: ip("fe80::1"), linkIndex: 2),
            Route(destination: cidr("1.2.3.4/32"), gateway: ip("10.244.0.1"), linkIndex: 1, protocol: .static),
            Route(destination: cidr("172.17.0.0/16"), gateway: ip("10.244.0.1"), linkIndex: 1, protocol: .static),
        ])
        #expect(plan.additions[1].scope == .universe && plan.additions[1].gateway == nil)
        #expect(plan.replacesResultRoutes)
        #expect(plan.resultRoutes == [
            .init(destination: cidr("10.244.0.1/32")),
            .init(destination: cidr("0.0.0.0/0"), gateway: ip("fe80::1")),
            .init(destination: cidr("1.2.3.4/32"), gateway: ip("10.244.0.1")),
            .init(destination: cidr("172.17.0.0/16"), gateway: ip("10.244.0.1")),
        ])
        var ingress = Self.defaultRoute
        ingress.table = 8738
        #expect(plan.ingressDefault == ingress)
    }

    @Test("gateway-default with excludedCIDRs: appended after the SGC's, via eth0")
    func gatewayDefaultExcluded() throws {
        let plan = try plan(.staticEgressGateway, excluded: ["10.244.0.0/16", "10.245.0.0/16"])
        #expect(plan.additions.suffix(2) == [
            Route(destination: cidr("10.244.0.0/16"), gateway: ip("10.244.0.1"), linkIndex: 1, protocol: .static),
            Route(destination: cidr("10.245.0.0/16"), gateway: ip("10.244.0.1"), linkIndex: 1, protocol: .static),
        ])
        #expect(plan.resultRoutes.map(\.destination.description) ==
                ["10.244.0.1/32", "0.0.0.0/0", "1.2.3.4/32", "172.17.0.0/16", "10.244.0.0/16", "10.245.0.0/16"])
    }

    @Test("Azure networking: nothing deleted, only the SGC CIDRs via inet6 fe80::1 dev wg0, excludedCIDRs ignored")
    func azureNetworking() throws {
        let plan = try plan(.azureNetworking, excluded: ["10.244.0.0/16"])
        #expect(plan.deletions.isEmpty)
        #expect(plan.additions == [
            Route(destination: cidr("1.2.3.4/32"), family: .ipv4, via: ip("fe80::1"), linkIndex: 2),
            Route(destination: cidr("172.17.0.0/16"), family: .ipv4, via: ip("fe80::1"), linkIndex: 2),
        ])
        #expect(!plan.replacesResultRoutes)
        #expect(plan.resultRoutes == [.init(destination: cidr("1.2.3.4/32"), gateway: ip("fe80::1")),
                                      .init(destination: cidr("172.17.0.0/16"), gateway: ip("fe80::1"))])
        #expect(plan.ingressDefault.table == 8738 && plan.ingressDefault.gateway == ip("10.244.0.1"))
    }

    @Test("the last IPv4 default route of eth0 is the original one")
    func lastDefault() throws {
        let other = Route(destination: nil, gateway: ip("10.244.0.254"), linkIndex: 1, priority: 100)
        let plan = try PodRoutePlan.make(eth0Routes: [Self.defaultRoute, other], eth0Index: 1, wg0Index: 2,
                                         mode: .staticEgressGateway, gatewayExceptions: [], excludedCIDRs: [], gateway: "g")
        #expect(plan.ingressDefault.gateway == ip("10.244.0.254"))
        #expect(plan.additions.first?.destination == cidr("10.244.0.254/32"))
    }

    @Test("no default route on eth0 is an error; so is an IPv6 exception CIDR from the SGC")
    func errors() {
        #expect(throws: CNIError.self) {
            try PodRoutePlan.make(eth0Routes: [Self.subnetRoute], eth0Index: 1, wg0Index: 2, mode: .azureNetworking,
                                  gatewayExceptions: [], excludedCIDRs: [], gateway: "g")
        }
        #expect(throws: CNIError(code: .invalidConfig,
                                 message: "excludeCidrs of StaticGatewayConfiguration sgw1: fd00::/8 is IPv6; only IPv4 CIDRs can be routed around or into the tunnel")) {
            try PodRoutePlan.make(eth0Routes: Self.eth0Routes, eth0Index: 1, wg0Index: 2, mode: .staticEgressGateway,
                                  gatewayExceptions: [cidr("fd00::/8")], excludedCIDRs: [], gateway: "sgw1")
        }
    }
}
