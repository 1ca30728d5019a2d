/// The pod-side `mangle` rules of the original kube-egress-cni plugin ("ingress symmetry"):
/// packets arriving on the pod's primary interface get a mark that is saved on their connection
/// and restored on the pod's replies, so a policy rule can route those replies back out of that
/// interface instead of the tunnel. The rules live directly in the built-in chains and are
/// appended when absent, as the original does.
public enum PodRules {
    /// The mark, `ip rule` fwmark and routing table of the original: 8738 (`0x2222`).
    public static let ingressMark: UInt32 = 8738

    /// `PREROUTING -i <interface> -j MARK --set-mark <mark>`, `PREROUTING -j CONNMARK --save-mark`,
    /// `OUTPUT -m connmark --mark <mark> -j CONNMARK --restore-mark`, all in `mangle`.
    public static func ingressSymmetry(mark: UInt32 = ingressMark, interface: String = "eth0") throws(FirewallError) -> FirewallState {
        guard !interface.isEmpty, interface.utf8.count <= 15, interface != ".", interface != "..",
              interface.unicodeScalars.allSatisfy({ $0.isASCII && $0.value > 0x20 && $0.value < 0x7f && $0 != "/" && $0 != ":" })
        else {
            throw .invalidArgument(field: "interface", value: interface,
                                   reason: "must be a Linux interface name (1 to 15 printable bytes, no '/', ':' or blank)")
        }
        let rules = [
            ("PREROUTING", ["-i", interface, "-j", "MARK", "--set-mark", String(mark)]),
            ("PREROUTING", ["-j", "CONNMARK", "--save-mark"]),
            ("OUTPUT", ["-m", "connmark", "--mark", String(mark), "-j", "CONNMARK", "--restore-mark"]),
        ]
        var required: [RequiredRule] = []
        for (chain, arguments) in rules {
            required.append(try RequiredRule(table: .mangle, chain: chain, rule: try FirewallRule(arguments), placement: .last))
        }
        return try FirewallState(requiredRules: required)
    }
}
