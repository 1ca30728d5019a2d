#if canImport(Glibc)
import Glibc
#endif
import Netlink
import Testing
@testable import Firewall

/// Applies rules in fresh network namespaces and checks them with `iptables-save` run by the
/// test itself, not with the library's own read-back.
@Suite(.enabled(if: getuid() == 0, "needs root (creates network namespaces and changes iptables)"))
struct IPTablesKernelTests {
    /// A fresh namespace for one test, removed whatever happens.
    private func withNamespace(_ test: String, _ body: (NetworkNamespace) async throws -> Void) async throws {
        let namespace = try NetworkNamespace.create(named: "egw-fw-\(test)-\(getpid())")
        defer { try? namespace.delete() }
        try await body(namespace)
    }

    /// `iptables-save -t <table>` without its timestamp comments.
    private func save(_ table: String, in namespace: NetworkNamespace, program: String = "iptables-save") throws -> [String] {
        try namespace.executeChecked(program, ["-t", table]).stdout
            .split(separator: "\n").filter { !$0.hasPrefix("#") }.map(String.init)
    }

    private func iptables(_ arguments: [String], in namespace: NetworkNamespace) throws {
        try namespace.executeChecked("iptables", arguments)
    }

    static let natBuiltins = [":PREROUTING ACCEPT [0:0]", ":INPUT ACCEPT [0:0]", ":OUTPUT ACCEPT [0:0]", ":POSTROUTING ACCEPT [0:0]"]

    /// Spec upstream-gateway-daemon §2.3, port 6000 and secondary IP 10.243.0.7.
    static let expectedGatewayNat = ["*nat"] + natBuiltins + [
        ":EGRESS-GATEWAY-MARK-6000 - [0:0]",
        ":EGRESS-GATEWAY-SNAT-6000 - [0:0]",
        #"-A PREROUTING -m comment --comment "kube-egress-gateway mark packets from gateway link wg-6000" -j EGRESS-GATEWAY-MARK-6000"#,
        #"-A POSTROUTING -m comment --comment "kube-egress-gateway sNAT packets from gateway link wg-6000" -j EGRESS-GATEWAY-SNAT-6000"#,
        "-A EGRESS-GATEWAY-MARK-6000 -i wg-6000 -j CONNMARK --set-xmark 0x1770/0xffffffff",
        "-A EGRESS-GATEWAY-SNAT-6000 -o host0 -m connmark --mark 0x1770 -j SNAT --to-source 10.243.0.7",
        "COMMIT",
    ]

    static let expectedHostNat = ["*nat"] + natBuiltins + [
        ":EGRESS-10-243-0-7 - [0:0]",
        ":EGRESS-GATEWAY-SNAT - [0:0]",
        #"-A POSTROUTING -m comment --comment "kube-egress-gateway no MASQUERADE" -j EGRESS-GATEWAY-SNAT"#,
        "-A EGRESS-10-243-0-7 -s 10.243.0.7/32 -j ACCEPT",
        #"-A EGRESS-GATEWAY-SNAT -m comment --comment "kube-egress-gateway no sNAT packet from ip 10.243.0.7" -j EGRESS-10-243-0-7"#,
        "COMMIT",
    ]

    static let emptyMangle = ["*mangle", ":PREROUTING ACCEPT [0:0]", ":INPUT ACCEPT [0:0]", ":FORWARD ACCEPT [0:0]",
                              ":OUTPUT ACCEPT [0:0]", ":POSTROUTING ACCEPT [0:0]"]

    /// Spec upstream-cni §1.6, as iptables-save prints the three rules.
    static let expectedPodMangle = emptyMangle + [
        "-A PREROUTING -i eth0 -j MARK --set-xmark 0x2222/0xffffffff",
        "-A PREROUTING -j CONNMARK --save-mark --nfmask 0xffffffff --ctmask 0xffffffff",
        "-A OUTPUT -m connmark --mark 0x2222 -j CONNMARK --restore-mark --nfmask 0xffffffff --ctmask 0xffffffff",
        "COMMIT",
    ]

