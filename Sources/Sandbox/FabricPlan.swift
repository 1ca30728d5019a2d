import Firewall
import Netlink

/// The kernel state of the fabric namespace that a ``FabricState`` and the current probe results
/// call for: a pure function, so the same inputs always give the same plan and applying it twice
/// changes nothing the second time.
public struct FabricPlan: Sendable, Hashable {
    /// A route of the fabric's main table, by port name (resolved to a link when applied).
    public struct PlannedRoute: Sendable, Hashable, CustomStringConvertible {
        public var destination: IPAddress
        public var gateway: IPAddress?
        public var port: String
        public var description: String { "\(destination)/32" + (gateway.map { " via \($0)" } ?? "") + " dev \(port)" }
    }

    public var routes: Set<PlannedRoute>
    public var firewall: FirewallState
    /// The load-balancer chains of `firewall`; any other chain with ``FabricPlan/ruleChainPrefix`` is stale.
    public var ruleChains: Set<String>

    /// Chains the plan owns.
    static let ruleChainPrefix = "LB-"
    static let loadBalancerChain = "SANDBOX-ILB"
    static let publicDNATChain = "SANDBOX-PIP-DNAT"
    static let publicSNATChain = "SANDBOX-PIP-SNAT"
    static let imdsChain = "SANDBOX-IMDS"
    /// HMARK writes the flow hash into marks from here; the rule chain maps them to backend marks.
    static let hashOffset: UInt32 = 0x100
    /// A fixed seed keeps the hash (and so every flow's backend) the same across applies.
    static let hashSeed = "0x5ab0c0de"

    /// The plan for `state` with `healthy` backends, on the nodes of `layout`.
    public static func desired(_ state: FabricState, healthy: Set<ProbeTarget>,
                               layout: SandboxLayout) throws(SandboxError) -> FabricPlan {
        var routes = Set<PlannedRoute>()
        for secondary in state.secondaryIPs {
            let node = try node(secondary.node, layout, field: "secondary IP \(secondary.address) node")
            routes.insert(PlannedRoute(destination: secondary.address, gateway: node.primaryIP, port: node.fabricPort))
        }
        var balancerJumps: [FirewallRule] = []
        var chains: [FirewallChain] = []
        var ruleChains = Set<String>()
        do {
            for rule in state.loadBalancerRules {
                // The frontend needs a route for proxy ARP to answer for it; unclaimed packets die on lb0.
                routes.insert(PlannedRoute(destination: rule.frontend, gateway: nil, port: SandboxLayout.frontendLink))
                let name = ruleChain(rule)
                guard ruleChains.insert(name).inserted else {
                    throw SandboxError.invalidConfiguration(field: "load-balancer rule", value: "\(rule.frontend):\(rule.transport)/\(rule.port)",
                                                            reason: "two rules for one frontend, protocol and port")
                }
                balancerJumps.append(try FirewallRule(["-d", "\(rule.frontend)/32", "-p", rule.transport.rawValue,
                                                       "-m", rule.transport.rawValue, "--dport", "\(rule.port)", "-j", name]))
                let live = try rule.backends
                    .filter { healthy.contains(ProbeTarget(backend: $0, probe: rule.probe)) }
                    .sorted()
                    .map { backend throws(SandboxError) in try node(backend, layout, field: "backend of \(rule.frontend):\(rule.port)") }
                chains.append(try FirewallChain(table: .mangle, name: name, rules: try balance(over: live)))
            }
            chains.append(try FirewallChain(table: .mangle, name: loadBalancerChain, rules: balancerJumps))

            let dnat = try state.publicIPs.sorted { $0.publicAddress < $1.publicAddress }.map { association throws(FirewallError) in
                try FirewallRule(["-d", "\(association.publicAddress)/32", "-i", SandboxLayout.edgePort,
                                  "-j", "DNAT", "--to-destination", "\(association.privateAddress)"])
            }
            let snat = try state.publicIPs.sorted { $0.privateAddress < $1.privateAddress }.map { association throws(FirewallError) in
                try FirewallRule(["-s", "\(association.privateAddress)/32", "-o", SandboxLayout.edgePort,
                                  "-j", "SNAT", "--to-source", "\(association.publicAddress)"])
            }
            let imds = try state.imdsPort.map { port throws(FirewallError) in
                [try FirewallRule(["-d", "\(SandboxLayout.imdsAddress)/32", "-p", "tcp", "-m", "tcp", "--dport", "80",
                                   "-j", "DNAT", "--to-destination", "\(SandboxLayout.controlAddress):\(port)"])]
            } ?? []
            chains += [
                try FirewallChain(table: .nat, name: publicDNATChain, rules: dnat),
                try FirewallChain(table: .nat, name: publicSNATChain, rules: snat),
                try FirewallChain(table: .nat, name: imdsChain, rules: imds),
            ]
            let firewall = try FirewallState(chains: chains, requiredRules: [
                try .jump(table: .mangle, from: "PREROUTING", to: loadBalancerChain, comment: "sandbox internal load balancer"),
                try .jump(table: .nat, from: "PREROUTING", to: publicDNATChain, comment: "sandbox public IPs inbound"),
                try .jump(table: .nat, from: "PREROUTING", to: imdsChain, comment: "sandbox IMDS"),
                try .jump(table: .nat, from: "POSTROUTING", to: publicSNATChain, comment: "sandbox public IPs outbound"),
            ])
            return FabricPlan(routes: routes, firewall: firewall, ruleChains: ruleChains)
        } catch let error as SandboxError {
            throw error
        } catch {
            throw .step("plan the fabric firewall", cause: error)
        }
    }

