import Foundation
import Netlink
import Testing

@Suite("Rules", .enabled(if: isRoot, "needs root: creates network namespaces"))
struct RuleTests {
    @Test func ruleMadeByLibraryIsSeenByIP() throws {
        try withNamespace("ruleadd") { ns in
            let handle = try NetlinkHandle(namespace: ns)
            // The pod-side rule of the CNI spec: no priority, so the kernel picks 32765.
            let podRule = Rule(table: 8738, fwmark: 0x2222)
            try handle.addRule(podRule)
            let seen = try #require(try ipJSON(ns, ["rule", "show"]).first { $0["fwmark"] as? String == "0x2222" })
            #expect(seen["priority"] as? Int == 32765)
            #expect(seen["table"] as? String == "8738")
            #expect(seen["fwmask"] == nil, "a mark without a mask uses all 32 bits, which ip does not print")

            let masked = Rule(priority: 900, table: 300, fwmark: 0x100, fwmask: 0xf00)
            try handle.addRule(masked)
            let seenMasked = try #require(try ipJSON(ns, ["rule", "show"]).first { $0["priority"] as? Int == 900 })
            #expect(seenMasked["fwmark"] as? String == "0x100")
            #expect(seenMasked["fwmask"] as? String == "0xf00")
            #expect(seenMasked["table"] as? String == "300")

            let v6 = Rule(family: .ipv6, priority: 1000, table: 77, fwmark: 7)
            try handle.addRule(v6)
            let seen6 = try #require(try ipJSON(ns, ["-6", "rule", "show"]).first { $0["priority"] as? Int == 1000 })
            #expect(seen6["table"] as? String == "77")
            #expect(try ipJSON(ns, ["-4", "rule", "show"]).allSatisfy { $0["priority"] as? Int != 1000 })

            #expect(netlinkError { try handle.addRule(masked) }?.kind == "exists")
            // Without a priority the kernel numbers the copy just below the first numbered rule
            // (899 here) instead of refusing it.
            try handle.addRule(podRule)
            #expect(try handle.rules(family: .ipv4).filter { $0.fwmark == 0x2222 }.map(\.priority) == [899, 32765])
        }
    }

    @Test func readsRulesMadeByIP() throws {
        try withNamespace("ruleread") { ns in
            try ip(ns, "rule", "add", "fwmark", "0x2222", "table", "8738")
            try ip(ns, "rule", "add", "fwmark", "0x10/0xff", "table", "100", "priority", "500")
            try ip(ns, "-6", "rule", "add", "table", "600", "priority", "600")
            let handle = try NetlinkHandle(namespace: ns)

            let v4 = try handle.rules(family: .ipv4)
            #expect(v4.map(\.priority) == [0, 500, 32765, 32766, 32767])
            let pod = try #require(v4.first { $0.fwmark == 0x2222 })
            #expect(pod.priority == 32765)
            #expect(pod.table == 8738)
            #expect(pod.fwmask == 0xffff_ffff)
            #expect(pod.action == .toTable)
            let masked = try #require(v4.first { $0.priority == 500 })
            #expect(masked.fwmark == 0x10 && masked.fwmask == 0xff && masked.table == 100)
            #expect(v4.first { $0.priority == 0 }?.table == RouteTable.local)
            #expect(v4.first { $0.priority == 32766 }?.table == RouteTable.main)

            let v6 = try handle.rules(family: .ipv6)
            #expect(v6.contains { $0.priority == 600 && $0.table == 600 && $0.fwmark == nil })
            #expect(Set(try handle.rules().map(\.family)) == [.ipv4, .ipv6])
        }
    }

    @Test func deleteRulesAndBadInput() throws {
        try withNamespace("ruledel") { ns in
            let handle = try NetlinkHandle(namespace: ns)
            let rule = Rule(priority: 100, table: 8738, fwmark: 0x2222)
            try handle.addRule(rule)
            try handle.deleteRule(rule)
            #expect(try ipJSON(ns, ["rule", "show"]).allSatisfy { $0["priority"] as? Int != 100 })
            let missing = netlinkError { try handle.deleteRule(rule) }
            #expect(missing?.kind == "notFound")
            #expect(missing?.description.contains("fwmark 0x2222") == true)

            // A deletion names only what identifies the rule.
            try ip(ns, "rule", "add", "fwmark", "0x5", "table", "5", "priority", "5")
            try handle.deleteRule(Rule(priority: 5))
            #expect(try ipJSON(ns, ["rule", "show"]).allSatisfy { $0["priority"] as? Int != 5 })

            #expect(netlinkError { try handle.addRule(Rule(fwmark: 1)) }?.kind == "invalidArgument")
            #expect(netlinkError { try handle.addRule(Rule(table: 1, fwmask: 0xff)) }?.kind == "invalidArgument")
        }
    }
}
