import Firewall
import Netlink

/// The fixed names and addresses of a gateway node's data path, exactly as the original
/// kube-egress-gateway daemon uses them, so a node it set up is adopted as it is.
public enum GatewayLayout {
    /// The namespace that holds every gateway's WireGuard link and the `host0` end of the veth.
    public static let defaultNamespaceName = "ns-static-egress-gateway"
    /// The host end of the veth between the host and the gateway namespace.
    public static let hostVeth = "host-gateway"
    /// The gateway namespace's end of that veth (the name the firewall rules match on).
    public static let gatewayVeth = GatewayRules.gatewayVeth
    /// Every WireGuard link has this address: the next hop (`default via inet6 fe80::1`) the pod
    /// side routes through, identical on every link.
    public static let wireGuardAddress = IPNetwork("fe80::1/64")!
    /// The ILB frontend address is labelled `<uplink>` plus this suffix (`eth0:egress`): the
    /// label is how the cleanup tells it from the node's own addresses.
    public static let uplinkLabelSuffix = ":egress"

    /// `wg-<port>`: one WireGuard link per gateway configuration, named after its port.
    public static func wireGuardLinkName(port: UInt16) -> String {
        GatewayRules.wireGuardLinkPrefix + String(port)
    }

    /// The port of a link called `wg-<decimal port>`; nil for any other name, so a link that
    /// merely starts with `wg-` is never taken for a gateway's.
    public static func port(ofLinkNamed name: String) -> UInt16? {
        guard name.hasPrefix(GatewayRules.wireGuardLinkPrefix) else { return nil }
        return decimalPort(name.dropFirst(GatewayRules.wireGuardLinkPrefix.count))
    }

    /// The secondary IP of a host chain `EGRESS-<a-b-c-d>`; nil for any other chain name.
    static func secondaryIP(ofHostChain name: String) -> IPAddress? {
        guard name.hasPrefix(GatewayRules.chainPrefix) else { return nil }
        let dashed = name.dropFirst(GatewayRules.chainPrefix.count)
        guard dashed.split(separator: "-", omittingEmptySubsequences: false).count == 4,
              let address = IPAddress(String(dashed.map { $0 == "-" ? "." : $0 })), address.isIPv4,
              (try? GatewayRules.hostChainName(secondaryIP: address.description)) == name else { return nil }
        return address
    }

    /// The port of a gateway-namespace chain `EGRESS-GATEWAY-MARK-<port>` or
    /// `EGRESS-GATEWAY-SNAT-<port>`; nil for any other chain name.
    static func port(ofGatewayChain name: String) -> UInt16? {
        for kind in ["MARK-", "SNAT-"] {
            let prefix = GatewayRules.gatewayChainPrefix + kind
            if name.hasPrefix(prefix) { return decimalPort(name.dropFirst(prefix.count)) }
        }
        return nil
    }

    /// A port written in canonical decimal (no sign, no leading zero), so a name maps back to
    /// exactly the name it came from.
    private static func decimalPort(_ text: Substring) -> UInt16? {
        guard let port = UInt16(text), port != 0, String(port) == text else { return nil }
        return port
    }
}
