import Foundation
import Netlink
import Testing

@Suite("Routes", .enabled(if: isRoot, "needs root: creates network namespaces and links"))
struct RouteTests {
    /// A namespace with an up veth `rt0` (10.1.0.1/24, fd00::1/64) whose peer `rt1` is up too.
    private func withLink(_ label: String, _ body: (NetworkNamespace, NetlinkHandle, Link) throws -> Void) throws {
        try withNamespace(label) { ns in
            let handle = try NetlinkHandle(namespace: ns)
            let link = try handle.addVeth(name: "rt0", peerName: "rt1")
            try handle.setLinkUp("rt0")
            try handle.setLinkUp("rt1")
            try handle.addAddress(Address(linkIndex: link.index, network: IPNetwork("10.1.0.1/24")!))
            try handle.addAddress(Address(linkIndex: link.index, network: IPNetwork("fd00::1/64")!, flags: .noDAD))
            try body(ns, handle, link)
        }
    }

    @Test func routesMadeByLibraryAreSeenByIP() throws {
        try withLink("rtadd") { ns, handle, link in
            let inTable = Route(destination: IPNetwork("10.9.0.0/16"), gateway: IPAddress("10.1.0.2"), linkIndex: link.index,
                                table: 100, protocol: .static, priority: 7)
            try handle.addRoute(inTable)
            let seen = try #require(try ipJSON(ns, ["-d", "route", "show", "table", "100"]).first)
            #expect(seen["dst"] as? String == "10.9.0.0/16")
            #expect(seen["gateway"] as? String == "10.1.0.2")
            #expect(seen["dev"] as? String == "rt0")
            #expect(seen["protocol"] as? String == "static")
            #expect(seen["metric"] as? Int == 7)
            #expect(seen["scope"] as? String == "global")

            // Directly on the link: scope link, as `ip route add … dev rt0` would choose.
            let onLink = Route(destination: IPNetwork("10.7.0.7/32"), linkIndex: link.index, preferredSource: IPAddress("10.1.0.1"))
            try handle.addRoute(onLink)
            let seenOnLink = try #require(try ipJSON(ns, ["-d", "route", "show", "10.7.0.7/32"]).first)
            #expect(seenOnLink["scope"] as? String == "link")
            #expect(seenOnLink["prefsrc"] as? String == "10.1.0.1")
            #expect(seenOnLink["protocol"] as? String == "boot")

            // A table id above 255 travels in RTA_TABLE only.
            let bigTable = Route(destination: nil, gateway: IPAddress("10.1.0.254"), table: 8738)
            try handle.addRoute(bigTable)
            let seenDefault = try #require(try ipJSON(ns, ["route", "show", "table", "8738"]).first)
            #expect(seenDefault["dst"] as? String == "default")
            #expect(seenDefault["gateway"] as? String == "10.1.0.254")

            let v6 = Route(destination: IPNetwork("2001:db8::/64"), gateway: IPAddress("fd00::2"), linkIndex: link.index, priority: 50)
            try handle.addRoute(v6)
            let seen6 = try #require(try ipJSON(ns, ["-6", "route", "show", "2001:db8::/64"]).first)
            #expect(seen6["gateway"] as? String == "fd00::2")
            #expect(seen6["metric"] as? Int == 50)

            let read = try handle.routes(table: 100)
            #expect(read == [inTable], "read back: \(read)")
            var resolved = bigTable
            resolved.linkIndex = link.index // the kernel fills in the link that reaches the gateway
            #expect(try handle.routes(table: 8738) == [resolved])
            #expect(try handle.routes(family: .ipv6).contains(v6))
            #expect(try handle.routes().contains(onLink))
            #expect(try handle.routes(table: nil).contains { $0.table == RouteTable.local })
            #expect(try handle.routes(linkIndex: link.index).allSatisfy { $0.linkIndex == link.index })
        }
    }