    @Test func gatewayNamespaceRules() async throws {
        try await withNamespace("gw") { namespace in
            let firewall = IPTables(namespace: namespace)
            let state = try GatewayRules.gatewayNetns(port: 6000, secondaryIP: "10.243.0.7")
            let first = try await firewall.apply(state)
            #expect(first.tables.map(\.table) == [.nat])
            #expect(try save("nat", in: namespace) == Self.expectedGatewayNat)

            let second = try await firewall.apply(state)
            #expect(second.isEmpty)
            #expect(try save("nat", in: namespace) == Self.expectedGatewayNat)

            let removed = try await firewall.remove(state)
            #expect(!removed.isEmpty)
            #expect(try save("nat", in: namespace) == ["*nat"] + Self.natBuiltins + ["COMMIT"])
            #expect(try await firewall.remove(state).isEmpty)
        }
    }

    @Test func hostRules() async throws {
        try await withNamespace("host") { namespace in
            let firewall = IPTables(namespace: namespace)
            let one = try GatewayRules.hostSNAT(secondaryIPs: ["10.243.0.7"])
            try await firewall.apply(one)
            #expect(try save("nat", in: namespace) == Self.expectedHostNat)
            #expect(try await firewall.apply(one).isEmpty)

            // A second configuration, then back to one: the owned chain follows, the stale
            // per-IP chain is left for the prefix cleanup.
            try await firewall.apply(GatewayRules.hostSNAT(secondaryIPs: ["10.243.0.7", "10.243.0.8"]))
            #expect(try save("nat", in: namespace).contains("-A EGRESS-10-243-0-8 -s 10.243.0.8/32 -j ACCEPT"))
            try await firewall.apply(one)
            let afterShrink = try save("nat", in: namespace)
            #expect(!afterShrink.contains { $0.hasPrefix("-A EGRESS-GATEWAY-SNAT") && $0.contains("10.243.0.8") })
            #expect(afterShrink.contains(":EGRESS-10-243-0-8 - [0:0]"))
            let keep = Set(one.chains.map(\.name))
            let cleaned = try await firewall.removeChains(withPrefix: GatewayRules.chainPrefix, in: .nat, keeping: keep)
            #expect(cleaned.tables.first?.operations.contains(.deleteChain(chain: "EGRESS-10-243-0-8")) == true)
            #expect(try save("nat", in: namespace) == Self.expectedHostNat)

            try await firewall.removeChains(withPrefix: GatewayRules.chainPrefix, in: .nat)
            #expect(try save("nat", in: namespace) == ["*nat"] + Self.natBuiltins + ["COMMIT"])
        }
    }

    @Test func podRules() async throws {
        try await withNamespace("pod") { namespace in
            let firewall = IPTables(namespace: namespace)
            let state = try PodRules.ingressSymmetry(mark: PodRules.ingressMark, interface: "eth0")
            try await firewall.apply(state)
            #expect(try save("mangle", in: namespace) == Self.expectedPodMangle)
            #expect(try await firewall.apply(state).isEmpty)
            #expect(try save("mangle", in: namespace) == Self.expectedPodMangle)
            try await firewall.remove(state)
            #expect(try save("mangle", in: namespace) == Self.emptyMangle + ["COMMIT"])
        }
    }

