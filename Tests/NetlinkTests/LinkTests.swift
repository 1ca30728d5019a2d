import Foundation
import Netlink
import Testing

@Suite("Links", .enabled(if: isRoot, "needs root: creates network namespaces and links"))
struct LinkTests {
    @Test func vethPairMadeByLibraryIsSeenByIP() throws {
        try withNamespace("veth") { ns in
            let handle = try NetlinkHandle(namespace: ns)
            let made = try handle.addVeth(name: "egw-a", peerName: "egw-b")
            #expect(made.name == "egw-a")
            #expect(made.kind == "veth")
            #expect(!made.isUp)

            let a = try #require(try ipLink(ns, "egw-a"))
            let b = try #require(try ipLink(ns, "egw-b"))
            #expect(a["ifindex"] as? Int == Int(made.index))
            #expect((a["linkinfo"] as? [String: Any])?["info_kind"] as? String == "veth")
            #expect(a["address"] as? String == made.hardwareAddress?.description)
            #expect(a["mtu"] as? Int == Int(made.mtu))
            #expect(b["ifindex"] as? Int == made.parentIndex.map(Int.init))

            #expect(Set(try handle.links().map(\.name)) == (try ipLinkNames(ns)))
            #expect(try handle.link(index: made.index) == made)
        }
    }

    @Test func readsLinksMadeByIP() throws {
        try withNamespace("readlink") { ns in
            try ip(ns, "link", "add", "ipveth0", "type", "veth", "peer", "name", "ipveth1")
            try ip(ns, "link", "set", "ipveth0", "mtu", "1400", "up")
            try ip(ns, "link", "set", "ipveth0", "alias", "made by iproute2")
            try ip(ns, "link", "add", "ipbr0", "type", "bridge")
            let handle = try NetlinkHandle(namespace: ns)

            let veth = try handle.link(named: "ipveth0")
            let fromIP = try #require(try ipLink(ns, "ipveth0"))
            #expect(veth.index == Int32(try #require(fromIP["ifindex"] as? Int)))
            #expect(veth.kind == "veth")
            #expect(veth.mtu == 1400)
            #expect(veth.isUp)
            #expect(veth.alias == "made by iproute2")
            #expect(veth.hardwareAddress?.description == fromIP["address"] as? String)
            #expect(veth.parentIndex == (try handle.link(named: "ipveth1")).index)

            #expect(try handle.link(named: "ipbr0").kind == "bridge")
            let loopback = try handle.link(named: "lo")
            #expect(loopback.kind == nil)
            #expect(loopback.index == 1)
        }
    }

    @Test func vethPeerCreatedDirectlyInAnotherNamespace() throws {
        try withNamespace("vethhost") { host in
            try withNamespace("vethpod") { pod in
                let handle = try NetlinkHandle(namespace: host)
                let made = try handle.addVeth(name: "host-side", peerName: "pod-side", peerNamespace: pod)
                #expect(try ipLink(host, "pod-side") == nil)
                let peer = try #require(try ipLink(pod, "pod-side"))
                #expect((peer["linkinfo"] as? [String: Any])?["info_kind"] as? String == "veth")
                #expect(made.parentNamespaceID != nil)

                let podSide = try NetlinkHandle(namespace: pod).link(named: "pod-side")
                #expect(podSide.index == made.parentIndex)
            }
        }
    }

    @Test func addLinkOfAKindWithoutData() throws {
        try withNamespace("bridge") { ns in
            let handle = try NetlinkHandle(namespace: ns)
            let bridge = try handle.addLink(name: "egw-br", kind: "bridge")
            #expect(bridge.kind == "bridge")
            let fromIP = try #require(try ipLink(ns, "egw-br"))
            #expect((fromIP["linkinfo"] as? [String: Any])?["info_kind"] as? String == "bridge")

            let again = netlinkError { try handle.addLink(name: "egw-br", kind: "bridge") }
            #expect(again == .exists(operation: "add link \"egw-br\" of kind bridge in \(ns)"))
        }
    }

    @Test func unknownKindIsNotSupportedAndLeavesNothing() throws {
        try withNamespace("wgkind") { ns in
            let handle = try NetlinkHandle(namespace: ns)
            let before = try ipLinkNames(ns)
            let error = try #require(netlinkError { try handle.addLink(name: "wg-6000", kind: "wireguard") })
            #expect(error.kind == "notSupported")
            #expect(error.description.contains("Unknown device type"))
            #expect(error.description.contains("\"wg-6000\" of kind wireguard"))
            #expect(try ipLinkNames(ns) == before)
        }
    }

    @Test func upDownMTURenameAliasAndDelete() throws {
        try withNamespace("linkset") { ns in
            let handle = try NetlinkHandle(namespace: ns)
            try handle.addVeth(name: "egw-x", peerName: "egw-y")

            try handle.setLinkUp("egw-x")
            #expect((try ipLink(ns, "egw-x")?["flags"] as? [String])?.contains("UP") == true)
            #expect(try handle.link(named: "egw-x").isUp)
            try handle.setLinkDown("egw-x")
            #expect((try ipLink(ns, "egw-x")?["flags"] as? [String])?.contains("UP") == false)
            #expect(try !handle.link(named: "egw-x").isUp)

            try handle.setMTU("egw-x", 1420)
            #expect(try ipLink(ns, "egw-x")?["mtu"] as? Int == 1420)
            #expect(netlinkError { try handle.setMTU("egw-x", 10) }?.kind == "invalidArgument")

            try handle.setAlias("egw-x", "wgtmp1234")
            #expect(try ipLink(ns, "egw-x")?["ifalias"] as? String == "wgtmp1234")
            #expect(try handle.link(named: "egw-x").alias == "wgtmp1234")

            let index = try handle.link(named: "egw-x").index
            try handle.renameLink("egw-x", to: "wg0")
            #expect(try ipLink(ns, "egw-x") == nil)
            let renamed = try #require(try ipLink(ns, "wg0"))
            #expect(renamed["ifindex"] as? Int == Int(index))
            #expect(renamed["ifalias"] as? String == "wgtmp1234", "the alias survives a rename")

            try handle.setAlias("wg0", "")
            #expect(try ipLink(ns, "wg0")?["ifalias"] == nil)
            #expect(try handle.link(named: "wg0").alias == nil)

            try handle.deleteLink(named: "wg0")
            let names = try ipLinkNames(ns)
            #expect(!names.contains("wg0") && !names.contains("egw-y"), "deleting one end removes the pair")
        }
    }

