import Netlink

/// The `nat` rules of a gateway node, byte for byte as the original kube-egress-gateway daemon
/// writes them (chain names, comments, argument order), so its rules are adopted, not doubled.
///
/// Host namespace: `POSTROUTING` jumps to `EGRESS-GATEWAY-SNAT`, which jumps to one
/// `EGRESS-<a-b-c-d>` chain per secondary IP, which `ACCEPT`s that source: traffic already
/// source-NATed in the gateway namespace ends NAT processing before the node's masquerade rules.
///
/// Gateway namespace, per WireGuard port `P`: `PREROUTING` jumps to `EGRESS-GATEWAY-MARK-P`,
/// which sets connmark `P` on connections from `wg-P`; `POSTROUTING` jumps to
/// `EGRESS-GATEWAY-SNAT-P`, which source-NATs connections with that mark leaving by `host0` to
/// the secondary IP. The connmark is what tells apart several configurations sharing `host0`.
public enum GatewayRules {
    /// The host chain every secondary-IP chain hangs from.
    public static let hostSNATChain = "EGRESS-GATEWAY-SNAT"
    /// Prefix of every chain of this layout, in both namespaces.
    public static let chainPrefix = "EGRESS-"
    /// Prefix of the per-port chains in the gateway namespace.
    public static let gatewayChainPrefix = "EGRESS-GATEWAY-"
    /// The gateway namespace's end of the veth to the host.
    public static let gatewayVeth = "host0"
    /// WireGuard links are named this prefix plus the decimal port.
    public static let wireGuardLinkPrefix = "wg-"

    static let hostJumpComment = "kube-egress-gateway no MASQUERADE"

    /// The host chain of one secondary IP: `EGRESS-` and the address with dashes for dots.
    public static func hostChainName(secondaryIP: String) throws(FirewallError) -> String {
        chainPrefix + (try ipv4(secondaryIP)).description.replacingDots()
    }

    /// The gateway-namespace chains of port `port`: `EGRESS-GATEWAY-MARK-P`, `EGRESS-GATEWAY-SNAT-P`.
    public static func gatewayChainNames(port: Int) throws(FirewallError) -> Set<String> {
        let port = try validPort(port)
        return [markChain(port), snatChain(port)]
    }

    /// The host namespace's chains for the active `secondaryIPs` (every one of them: the
    /// `EGRESS-GATEWAY-SNAT` chain is owned, so jumps for IPs not listed are dropped; their
    /// `EGRESS-<ip>` chains stay until ``IPTables/removeChains(withPrefix:in:keeping:)``).
    ///
    /// The jumps are sorted by address. The Go daemon inserts each new one at the top instead, so
    /// adopting its chain with several IPs may rewrite it once, atomically, in this order.
    public static func hostSNAT(secondaryIPs: [String]) throws(FirewallError) -> FirewallState {
        var addresses: [IPAddress] = []
        for text in secondaryIPs { addresses.append(try ipv4(text)) }
        let sorted = Set(addresses).sorted()
        var chains: [FirewallChain] = []
        var jumps: [FirewallRule] = []
        for address in sorted {
            let name = chainPrefix + address.description.replacingDots()
            chains.append(try FirewallChain(table: .nat, name: name,
                                            rules: [try FirewallRule(["-s", "\(address)/32", "-j", "ACCEPT"])]))
            jumps.append(try .jump(to: name, comment: "kube-egress-gateway no sNAT packet from ip \(address)"))
        }
        chains.insert(try FirewallChain(table: .nat, name: hostSNATChain, rules: jumps), at: 0)
        let hook = try RequiredRule.jump(table: .nat, from: "POSTROUTING", to: hostSNATChain, comment: hostJumpComment)
        return try FirewallState(chains: chains, requiredRules: [hook])
    }

    /// The gateway namespace's chains for the configuration on WireGuard port `port` leaving from
    /// `secondaryIP`. The port is also the connmark.
    public static func gatewayNetns(port: Int, secondaryIP: String) throws(FirewallError) -> FirewallState {
        let port = try validPort(port)
        let address = try ipv4(secondaryIP)
        let link = wireGuardLinkPrefix + String(port)
        let mark = try FirewallChain(table: .nat, name: markChain(port), rules: [
            try FirewallRule(["-i", link, "-j", "CONNMARK", "--set-mark", String(port)]),
        ])
        let snat = try FirewallChain(table: .nat, name: snatChain(port), rules: [
            try FirewallRule(["-o", gatewayVeth, "-m", "connmark", "--mark", String(port),
                              "-j", "SNAT", "--to-source", address.description]),
        ])
        return try FirewallState(chains: [mark, snat], requiredRules: [
            try .jump(table: .nat, from: "PREROUTING", to: mark.name,
                      comment: "kube-egress-gateway mark packets from gateway link \(link)"),
            try .jump(table: .nat, from: "POSTROUTING", to: snat.name,
                      comment: "kube-egress-gateway sNAT packets from gateway link \(link)"),
        ])
    }

    private static func markChain(_ port: Int) -> String { "\(gatewayChainPrefix)MARK-\(port)" }
    private static func snatChain(_ port: Int) -> String { "\(gatewayChainPrefix)SNAT-\(port)" }

    private static func validPort(_ port: Int) throws(FirewallError) -> Int {
        guard (1...65535).contains(port) else {
            throw .invalidArgument(field: "port", value: String(port), reason: "must be 1 to 65535")
        }
        return port
    }

    private static func ipv4(_ text: String) throws(FirewallError) -> IPAddress {
        guard let address = IPAddress(text), address.isIPv4 else {
            throw .invalidArgument(field: "secondaryIP", value: text, reason: "not an IPv4 address (the chain name is derived from it)")
        }
        return address
    }
}

private extension String {
    func replacingDots() -> String { String(map { $0 == "." ? "-" : $0 }) }
}