    /// The Go daemon's commands (spec §2.3 mechanics), then ours: nothing to do, nothing doubled.
    @Test func adoptsTheGoDaemonsRules() async throws {
        try await withNamespace("adopt") { namespace in
            // Gateway namespace.
            for chain in ["EGRESS-GATEWAY-MARK-6000", "EGRESS-GATEWAY-SNAT-6000"] {
                try iptables(["-t", "nat", "-N", chain], in: namespace)
            }
            try iptables(["-t", "nat", "-I", "PREROUTING", "-m", "comment", "--comment",
                          "kube-egress-gateway mark packets from gateway link wg-6000", "-j", "EGRESS-GATEWAY-MARK-6000"], in: namespace)
            try iptables(["-t", "nat", "-I", "POSTROUTING", "-m", "comment", "--comment",
                          "kube-egress-gateway sNAT packets from gateway link wg-6000", "-j", "EGRESS-GATEWAY-SNAT-6000"], in: namespace)
            try iptables(["-t", "nat", "-A", "EGRESS-GATEWAY-MARK-6000", "-i", "wg-6000", "-j", "CONNMARK", "--set-mark", "6000"], in: namespace)
            try iptables(["-t", "nat", "-A", "EGRESS-GATEWAY-SNAT-6000", "-o", "host0", "-m", "connmark", "--mark", "6000",
                          "-j", "SNAT", "--to-source", "10.243.0.7"], in: namespace)
            // Host side (a test namespace plays both roles: the chain names do not overlap).
            try iptables(["-t", "nat", "-N", "EGRESS-GATEWAY-SNAT"], in: namespace)
            try iptables(["-t", "nat", "-I", "POSTROUTING", "-m", "comment", "--comment",
                          "kube-egress-gateway no MASQUERADE", "-j", "EGRESS-GATEWAY-SNAT"], in: namespace)
            try iptables(["-t", "nat", "-N", "EGRESS-10-243-0-7"], in: namespace)
            try iptables(["-t", "nat", "-I", "EGRESS-GATEWAY-SNAT", "-m", "comment", "--comment",
                          "kube-egress-gateway no sNAT packet from ip 10.243.0.7", "-j", "EGRESS-10-243-0-7"], in: namespace)
            try iptables(["-t", "nat", "-A", "EGRESS-10-243-0-7", "-s", "10.243.0.7", "-j", "ACCEPT"], in: namespace)
            // Pod side.
            try iptables(["-t", "mangle", "-A", "PREROUTING", "-i", "eth0", "-j", "MARK", "--set-mark", "8738"], in: namespace)
            try iptables(["-t", "mangle", "-A", "PREROUTING", "-j", "CONNMARK", "--save-mark"], in: namespace)
            try iptables(["-t", "mangle", "-A", "OUTPUT", "-m", "connmark", "--mark", "8738", "-j", "CONNMARK", "--restore-mark"], in: namespace)

            let natBefore = try save("nat", in: namespace)
            let mangleBefore = try save("mangle", in: namespace)
            #expect(mangleBefore == Self.expectedPodMangle)

            let state = try GatewayRules.gatewayNetns(port: 6000, secondaryIP: "10.243.0.7")
                .merging(GatewayRules.hostSNAT(secondaryIPs: ["10.243.0.7"]))
                .merging(PodRules.ingressSymmetry())
            let plan = try await IPTables(namespace: namespace).apply(state)
            #expect(plan.isEmpty, "adopting must change nothing, planned: \(plan.tables.map(\.restoreInput))")
            #expect(try save("nat", in: namespace) == natBefore)
            #expect(try save("mangle", in: namespace) == mangleBefore)
            #expect(natBefore.filter { $0.hasPrefix("-A PREROUTING") }.count == 1)
            #expect(natBefore.filter { $0.hasPrefix("-A POSTROUTING") }.count == 2)
        }
    }

