import Netlink
import WireGuard

/// One gateway on the node, as a StaticGatewayConfiguration describes it once the operator has
/// provisioned it: its own WireGuard link `wg-<port>`, the ILB frontend address its tunnel
/// traffic arrives on, and the secondary IP its traffic leaves from.
public struct GatewayConfiguration: Hashable, Sendable {
    /// The configuration's identity (the SGC's `metadata.uid`): the link's alias, and the key
    /// the load-balancer probe answers for.
    public let uid: String
    /// The WireGuard listen port, also the link name's suffix and the connection mark.
    public let port: UInt16
    /// The internal load balancer's frontend address, put on the uplink as a /32.
    public let ilbIP: IPAddress
    /// The node's primary IPv4 address as the gateway's VM profile gives it: the gateway
    /// namespace's next hop into the host.
    public let primaryIP: IPAddress
    /// The node's secondary IP for this gateway: traffic from the tunnel is source-NATed to it.
    public let secondaryIP: IPAddress
    public let privateKey: PrivateKey
    /// Peers that must be on the link (others are left alone: see ``GatewayDataPath/apply(_:)``).
    public var peers: [GatewayPeer]

    public init(uid: String, port: UInt16, ilbIP: IPAddress, primaryIP: IPAddress, secondaryIP: IPAddress, privateKey: PrivateKey,
                peers: [GatewayPeer] = []) throws(GatewayDataPathError) {
        guard !uid.isEmpty, uid.utf8.count <= 255, !uid.contains("\0") else {
            throw .invalidArgument(field: "uid", value: uid, reason: "must be 1 to 255 bytes without NUL (it becomes the link alias)")
        }
        guard port != 0 else { throw .invalidArgument(field: "port", value: "0", reason: "must be 1 to 65535") }
        guard ilbIP.isIPv4 else {
            throw .invalidArgument(field: "ilbIP", value: ilbIP.description, reason: "must be an IPv4 address")
        }
        guard primaryIP.isIPv4 else {
            throw .invalidArgument(field: "primaryIP", value: primaryIP.description, reason: "must be an IPv4 address")
        }
        guard secondaryIP.isIPv4 else {
            throw .invalidArgument(field: "secondaryIP", value: secondaryIP.description, reason: "must be an IPv4 address")
        }
        self.uid = uid
        self.port = port
        self.ilbIP = ilbIP
        self.primaryIP = primaryIP
        self.secondaryIP = secondaryIP
        self.privateKey = privateKey
        self.peers = peers
    }

    /// `wg-<port>`.
    public var linkName: String { GatewayLayout.wireGuardLinkName(port: port) }

    /// What the cleanup must keep for this configuration.
    public var active: ActiveGateway { ActiveGateway(port: port, secondaryIP: secondaryIP, ilbIP: ilbIP) }
}

/// A pod's end of a tunnel: its public key and the address its traffic comes from.
public struct GatewayPeer: Hashable, Sendable {
    public let publicKey: PublicKey
    /// The pod's address block (normally a /32), with host bits cleared as WireGuard stores it.
    public let podCIDR: IPNetwork

    /// A /0 is refused: its route would replace the gateway namespace's default route.
    public init(publicKey: PublicKey, podCIDR: IPNetwork) throws(GatewayDataPathError) {
        guard podCIDR.prefixLength > 0 else {
            throw .invalidArgument(field: "podCIDR", value: podCIDR.description, reason: "must be a pod's address block, not a default route")
        }
        self.publicKey = publicKey
        self.podCIDR = podCIDR.network
    }
}

/// A gateway the cleanup must keep. The secondary IP or the ILB address may be unknown for a
/// while (its VM configuration does not list the node yet): the link and its peers are kept
/// anyway, and the addresses and chains that only the unknown value could tell apart are left
/// alone rather than guessed at.
public struct ActiveGateway: Hashable, Sendable {
    public let port: UInt16
    public let secondaryIP: IPAddress?
    public let ilbIP: IPAddress?

    public init(port: UInt16, secondaryIP: IPAddress?, ilbIP: IPAddress?) {
        self.port = port
        self.secondaryIP = secondaryIP
        self.ilbIP = ilbIP
    }

    public var linkName: String { GatewayLayout.wireGuardLinkName(port: port) }
}