    @Test func readsRoutesMadeByIP() throws {
        try withLink("rtread") { ns, handle, link in
            try ip(ns, "route", "add", "10.20.0.0/16", "via", "10.1.0.2", "dev", "rt0", "table", "100", "metric", "9", "proto", "static")
            try ip(ns, "route", "add", "blackhole", "10.66.0.0/16")
            try ip(ns, "-6", "route", "add", "2001:db8:1::/48", "via", "fd00::3", "dev", "rt0")
            try ip(ns, "route", "add", "10.30.0.0/16", "via", "inet6", "fe80::1", "dev", "rt0")

            let table100 = try handle.routes(table: 100)
            #expect(table100.count == 1)
            let route = try #require(table100.first)
            #expect(route.destination == IPNetwork("10.20.0.0/16"))
            #expect(route.gateway == IPAddress("10.1.0.2"))
            #expect(route.linkIndex == link.index)
            #expect(route.table == 100)
            #expect(route.priority == 9)
            #expect(route.protocol == .static)
            #expect(route.scope == .universe)
            #expect(route.family == .ipv4)

            let main = try handle.routes()
            #expect(main.contains { $0.destination == IPNetwork("10.66.0.0/16") && $0.type == .blackhole })
            let kernelRoute = try #require(main.first { $0.destination == IPNetwork("10.1.0.0/24") })
            #expect(kernelRoute.protocol == .kernel)
            #expect(kernelRoute.scope == .link)
            #expect(kernelRoute.preferredSource == IPAddress("10.1.0.1"))
            let viaRoute = try #require(main.first { $0.destination == IPNetwork("10.30.0.0/16") })
            #expect(viaRoute.via == IPAddress("fe80::1"))
            #expect(viaRoute.gateway == nil)
            #expect(viaRoute.family == .ipv4)
            let v6 = try #require(try handle.routes(family: .ipv6).first { $0.destination == IPNetwork("2001:db8:1::/48") })
            #expect(v6.gateway == IPAddress("fd00::3"))
            #expect(v6.priority == 1024, "the kernel's default IPv6 metric")
        }
    }

    /// The pod side of the CNI spec: `0.0.0.0/0 via inet6 fe80::1 dev wg0`, where `fe80::1` is the
    /// gateway end of the tunnel. A veth end named `wg0` stands in for the WireGuard link, and its
    /// peer in a second namespace owns `fe80::1`.
    @Test func ipv4DefaultRouteViaIPv6NextHop() throws {
        try withNamespace("viapod") { pod in
            try withNamespace("viagw") { gateway in
                let handle = try NetlinkHandle(namespace: pod)
                let wg0 = try handle.addVeth(name: "wg0", peerName: "gw-end", peerNamespace: gateway)
                try handle.setLinkUp("wg0")
                try handle.addAddress(Address(linkIndex: wg0.index, network: IPNetwork("10.244.0.5/32")!))
                try handle.addAddress(Address(linkIndex: wg0.index, network: IPNetwork("fe80::2/64")!, flags: .noDAD))
                let gatewayHandle = try NetlinkHandle(namespace: gateway)
                let gwEnd = try gatewayHandle.link(named: "gw-end")
                try gatewayHandle.setLinkUp("gw-end")
                try gatewayHandle.addAddress(Address(linkIndex: gwEnd.index, network: IPNetwork("fe80::1/64")!, flags: .noDAD))

                let defaultRoute = Route(destination: nil, via: IPAddress("fe80::1"), linkIndex: wg0.index)
                #expect(defaultRoute.family == .ipv4)
                try handle.addRoute(defaultRoute)

                let seen = try #require(try ipJSON(pod, ["-4", "route", "show", "default"]).first)
                #expect(seen["dev"] as? String == "wg0")
                let via = try #require(seen["via"] as? [String: Any])
                #expect(via["family"] as? String == "inet6")
                #expect(via["host"] as? String == "fe80::1")
                #expect(try ipJSON(pod, ["-6", "route", "show", "default"]).isEmpty, "no IPv6 default route was made")

                // The kernel resolves an IPv4 destination through the IPv6 next hop.
                let lookup = try #require(try ipJSON(pod, ["route", "get", "192.0.2.1"]).first)
                #expect((lookup["via"] as? [String: Any])?["host"] as? String == "fe80::1")
                #expect(lookup["dev"] as? String == "wg0")

                #expect(try handle.routes(family: .ipv4).contains(defaultRoute))
                #expect(netlinkError { try handle.addRoute(defaultRoute) }?.kind == "exists")
                // Replacing is idempotent, as the CNI plugin's replace-add needs.
                try handle.replaceRoute(defaultRoute)
                let exception = Route(destination: IPNetwork("172.16.0.0/12"), via: IPAddress("fe80::1"), linkIndex: wg0.index)
                try handle.replaceRoute(exception)
                #expect(try ipJSON(pod, ["route", "show", "172.16.0.0/12"]).count == 1)

                try handle.deleteRoute(defaultRoute)
                #expect(try ipJSON(pod, ["-4", "route", "show", "default"]).isEmpty)
            }
        }
    }