    @Test func staleGoRulesAreReplacedAndJumpsElsewhereKept() async throws {
        try await withNamespace("stale") { namespace in
            try iptables(["-t", "nat", "-A", "PREROUTING", "-s", "192.0.2.0/24", "-j", "RETURN"], in: namespace)
            try iptables(["-t", "nat", "-N", "EGRESS-GATEWAY-MARK-6000"], in: namespace)
            try iptables(["-t", "nat", "-A", "PREROUTING", "-m", "comment", "--comment",
                          "kube-egress-gateway mark packets from gateway link wg-6000", "-j", "EGRESS-GATEWAY-MARK-6000"], in: namespace)
            try iptables(["-t", "nat", "-A", "EGRESS-GATEWAY-MARK-6000", "-i", "wg-6001", "-j", "CONNMARK", "--set-mark", "6001"], in: namespace)
            try iptables(["-t", "nat", "-A", "EGRESS-GATEWAY-MARK-6000", "-i", "wg-6000", "-j", "CONNMARK", "--set-mark", "6000"], in: namespace)

            let state = try GatewayRules.gatewayNetns(port: 6000, secondaryIP: "10.243.0.7")
            let plan = try await IPTables(namespace: namespace).apply(state)
            let operations = try #require(plan.tables.first?.operations)
            #expect(!operations.contains { if case .insertFirst(chain: "PREROUTING", _) = $0 { true } else { false } })
            let nat = try save("nat", in: namespace)
            #expect(nat.filter { $0.hasPrefix("-A PREROUTING") } == [
                "-A PREROUTING -s 192.0.2.0/24 -j RETURN",
                #"-A PREROUTING -m comment --comment "kube-egress-gateway mark packets from gateway link wg-6000" -j EGRESS-GATEWAY-MARK-6000"#,
            ])
            #expect(nat.filter { $0.hasPrefix("-A EGRESS-GATEWAY-MARK-6000") } ==
                    ["-A EGRESS-GATEWAY-MARK-6000 -i wg-6000 -j CONNMARK --set-xmark 0x1770/0xffffffff"])
        }
    }

    @Test func legacyFlavourIsSelectable() async throws {
        try await withNamespace("legacy") { namespace in
            let firewall = IPTables(namespace: namespace, executables: .legacy)
            let state = try GatewayRules.gatewayNetns(port: 6000, secondaryIP: "10.243.0.7")
            try await firewall.apply(state)
            #expect(try save("nat", in: namespace, program: "iptables-legacy-save") == Self.expectedGatewayNat)
            #expect(try await firewall.apply(state).isEmpty)
            try await firewall.remove(state)
            #expect(try save("nat", in: namespace, program: "iptables-legacy-save") == ["*nat"] + Self.natBuiltins + ["COMMIT"])
        }
    }

    @Test func failedRestoreIsTypedAndChangesNothing() async throws {
        try await withNamespace("fail") { namespace in
            let state = try FirewallState(chains: [
                try FirewallChain(table: .nat, name: "EGRESS-GOOD", rules: [try FirewallRule(["-j", "ACCEPT"])]),
                try FirewallChain(table: .nat, name: "EGRESS-BAD", rules: [try FirewallRule(["-j", "NO-SUCH-CHAIN"])]),
            ])
            await #expect {
                try await IPTables(namespace: namespace).apply(state)
            } throws: { error in
                guard case FirewallError.restoreFailed(let table, _, let code, let stderr, _) = error else { return false }
                return table == .nat && code != 0 && stderr.contains("NO-SUCH-CHAIN")
            }
            #expect(try save("nat", in: namespace) == ["*nat"] + Self.natBuiltins + ["COMMIT"])
        }
    }

    @Test func missingExecutableIsTyped() async throws {
        try await withNamespace("noexe") { namespace in
            let firewall = IPTables(namespace: namespace, executables: .init(save: "/nonexistent/iptables-save",
                                                                             restore: "/nonexistent/iptables-restore"))
            await #expect(throws: FirewallError.executableNotFound("/nonexistent/iptables-save")) {
                try await firewall.snapshot(of: .nat)
            }
            let byName = IPTables(namespace: namespace, executables: .init(save: "egw-no-such-iptables-save", restore: "iptables-restore"))
            await #expect(throws: FirewallError.executableNotFound("egw-no-such-iptables-save")) {
                try await byName.apply(GatewayRules.hostSNAT(secondaryIPs: ["10.243.0.7"]))
            }
        }
    }
}

/// Needs no root: opening a namespace that does not exist fails before anything runs.
@Suite struct IPTablesNamespaceTests {
    @Test func missingNamespaceIsTyped() async throws {
        let missing = NetworkNamespace(path: "\(NetworkNamespace.runDirectory)/egw-fw-missing-\(getpid())")
        let firewall = IPTables(namespace: missing)
        await #expect {
            try await firewall.apply(GatewayRules.gatewayNetns(port: 6000, secondaryIP: "10.243.0.7"))
        } throws: { error in
            guard case FirewallError.namespaceUnavailable(let namespace, .notFound) = error else { return false }
            return namespace == missing.description && "\(error)".contains("egw-fw-missing")
        }
    }
}
