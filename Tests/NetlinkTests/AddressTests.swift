import Foundation
import Netlink
import Testing

@Suite("Addresses", .enabled(if: isRoot, "needs root: creates network namespaces and links"))
struct AddressTests {
    /// A namespace with an up veth pair `addr0`/`addr1`, and a handle on it.
    private func withLink(_ label: String, _ body: (NetworkNamespace, NetlinkHandle, Link) throws -> Void) throws {
        try withNamespace(label) { ns in
            let handle = try NetlinkHandle(namespace: ns)
            try handle.addVeth(name: "addr0", peerName: "addr1")
            try handle.setLinkUp("addr0")
            try handle.setLinkUp("addr1")
            try body(ns, handle, try handle.link(named: "addr0"))
        }
    }

    /// `addr_info` of `ip -j addr show dev <name>`.
    private func ipAddresses(_ ns: NetworkNamespace, _ name: String) throws -> [[String: Any]] {
        try ipJSON(ns, ["addr", "show", "dev", name]).first?["addr_info"] as? [[String: Any]] ?? []
    }

    @Test func addressesMadeByLibraryAreSeenByIP() throws {
        try withLink("addradd") { ns, handle, link in
            let v4 = Address(linkIndex: link.index, network: try #require(IPNetwork("10.1.0.1/24")), label: "addr0:web",
                             broadcast: IPAddress("10.1.0.255"))
            let v6 = Address(linkIndex: link.index, network: try #require(IPNetwork("fd00::1/64")), flags: .noDAD)
            let linkScoped = Address(linkIndex: link.index, network: try #require(IPNetwork("169.254.7.7/16")), scope: .link)
            try handle.addAddress(v4)
            try handle.addAddress(v6)
            try handle.addAddress(linkScoped)

            let seen = try ipAddresses(ns, "addr0")
            let ip4 = try #require(seen.first { $0["local"] as? String == "10.1.0.1" })
            #expect(ip4["prefixlen"] as? Int == 24)
            #expect(ip4["label"] as? String == "addr0:web")
            #expect(ip4["broadcast"] as? String == "10.1.0.255")
            #expect(ip4["scope"] as? String == "global")
            let ip6 = try #require(seen.first { $0["local"] as? String == "fd00::1" })
            #expect(ip6["prefixlen"] as? Int == 64)
            #expect(ip6["nodad"] as? Bool == true)
            #expect(ip6["tentative"] == nil, "nodad makes the address usable at once")
            #expect(seen.first { $0["local"] as? String == "169.254.7.7" }?["scope"] as? String == "link")

            let read = try handle.addresses(linkNamed: "addr0")
            let back4 = try #require(read.first { $0.network == v4.network })
            #expect(back4.label == "addr0:web")
            #expect(back4.broadcast == IPAddress("10.1.0.255"))
            #expect(back4.flags.contains(.permanent))
            #expect(back4.scope == .universe)
            let back6 = try #require(read.first { $0.network == v6.network })
            #expect(back6.flags.contains(.noDAD))
            #expect(!back6.flags.contains(.tentative))
            #expect(try handle.addresses(linkNamed: "addr0", family: .ipv4).map(\.network).sorted()
                == [IPNetwork("10.1.0.1/24")!, IPNetwork("169.254.7.7/16")!])
            #expect(try handle.addresses(linkNamed: "addr0", family: .ipv6).allSatisfy { $0.family == .ipv6 })
        }
    }

    @Test func readsAddressesMadeByIP() throws {
        try withLink("addrread") { ns, handle, link in
            try ip(ns, "addr", "add", "10.2.0.9/16", "dev", "addr0", "label", "addr0:ext")
            try ip(ns, "addr", "add", "fd00:2::9/80", "dev", "addr0", "nodad")
            let read = try handle.addresses(linkNamed: "addr0")
            let v4 = try #require(read.first { $0.network == IPNetwork("10.2.0.9/16") })
            #expect(v4.linkIndex == link.index)
            #expect(v4.label == "addr0:ext")
            #expect(v4.family == .ipv4)
            let v6 = try #require(read.first { $0.network == IPNetwork("fd00:2::9/80") })
            #expect(v6.flags.contains(.noDAD))
            #expect(v6.flags.contains(.permanent))
            // The kernel's own link-local address is listed too, with link scope.
            #expect(read.contains { $0.network.address.description.hasPrefix("fe80::") && $0.scope == .link })
            try handle.setLinkUp("lo")
            #expect(try handle.addresses().contains { $0.network == IPNetwork("127.0.0.1/8") && $0.linkIndex == 1 })
        }
    }

    @Test func duplicateMissingAndDelete() throws {
        try withLink("addrdel") { ns, handle, link in
            let v4 = Address(linkIndex: link.index, network: try #require(IPNetwork("10.3.0.1/24")))
            let v6 = Address(linkIndex: link.index, network: try #require(IPNetwork("fd00:3::1/64")), flags: .noDAD)
            try handle.addAddress(v4)
            try handle.addAddress(v6)
            #expect(netlinkError { try handle.addAddress(v4) } == .exists(operation: "add address 10.3.0.1/24 on link \(link.index) in \(ns)"))
            #expect(netlinkError { try handle.addAddress(v6) }?.kind == "exists")

            try handle.deleteAddress(v4)
            try handle.deleteAddress(v6)
            let left = try ipAddresses(ns, "addr0").compactMap { $0["local"] as? String }
            #expect(!left.contains("10.3.0.1") && !left.contains("fd00:3::1"))
            #expect(netlinkError { try handle.deleteAddress(v4) }?.kind == "notFound")
            #expect(netlinkError { try handle.deleteAddress(v6) }?.kind == "notFound")
            #expect(netlinkError { _ = try handle.addresses(linkNamed: "nosuch") } == .notFound(operation: "get link \"nosuch\" in \(ns)"))
        }
    }

    @Test func badAddressesAreRefusedWithTheField() throws {
        try withLink("addrbad") { ns, handle, link in
            let v6 = try #require(IPNetwork("fd00:4::1/64"))
            let labelled = netlinkError { try handle.addAddress(Address(linkIndex: link.index, network: v6, label: "addr0:x")) }
            #expect(labelled?.kind == "invalidArgument")
            #expect(labelled?.description.contains("label \"addr0:x\"") == true)
            let v4 = try #require(IPNetwork("10.4.0.1/24"))
            let longLabel = netlinkError { try handle.addAddress(Address(linkIndex: link.index, network: v4, label: "addr0:0123456789")) }
            #expect(longLabel?.kind == "invalidArgument")
            #expect(netlinkError { try handle.addAddress(Address(linkIndex: 0, network: v4)) }?.kind == "invalidArgument")
            #expect(netlinkError { try handle.addAddress(Address(linkIndex: 4242, network: v4)) }?.kind == "notFound")
            #expect(try ipAddresses(ns, "addr0").allSatisfy { $0["local"] as? String != "10.4.0.1" })
        }
    }
}
