import Testing
@testable import Firewall

@Suite struct SaveParsingTests {
    @Test func parsesTheSpecsGatewayNamespace() throws {
        let snapshot = try TableSnapshot.parse(Samples.gatewayNetns6000, table: .nat)
        #expect(snapshot.chains.map(\.name) == ["PREROUTING", "INPUT", "OUTPUT", "POSTROUTING",
                                                "EGRESS-GATEWAY-MARK-6000", "EGRESS-GATEWAY-SNAT-6000"])
        #expect(snapshot.userChains.map(\.name) == ["EGRESS-GATEWAY-MARK-6000", "EGRESS-GATEWAY-SNAT-6000"])
        #expect(snapshot.chain("POSTROUTING")?.policy == "ACCEPT")
        #expect(snapshot.chain("EGRESS-GATEWAY-MARK-6000")?.policy == nil)
        let jump = try #require(snapshot.chain("PREROUTING")?.rules.first)
        #expect(jump.arguments == ["-m", "comment", "--comment",
                                   "kube-egress-gateway mark packets from gateway link wg-6000",
                                   "-j", "EGRESS-GATEWAY-MARK-6000"])
        #expect(jump.target == "EGRESS-GATEWAY-MARK-6000")
        #expect(snapshot.chain("EGRESS-GATEWAY-SNAT-6000")?.rules.first?.arguments ==
                ["-o", "host0", "-m", "connmark", "--mark", "0x1770", "-j", "SNAT", "--to-source", "10.243.0.7"])
    }

    @Test func savedRulesEqualTheBuildersRules() throws {
        let snapshot = try TableSnapshot.parse(Samples.gatewayNetns6000, table: .nat)
        let state = try GatewayRules.gatewayNetns(port: 6000, secondaryIP: "10.243.0.7")
        for chain in state.chains {
            #expect(snapshot.chain(chain.name)?.rules == chain.rules)
        }
        for required in state.requiredRules {
            #expect(snapshot.chain(required.chain)?.rules.contains(required.rule) == true)
        }
    }

    @Test func toleratesCountersWarningsAndOtherTables() throws {
        let text = """
            # Warning: iptables-legacy tables present, use iptables-legacy-save to see them
            *filter
            :INPUT ACCEPT [10:2000]
            -A INPUT -j ACCEPT
            COMMIT
            *nat
            :PREROUTING ACCEPT [3:180]
            :POSTROUTING DROP [0:0]
            :EGRESS-X - [7:420]
            [5:300] -A POSTROUTING -s 10.0.0.1/32 -j EGRESS-X

            -A EGRESS-X -j ACCEPT\r
            COMMIT
            """
        let nat = try TableSnapshot.parse(text, table: .nat)
        #expect(nat.chains.map(\.name) == ["PREROUTING", "POSTROUTING", "EGRESS-X"])
        #expect(nat.chain("POSTROUTING")?.policy == "DROP")
        #expect(nat.chain("POSTROUTING")?.rules.first?.arguments == ["-s", "10.0.0.1/32", "-j", "EGRESS-X"])
        #expect(nat.chain("EGRESS-X")?.rules.first?.arguments == ["-j", "ACCEPT"])
        let filter = try TableSnapshot.parse(text, table: .filter)
        #expect(filter.chains.map(\.name) == ["INPUT"])
        #expect(try TableSnapshot.parse(text, table: .raw).chains.isEmpty)
    }

    @Test func unquotesComments() throws {
        let text = #"""
            *nat
            :X - [0:0]
            -A X -m comment --comment "with \"quote\", \'apostrophe\' and \\ backslash" -j ACCEPT
            -A X -m comment --comment "" -j RETURN
            -A X -m comment --comment noSpace -j ACCEPT
            COMMIT
            """#
        let rules = try #require(try TableSnapshot.parse(text, table: .nat).chain("X")?.rules)
        #expect(rules.map { $0.arguments[3] } == [#"with "quote", 'apostrophe' and \ backslash"#, "", "noSpace"])
    }

    @Test func quotingRoundTrips() throws {
        for word in ["plain", "10.0.0.1/32", "", "two words", #"a "b" 'c' \d"#, "#hash"] {
            let rendered = SaveSyntax.render(["-m", "comment", "--comment", word])
            #expect(try SaveSyntax.split(Substring(rendered)) == ["-m", "comment", "--comment", word])
        }
        #expect(SaveSyntax.quote("wg-6000") == "wg-6000")
        #expect(SaveSyntax.quote("kube-egress-gateway no MASQUERADE") == #""kube-egress-gateway no MASQUERADE""#)
    }

    @Test func reportsMalformedLinesWithTheirNumber() {
        let undeclared = "*nat\n:PREROUTING ACCEPT [0:0]\n-A NOPE -j ACCEPT\nCOMMIT\n"
        #expect(throws: FirewallError.malformedSave(table: .nat, line: 3, text: "-A NOPE -j ACCEPT",
                                                    reason: "rule for undeclared chain NOPE")) {
            try TableSnapshot.parse(undeclared, table: .nat)
        }
        let unterminated = "*nat\n:X - [0:0]\n-A X -m comment --comment \"open -j ACCEPT\nCOMMIT\n"
        #expect(throws: FirewallError.malformedSave(table: .nat, line: 3, text: "-A X -m comment --comment \"open -j ACCEPT",
                                                    reason: "unterminated quote")) {
            try TableSnapshot.parse(unterminated, table: .nat)
        }
        #expect(throws: FirewallError.self) { try TableSnapshot.parse("-A X -j ACCEPT\n", table: .nat) }
    }
}
