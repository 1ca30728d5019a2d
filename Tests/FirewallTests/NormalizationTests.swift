import Testing
@testable import Firewall

/// Rules as callers write them must equal what iptables-save prints for them.
@Suite struct NormalizationTests {
    private func expectEqual(_ written: [String], _ saved: String) throws {
        let savedRule = FirewallRule(trusted: try SaveSyntax.split(Substring(saved)))
        let writtenRule = try FirewallRule(written)
        #expect(writtenRule == savedRule, "\(writtenRule.normalized) vs \(savedRule.normalized)")
        #expect(writtenRule.hashValue == savedRule.hashValue)
        #expect(savedRule.normalized == savedRule.arguments, "saved form must already be normal")
    }

    @Test func marks() throws {
        try expectEqual(["-i", "wg-6000", "-j", "CONNMARK", "--set-mark", "6000"],
                        "-i wg-6000 -j CONNMARK --set-xmark 0x1770/0xffffffff")
        try expectEqual(["-o", "host0", "-m", "connmark", "--mark", "6000", "-j", "SNAT", "--to-source", "10.243.0.7"],
                        "-o host0 -m connmark --mark 0x1770 -j SNAT --to-source 10.243.0.7")
        try expectEqual(["-i", "eth0", "-j", "MARK", "--set-mark", "8738"], "-i eth0 -j MARK --set-xmark 0x2222/0xffffffff")
        try expectEqual(["-j", "MARK", "--set-mark", "5/0xf0"], "-j MARK --set-xmark 0x5/0xf5")
        try expectEqual(["-j", "CONNMARK", "--set-xmark", "0x5"], "-j CONNMARK --set-xmark 0x5/0xffffffff")
        try expectEqual(["-m", "mark", "!", "--mark", "1/0xff", "-j", "ACCEPT"], "-m mark ! --mark 0x1/0xff -j ACCEPT")
        try expectEqual(["-m", "mark", "--mark", "0x10/0x10", "-j", "ACCEPT"], "-m mark --mark 0x10/0x10 -j ACCEPT")
    }

    @Test func connmarkSaveAndRestore() throws {
        try expectEqual(["-j", "CONNMARK", "--save-mark"], "-j CONNMARK --save-mark --nfmask 0xffffffff --ctmask 0xffffffff")
        try expectEqual(["-m", "connmark", "--mark", "8738", "-j", "CONNMARK", "--restore-mark"],
                        "-m connmark --mark 0x2222 -j CONNMARK --restore-mark --nfmask 0xffffffff --ctmask 0xffffffff")
        try expectEqual(["-j", "CONNMARK", "--save-mark", "--mask", "255"], "-j CONNMARK --save-mark --nfmask 0xff --ctmask 0xff")
        try expectEqual(["-j", "CONNMARK", "--restore-mark", "--ctmask", "0xff", "--nfmask", "0xf"],
                        "-j CONNMARK --restore-mark --nfmask 0xf --ctmask 0xff")
    }

    @Test func addressesAndOptionOrder() throws {
        try expectEqual(["-s", "10.243.0.7", "-j", "ACCEPT"], "-s 10.243.0.7/32 -j ACCEPT")
        try expectEqual(["-m", "comment", "--comment", "x y", "-s", "10.243.0.7", "-j", "ACCEPT"],
                        #"-s 10.243.0.7/32 -m comment --comment "x y" -j ACCEPT"#)
        try expectEqual(["-p", "UDP", "--source", "10.0.0.5/8", "--in-interface", "eth0", "-d", "1.1.1.1",
                         "--jump", "SNAT", "--to-source", "1.2.3.4"],
                        "-s 10.0.0.0/8 -d 1.1.1.1/32 -i eth0 -p udp -j SNAT --to-source 1.2.3.4")
        try expectEqual(["!", "-s", "1.2.3.4", "-m", "mark", "--mark", "7", "-j", "CONNMARK", "--save-mark", "--mask", "0xff"],
                        "! -s 1.2.3.4/32 -m mark --mark 0x7 -j CONNMARK --save-mark --nfmask 0xff --ctmask 0xff")
        try expectEqual(["-m", "comment", "--comment", "10.0.0.1", "--goto", "AAA"], #"-m comment --comment "10.0.0.1" -g AAA"#)
    }

    @Test func differentRulesStayDifferent() throws {
        #expect(try FirewallRule(["-s", "10.0.0.1", "-j", "ACCEPT"]) != FirewallRule(["-s", "10.0.0.2", "-j", "ACCEPT"]))
        #expect(try FirewallRule(["-m", "comment", "--comment", "a", "-j", "X"]) != FirewallRule(["-j", "X"]))
        #expect(try FirewallRule(["-j", "MARK", "--set-mark", "1"]) != FirewallRule(["-j", "MARK", "--set-mark", "1/0xff"]))
    }
}