    @Test func replaceDeleteAndErrors() throws {
        try withLink("rtdel") { ns, handle, link in
            let route = Route(destination: IPNetwork("10.50.0.0/24"), gateway: IPAddress("10.1.0.2"), linkIndex: link.index)
            try handle.addRoute(route)
            let exists = netlinkError { try handle.addRoute(route) }
            #expect(exists == .exists(operation: "add route 10.50.0.0/24 via 10.1.0.2 dev #\(link.index) table 254 in \(ns)"))

            var moved = route
            moved.gateway = IPAddress("10.1.0.3")
            try handle.replaceRoute(moved)
            let seen = try ipJSON(ns, ["route", "show", "10.50.0.0/24"])
            #expect(seen.count == 1)
            #expect(seen.first?["gateway"] as? String == "10.1.0.3")

            // Deletion matches on what the route names; scope and protocol are wildcards.
            try handle.deleteRoute(Route(destination: IPNetwork("10.50.0.0/24")))
            #expect(try ipJSON(ns, ["route", "show", "10.50.0.0/24"]).isEmpty)
            #expect(netlinkError { try handle.deleteRoute(route) }?.kind == "notFound")

            let wrongFamily = netlinkError {
                try handle.addRoute(Route(destination: IPNetwork("10.51.0.0/24"), gateway: IPAddress("fd00::2"), linkIndex: link.index))
            }
            #expect(wrongFamily?.kind == "invalidArgument")
            #expect(wrongFamily?.description.contains("gateway fd00::2") == true)
            let both = netlinkError {
                try handle.addRoute(Route(destination: IPNetwork("10.51.0.0/24"), gateway: IPAddress("10.1.0.2"), via: IPAddress("fe80::1")))
            }
            #expect(both?.kind == "invalidArgument")
            let hostBits = netlinkError { try handle.addRoute(Route(destination: IPNetwork("10.52.0.1/24"), linkIndex: link.index)) }
            #expect(hostBits?.kind == "invalidArgument", "the kernel explains: \(String(describing: hostBits))")
            #expect(netlinkError { try handle.addRoute(Route(destination: IPNetwork("10.53.0.0/24"), linkIndex: 4242)) }?.kind == "notFound")
            #expect(try ipJSON(ns, ["route", "show"]).allSatisfy { ($0["dst"] as? String)?.hasPrefix("10.5") != true })
        }
    }

    @Test func thousandRoutesInOneBatch() throws {
        try withLink("rtbatch") { ns, handle, link in
            let routes = (0..<1000).map { i in
                Route(destination: IPNetwork(host: .v4(0x0A64_0000 | UInt32(i))), linkIndex: link.index, table: 1000)
            }
            try handle.replaceRoutes(routes)
            let seen = try ipJSON(ns, ["route", "show", "table", "1000"])
            #expect(seen.count == 1000)
            #expect(Set(seen.compactMap { $0["dst"] as? String }) == Set(routes.map { $0.destination!.address.description }))
            #expect(Set(try handle.routes(table: 1000)) == Set(routes))

            // Replacing the same set again changes nothing and fails nothing.
            try handle.replaceRoutes(routes)
            #expect(try ipJSON(ns, ["route", "show", "table", "1000"]).count == 1000)

            try handle.deleteRoutes(routes)
            #expect(try ipJSON(ns, ["route", "show", "table", "1000"]).isEmpty)
            #expect(try handle.routes(table: 1000).isEmpty)

            // A failing message names its route; the rest of the batch is still applied.
            let partial = [routes[0], Route(destination: IPNetwork("10.200.0.0/24"), linkIndex: 4242, table: 1000), routes[1]]
            let error = netlinkError { try handle.replaceRoutes(partial) }
            #expect(error?.kind == "notFound")
            #expect(error?.description.contains("10.200.0.0/24") == true)
            #expect(try handle.routes(table: 1000).count == 2)
            #expect(netlinkError { try handle.deleteRoutes(routes) }?.kind == "notFound")
            #expect(try handle.routes(table: 1000).isEmpty)
        }
    }
}
