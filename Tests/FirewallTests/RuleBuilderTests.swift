import Testing
@testable import Firewall

@Suite struct RuleBuilderTests {
    @Test func hostRulesFollowTheSpec() throws {
        let state = try GatewayRules.hostSNAT(secondaryIPs: ["10.243.0.9", "10.243.0.7", "10.243.0.9"])
        #expect(state.chains.map(\.name) == ["EGRESS-GATEWAY-SNAT", "EGRESS-10-243-0-7", "EGRESS-10-243-0-9"])
        #expect(state.chains[0].rules.map(\.description) == [
            #"-m comment --comment "kube-egress-gateway no sNAT packet from ip 10.243.0.7" -j EGRESS-10-243-0-7"#,
            #"-m comment --comment "kube-egress-gateway no sNAT packet from ip 10.243.0.9" -j EGRESS-10-243-0-9"#,
        ])
        #expect(state.chains[1].rules.map(\.description) == ["-s 10.243.0.7/32 -j ACCEPT"])
        #expect(state.requiredRules.count == 1)
        #expect(state.requiredRules[0].chain == "POSTROUTING")
        #expect(state.requiredRules[0].placement == .first)
        #expect(state.requiredRules[0].rule.description ==
                #"-m comment --comment "kube-egress-gateway no MASQUERADE" -j EGRESS-GATEWAY-SNAT"#)
        #expect(state.tables == [.nat])
        #expect(try GatewayRules.hostChainName(secondaryIP: "255.255.255.255") == "EGRESS-255-255-255-255")
    }

    @Test func gatewayRulesFollowTheSpec() throws {
        let state = try GatewayRules.gatewayNetns(port: 6999, secondaryIP: "10.243.0.7")
        #expect(state.chains.map(\.name) == ["EGRESS-GATEWAY-MARK-6999", "EGRESS-GATEWAY-SNAT-6999"])
        #expect(state.chains.map { $0.rules.map(\.description) } == [
            ["-i wg-6999 -j CONNMARK --set-mark 6999"],
            ["-o host0 -m connmark --mark 6999 -j SNAT --to-source 10.243.0.7"],
        ])
        #expect(state.requiredRules.map { "\($0.chain) \($0.rule)" } == [
            #"PREROUTING -m comment --comment "kube-egress-gateway mark packets from gateway link wg-6999" -j EGRESS-GATEWAY-MARK-6999"#,
            #"POSTROUTING -m comment --comment "kube-egress-gateway sNAT packets from gateway link wg-6999" -j EGRESS-GATEWAY-SNAT-6999"#,
        ])
        #expect(try GatewayRules.gatewayChainNames(port: 6999) == ["EGRESS-GATEWAY-MARK-6999", "EGRESS-GATEWAY-SNAT-6999"])
    }

    @Test func statesOfSeveralPortsMerge() throws {
        let merged = try GatewayRules.gatewayNetns(port: 6000, secondaryIP: "10.243.0.7")
            .merging(GatewayRules.gatewayNetns(port: 6001, secondaryIP: "10.243.0.8"))
            .merging(GatewayRules.gatewayNetns(port: 6000, secondaryIP: "10.243.0.7"))
        #expect(merged.chains.count == 4)
        #expect(merged.requiredRules.count == 4)
        #expect(throws: FirewallError.self) {
            try merged.merging(GatewayRules.gatewayNetns(port: 6000, secondaryIP: "10.243.0.99"))
        }
    }

    @Test func podRulesFollowTheSpec() throws {
        let state = try PodRules.ingressSymmetry(mark: 8738, interface: "eth0")
        #expect(state.chains.isEmpty)
        #expect(state.requiredRules.map { "\($0.table) \($0.chain) \($0.rule)" } == [
            "mangle PREROUTING -i eth0 -j MARK --set-mark 8738",
            "mangle PREROUTING -j CONNMARK --save-mark",
            "mangle OUTPUT -m connmark --mark 8738 -j CONNMARK --restore-mark",
        ])
        #expect(state.requiredRules.allSatisfy { $0.placement == .last })
    }

    @Test(arguments: ["10.243.0.256", "fe80::1", "", "10.243.0", "010.243.0.7", "10.243.0.7/32", "host0"])
    func invalidSecondaryIPIsNamed(ip: String) {
        let expected = FirewallError.invalidArgument(field: "secondaryIP", value: ip,
                                                     reason: "not an IPv4 address (the chain name is derived from it)")
        #expect(throws: expected) { try GatewayRules.hostSNAT(secondaryIPs: ["10.243.0.7", ip]) }
        #expect(throws: expected) { try GatewayRules.gatewayNetns(port: 6000, secondaryIP: ip) }
        #expect(throws: expected) { try GatewayRules.hostChainName(secondaryIP: ip) }
        #expect(expected.description == "invalid secondaryIP \"\(ip)\": not an IPv4 address (the chain name is derived from it)")
    }

    @Test(arguments: [0, -1, 65536])
    func invalidPortIsNamed(port: Int) {
        #expect(throws: FirewallError.invalidArgument(field: "port", value: String(port), reason: "must be 1 to 65535")) {
            try GatewayRules.gatewayNetns(port: port, secondaryIP: "10.243.0.7")
        }
    }

    @Test(arguments: ["", "sixteen-bytes-xx", "a/b", "eth 0", "a:b"])
    func invalidInterfaceIsNamed(interface: String) {
        #expect {
            try PodRules.ingressSymmetry(interface: interface)
        } throws: { error in
            guard case FirewallError.invalidArgument(let field, let value, _) = error else { return false }
            return field == "interface" && value == interface
        }
    }

    @Test func modelRefusesWhatWouldBreakTheRestoreInput() throws {
        #expect(throws: FirewallError.self) { try FirewallRule([]) }
        #expect(throws: FirewallError.self) { try FirewallRule(["-A", "POSTROUTING", "-j", "ACCEPT"]) }
        #expect(throws: FirewallError.self) { try FirewallRule(["-t", "filter", "-j", "ACCEPT"]) }
        #expect(throws: FirewallError.self) { try FirewallRule(["-m", "comment", "--comment", "a\nCOMMIT", "-j", "ACCEPT"]) }
        #expect(throws: FirewallError.self) { try FirewallChain(table: .nat, name: "A-CHAIN-NAME-LONGER-THAN-28-BYTES", rules: []) }
        #expect(throws: FirewallError.self) { try FirewallChain(table: .nat, name: "POSTROUTING", rules: []) }
        #expect(throws: FirewallError.self) { try FirewallChain(table: .nat, name: "-X", rules: []) }
        #expect(throws: FirewallError.self) { try FirewallChain(table: .nat, name: "two words", rules: []) }
        #expect(throws: FirewallError.self) { try FirewallRule.jump(to: "X", comment: String(repeating: "c", count: 256)) }
        let chain = try FirewallChain(table: .nat, name: "OWNED", rules: [])
        #expect(throws: FirewallError.self) {
            try FirewallState(chains: [chain], requiredRules: [try .jump(table: .nat, from: "OWNED", to: "X", comment: "c")])
        }
        // The same name in another table is another chain.
        let mangle = try FirewallChain(table: .mangle, name: "OWNED", rules: [try FirewallRule(["-j", "ACCEPT"])])
        #expect(try FirewallState(chains: [chain, mangle]).tables == [.nat, .mangle])
    }

    @Test func restoreErrorQuotesTheFailingLine() {
        let input = "*nat\n:X - [0:0]\n-A X -j BOGUS\nCOMMIT\n"
        let error = FirewallError.restoreFailed(
            table: .nat, namespace: "netns \"n\"", exitCode: 2,
            stderr: "iptables-restore v1.8.9 (nf_tables): Chain 'BOGUS' does not exist\nError occurred at line: 3\nTry `iptables-restore -h' for more information.\n",
            input: input)
        #expect(error.description == "iptables-restore of table nat in netns \"n\" exited 2: iptables-restore v1.8.9 (nf_tables): Chain 'BOGUS' does not exist; Error occurred at line: 3 (input line: -A X -j BOGUS)")
        #expect(FirewallError.failingLine(stderr: "iptables-restore: line 2 failed", input: input) == ":X - [0:0]")
        #expect(FirewallError.failingLine(stderr: "no number", input: input) == nil)
    }
}
