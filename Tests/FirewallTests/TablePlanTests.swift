import Testing
@testable import Firewall

@Suite struct TablePlanTests {
    let gateway = try! GatewayRules.gatewayNetns(port: 6000, secondaryIP: "10.243.0.7")

    @Test func rendersTheRestoreInputOnAnEmptyTable() throws {
        let plan = TablePlan.applying(gateway, to: try TableSnapshot.parse(Samples.emptyNat, table: .nat))
        #expect(plan.restoreInput == """
            *nat
            :EGRESS-GATEWAY-MARK-6000 - [0:0]
            :EGRESS-GATEWAY-SNAT-6000 - [0:0]
            -A EGRESS-GATEWAY-MARK-6000 -i wg-6000 -j CONNMARK --set-mark 6000
            -A EGRESS-GATEWAY-SNAT-6000 -o host0 -m connmark --mark 6000 -j SNAT --to-source 10.243.0.7
            -I PREROUTING 1 -m comment --comment "kube-egress-gateway mark packets from gateway link wg-6000" -j EGRESS-GATEWAY-MARK-6000
            -I POSTROUTING 1 -m comment --comment "kube-egress-gateway sNAT packets from gateway link wg-6000" -j EGRESS-GATEWAY-SNAT-6000
            COMMIT

            """)
    }

    @Test func nothingToDoWhenEqual() throws {
        #expect(TablePlan.applying(gateway, to: try TableSnapshot.parse(Samples.gatewayNetns6000, table: .nat)).isEmpty)
        let host = try GatewayRules.hostSNAT(secondaryIPs: ["10.243.0.7"])
        #expect(TablePlan.applying(host, to: try TableSnapshot.parse(Samples.host, table: .nat)).isEmpty)
        let pod = try PodRules.ingressSymmetry()
        #expect(TablePlan.applying(pod, to: try TableSnapshot.parse(Samples.podMangle, table: .mangle)).isEmpty)
    }

    @Test func staleRuleInAUserChainIsReplaced() throws {
        let stale = Samples.gatewayNetns6000.replacingAll("--to-source 10.243.0.7", with: "--to-source 10.243.0.99")
        let plan = TablePlan.applying(gateway, to: try TableSnapshot.parse(stale, table: .nat))
        #expect(plan.operations == [
            .declare(chain: "EGRESS-GATEWAY-SNAT-6000"),
            .append(chain: "EGRESS-GATEWAY-SNAT-6000", rule: gateway.chains[1].rules[0]),
        ])
        #expect(plan.restoreInput == """
            *nat
            :EGRESS-GATEWAY-SNAT-6000 - [0:0]
            -A EGRESS-GATEWAY-SNAT-6000 -o host0 -m connmark --mark 6000 -j SNAT --to-source 10.243.0.7
            COMMIT

            """)
    }

    @Test func extraRuleInAUserChainIsRemoved() throws {
        let extra = Samples.gatewayNetns6000.replacingAll(
            "COMMIT", with: "-A EGRESS-GATEWAY-MARK-6000 -i wg-6001 -j CONNMARK --set-xmark 0x1771/0xffffffff\nCOMMIT")
        let plan = TablePlan.applying(gateway, to: try TableSnapshot.parse(extra, table: .nat))
        #expect(plan.operations.first == .declare(chain: "EGRESS-GATEWAY-MARK-6000"))
        #expect(plan.operations.count == 2)
    }

    @Test func missingJumpIsInsertedAtPositionOne() throws {
        let noJump = Samples.gatewayNetns6000.split(separator: "\n").filter { !$0.hasPrefix("-A POSTROUTING") }.joined(separator: "\n")
        let plan = TablePlan.applying(gateway, to: try TableSnapshot.parse(noJump, table: .nat))
        #expect(plan.operations == [.insertFirst(chain: "POSTROUTING", rule: gateway.requiredRules[1].rule)])
        #expect(plan.restoreInput.contains(
            #"-I POSTROUTING 1 -m comment --comment "kube-egress-gateway sNAT packets from gateway link wg-6000" -j EGRESS-GATEWAY-SNAT-6000"#))
    }

    @Test func jumpAtAnotherPositionIsLeftAlone() throws {
        let lower = Samples.gatewayNetns6000.replacingAll(
            "-A PREROUTING -m comment", with: "-A PREROUTING -j ACCEPT\n-A PREROUTING -s 10.0.0.0/8 -j RETURN\n-A PREROUTING -m comment")
        let snapshot = try TableSnapshot.parse(lower, table: .nat)
        #expect(snapshot.chain("PREROUTING")?.rules.count == 3)
        #expect(TablePlan.applying(gateway, to: snapshot).isEmpty)
    }

    @Test func severalInsertsIntoOneChainKeepTheirOrder() throws {
        let state = try FirewallState(requiredRules: [
            try .jump(table: .nat, from: "POSTROUTING", to: "A", comment: "a"),
            try .jump(table: .nat, from: "POSTROUTING", to: "B", comment: "b"),
        ])
        let plan = TablePlan.applying(state, to: try TableSnapshot.parse(Samples.emptyNat, table: .nat))
        // Applied in sequence, B lands at 1 and then A above it: final order A, B.
        #expect(plan.operations.map(\.insertedTarget) == ["B", "A"])
    }

    @Test func missingPodRuleIsAppended() throws {
        let partial = Samples.podMangle.split(separator: "\n").filter { !$0.contains("--save-mark") }.joined(separator: "\n")
        let pod = try PodRules.ingressSymmetry()
        let plan = TablePlan.applying(pod, to: try TableSnapshot.parse(partial, table: .mangle))
        #expect(plan.restoreInput == "*mangle\n-A PREROUTING -j CONNMARK --save-mark\nCOMMIT\n")
        let all = TablePlan.applying(pod, to: try TableSnapshot.parse(Samples.emptyMangle, table: .mangle))
        #expect(all.restoreInput == """
            *mangle
            -A PREROUTING -i eth0 -j MARK --set-mark 8738
            -A PREROUTING -j CONNMARK --save-mark
            -A OUTPUT -m connmark --mark 8738 -j CONNMARK --restore-mark
            COMMIT

            """)
    }

    @Test func onlyTheStatesTableIsPlanned() throws {
        #expect(TablePlan.applying(gateway, to: try TableSnapshot.parse(Samples.emptyMangle, table: .mangle)).isEmpty)
    }

    @Test func removingDeletesJumpsThenChains() throws {
        let snapshot = try TableSnapshot.parse(Samples.gatewayNetns6000, table: .nat)
        let plan = TablePlan.removing(chains: ["EGRESS-GATEWAY-MARK-6000", "EGRESS-GATEWAY-SNAT-6000"], rules: [], from: snapshot)
        #expect(plan.restoreInput == """
            *nat
            :EGRESS-GATEWAY-MARK-6000 - [0:0]
            :EGRESS-GATEWAY-SNAT-6000 - [0:0]
            -D PREROUTING -m comment --comment "kube-egress-gateway mark packets from gateway link wg-6000" -j EGRESS-GATEWAY-MARK-6000
            -D POSTROUTING -m comment --comment "kube-egress-gateway sNAT packets from gateway link wg-6000" -j EGRESS-GATEWAY-SNAT-6000
            -X EGRESS-GATEWAY-MARK-6000
            -X EGRESS-GATEWAY-SNAT-6000
            COMMIT

            """)
        #expect(TablePlan.removing(chains: ["EGRESS-GATEWAY-MARK-6001"], rules: [], from: snapshot).isEmpty)
    }

    @Test func removingFindsEveryReferenceButKeepsOtherChainsRules() throws {
        let text = """
            *nat
            :POSTROUTING ACCEPT [0:0]
            :EGRESS-10-0-0-1 - [0:0]
            :EGRESS-GATEWAY-SNAT - [0:0]
            :OTHER - [0:0]
            -A POSTROUTING -j EGRESS-GATEWAY-SNAT
            -A POSTROUTING -j OTHER
            -A EGRESS-10-0-0-1 -s 10.0.0.1/32 -j ACCEPT
            -A EGRESS-GATEWAY-SNAT -m comment --comment "kube-egress-gateway no sNAT packet from ip 10.0.0.1" -j EGRESS-10-0-0-1
            -A OTHER -g EGRESS-10-0-0-1
            -A OTHER -j ACCEPT
            COMMIT
            """
        let plan = TablePlan.removing(chains: ["EGRESS-10-0-0-1"], rules: [], from: try TableSnapshot.parse(text, table: .nat))
        #expect(plan.restoreInput == """
            *nat
            :EGRESS-10-0-0-1 - [0:0]
            -D EGRESS-GATEWAY-SNAT -m comment --comment "kube-egress-gateway no sNAT packet from ip 10.0.0.1" -j EGRESS-10-0-0-1
            -D OTHER -g EGRESS-10-0-0-1
            -X EGRESS-10-0-0-1
            COMMIT

            """)
    }

    @Test func removingRequiredRulesDeletesEveryCopy() throws {
        let doubled = Samples.podMangle.replacingAll("-A OUTPUT", with: "-A OUTPUT -j ACCEPT\n-A OUTPUT")
            .replacingAll("COMMIT", with: "-A OUTPUT -m connmark --mark 0x2222 -j CONNMARK --restore-mark --nfmask 0xffffffff --ctmask 0xffffffff\nCOMMIT")
        let pod = try PodRules.ingressSymmetry()
        let plan = TablePlan.removing(chains: [], rules: pod.requiredRules, from: try TableSnapshot.parse(doubled, table: .mangle))
        #expect(plan.operations.count == 4)
        #expect(!plan.restoreInput.contains("-D OUTPUT -j ACCEPT"))
        #expect(plan.restoreInput.contains("-D PREROUTING -i eth0 -j MARK --set-xmark 0x2222/0xffffffff\n"))
    }
}

extension TablePlan.Operation {
    var insertedTarget: String? {
        if case .insertFirst(_, let rule) = self { rule.target } else { nil }
    }
}

extension String {
    func replacingAll(_ target: String, with replacement: String) -> String {
        split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}