    /// The rules that spread flows over `backends`: HMARK hashes the 5-tuple into one of
    /// `backends.count` marks, each mapped to a backend's routing mark. No backend: drop, as Azure
    /// does when every probe fails.
    static func balance(over backends: [NodeLayout]) throws(FirewallError) -> [FirewallRule] {
        guard !backends.isEmpty else { return [try FirewallRule(["-j", "DROP"])] }
        // Written in iptables-save's spelling so the comparison with the kernel's copy is exact.
        var rules = [try FirewallRule([
            "-j", "HMARK", "--hmark-src-prefix", "32", "--hmark-dst-prefix", "32", "--hmark-sport-mask", "0xffff",
            "--hmark-dport-mask", "0xffff", "--hmark-proto-mask", "0xffff", "--hmark-rnd", "0x5ab0c0de",
            "--hmark-mod", "\(backends.count)", "--hmark-offset", "\(hashOffset)",
        ])]
        for (slot, backend) in backends.enumerated() {
            rules.append(try FirewallRule([
                "-m", "mark", "--mark", hex(hashOffset + UInt32(slot)),
                "-j", "MARK", "--set-xmark", "\(hex(backend.backendMark))/0xffffffff",
            ]))
        }
        return rules
    }

    /// `LB-0ae000c8-u6000`: unique per frontend, protocol and port, within iptables' 28 characters.
    static func ruleChain(_ rule: LoadBalancerRule) -> String {
        let address = rule.frontend.bytes.map { byte in
            let text = String(byte, radix: 16)
            return text.count == 1 ? "0" + text : text
        }.joined()
        return "\(ruleChainPrefix)\(address)-\(rule.transport.rawValue.prefix(1))\(rule.port)"
    }

    private static func node(_ address: IPAddress, _ layout: SandboxLayout, field: String) throws(SandboxError) -> NodeLayout {
        guard let node = layout.node(withPrimaryIP: address) else {
            throw .invalidConfiguration(field: field, value: address.description, reason: "no sandbox node has this primary IP")
        }
        return node
    }

    private static func hex(_ value: UInt32) -> String { "0x" + String(value, radix: 16) }
}