    @Test func moveLinkByDescriptorAndRenameOnTheWay() throws {
        try withNamespace("movefrom") { from in
            try withNamespace("moveto") { to in
                let handle = try NetlinkHandle(namespace: from)
                try handle.addVeth(name: "mv-a", peerName: "mv-b")
                try handle.setAlias("mv-a", "kept across namespaces")

                try handle.moveLink("mv-a", to: to)
                #expect(try ipLink(from, "mv-a") == nil)
                let moved = try #require(try ipLink(to, "mv-a"))
                #expect(moved["ifalias"] as? String == "kept across namespaces")

                try handle.moveLink("mv-b", to: to, newName: "wg0")
                #expect(try ipLink(from, "mv-b") == nil)
                #expect(try ipLink(to, "mv-b") == nil)
                #expect(try ipLink(to, "wg0") != nil)

                let there = try NetlinkHandle(namespace: to)
                #expect(try there.link(named: "wg0").parentIndex == (try there.link(named: "mv-a")).index)
            }
        }
    }

    @Test func badNamesAreRefusedBeforeAnythingIsSent() throws {
        try withNamespace("badname") { ns in
            let handle = try NetlinkHandle(namespace: ns)
            let before = try ipLinkNames(ns)
            for name in ["abcdefghijklmnop", "", "a/b", "a b", "tab\tname", ".", "..", "a:b", "wg%d"] {
                let error = netlinkError { try handle.addVeth(name: name, peerName: "ok-peer") }
                #expect(error?.kind == "invalidArgument", "name \"\(name)\"")
                #expect(error?.description.contains(name.isEmpty ? "empty" : "\"\(name)\"") == true)
                #expect(netlinkError { try handle.addVeth(name: "ok-name", peerName: name) }?.kind == "invalidArgument")
            }
            let sixteen = try #require(netlinkError { try handle.renameLink("lo", to: "abcdefghijklmnop") })
            #expect(sixteen.description.contains("\"abcdefghijklmnop\": it is 16 bytes"))
            #expect(try ipLinkNames(ns) == before, "no half-made link is left behind")
            // Fifteen bytes is the limit, not one less.
            try handle.addVeth(name: "abcdefghijklmno", peerName: "fifteen-bytes-p")
            #expect(try ipLink(ns, "abcdefghijklmno") != nil)
        }
    }

    @Test func missingLinksAreNotFoundAndNamed() throws {
        try withNamespace("missing") { ns in
            let handle = try NetlinkHandle(namespace: ns)
            let missing = try #require(netlinkError { _ = try handle.link(named: "nosuchlink") })
            #expect(missing == .notFound(operation: "get link \"nosuchlink\" in \(ns)"))
            #expect(missing.description.contains("\"nosuchlink\""))
            #expect(netlinkError { _ = try handle.link(index: 9999) } == .notFound(operation: "get link with index 9999 in \(ns)"))
            #expect(netlinkError { try handle.deleteLink(named: "nosuchlink") } == .notFound(operation: "delete link \"nosuchlink\" in \(ns)"))
            #expect(netlinkError { try handle.setLinkUp("nosuchlink") } == .notFound(operation: "set link \"nosuchlink\" up in \(ns)"))
            #expect(netlinkError { try handle.renameLink("nosuchlink", to: "other") }?.kind == "notFound")
        }
    }

    @Test func missingNamespacesAreNotFoundAndLeaveNothing() throws {
        #expect(netlinkError { _ = try NetworkNamespace.named("nope") } == .notFound(operation: "open netns \"nope\""))
        let gone = NetworkNamespace(path: "\(NetworkNamespace.runDirectory)/\(uniqueName("gone"))")
        #expect(netlinkError { _ = try NetlinkHandle(namespace: gone) }?.kind == "notFound")
        try withNamespace("nons") { ns in
            let handle = try NetlinkHandle(namespace: ns)
            let before = try ipLinkNames(ns)
            let peerNowhere = netlinkError { try handle.addVeth(name: "lonely", peerName: "peer", peerNamespace: gone) }
            #expect(peerNowhere?.kind == "notFound")
            #expect(peerNowhere?.description.contains("open \(gone)") == true, "\(String(describing: peerNowhere))")
            try handle.addVeth(name: "stay", peerName: "stay-peer")
            #expect(netlinkError { try handle.moveLink("stay", to: gone) }?.kind == "notFound")
            #expect(try ipLinkNames(ns) == before.union(["stay", "stay-peer"]))
        }
    }

    @Test func handleInTheCurrentNamespaceWorksFromInsideOne() throws {
        try withNamespace("current") { ns in
            let names = try ns.perform { try NetlinkHandle().links().map(\.name) }
            #expect(names == ["lo"])
        }
    }
}
