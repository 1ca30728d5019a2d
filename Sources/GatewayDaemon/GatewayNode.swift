import Firewall
import Netlink
import WireGuard

/// The node a gateway data path is built on: what every gateway configuration on it shares.
public struct GatewayNode: Equatable, Sendable {
    /// The namespace that receives the load balancer's traffic and holds the node's uplink (the
    /// host namespace on a real node). WireGuard links are created here, so their UDP sockets
    /// stay here after the links move into the gateway namespace.
    public let hostNamespace: NetworkNamespace
    /// The uplink that carries the ILB frontend address and loses the secondary IPs.
    public let uplink: String
    /// The named namespace (`/var/run/netns/<name>`) that holds the gateways; created when missing.
    public let gatewayNamespaceName: String
    /// How WireGuard devices are driven (kernel, or a userspace implementation started in the
    /// host namespace).
    public let wireGuard: WireGuardOptions
    /// The iptables flavour of the node.
    public let iptables: IPTables.Executables

    /// The node; every value is checked here so that a bad one never reaches the kernel.
    public init(hostNamespace: NetworkNamespace = .process, uplink: String = "eth0",
                gatewayNamespaceName: String = GatewayLayout.defaultNamespaceName,
                wireGuard: WireGuardOptions = WireGuardOptions(),
                iptables: IPTables.Executables = .standard) throws(GatewayDataPathError) {
        if let problem = InterfaceName.problem(with: uplink) {
            throw .invalidArgument(field: "uplink", value: uplink, reason: problem)
        }
        // The ILB address is labelled `<uplink>:egress`, and a label is an interface name too.
        let label = uplink + GatewayLayout.uplinkLabelSuffix
        guard label.utf8.count <= InterfaceName.maximumBytes else {
            throw .invalidArgument(field: "uplink", value: uplink,
                                   reason: "its address label \"\(label)\" would be longer than \(InterfaceName.maximumBytes) bytes")
        }
        guard !gatewayNamespaceName.isEmpty, gatewayNamespaceName.utf8.count <= 255, !gatewayNamespaceName.contains("/"),
              !gatewayNamespaceName.contains("\0"), gatewayNamespaceName != ".", gatewayNamespaceName != ".." else {
            throw .invalidArgument(field: "gatewayNamespaceName", value: gatewayNamespaceName,
                                   reason: "must be a non-empty file name without '/'")
        }
        self.hostNamespace = hostNamespace
        self.uplink = uplink
        self.gatewayNamespaceName = gatewayNamespaceName
        self.wireGuard = wireGuard
        self.iptables = iptables
    }

    /// `/var/run/netns/<gatewayNamespaceName>`, whether or not it exists yet.
    public var gatewayNamespace: NetworkNamespace {
        NetworkNamespace(path: NetworkNamespace.runDirectory + "/" + gatewayNamespaceName)
    }

    /// The label of the ILB frontend address on the uplink: `eth0:egress`.
    public var uplinkLabel: String { uplink + GatewayLayout.uplinkLabelSuffix }
}
