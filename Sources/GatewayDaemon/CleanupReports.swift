import Netlink
import WireGuard

/// What ``GatewayDataPath/cleanup(active:)`` removed, for the daemon to follow up (unregister
/// load-balancer probes, drop status entries) and to log.
public struct CleanupReport: Sendable {
    /// The gateways whose `wg-<port>` link was deleted.
    public internal(set) var removedGateways: [RemovedGateway] = []
    /// Secondary IPs taken off `host0` (their host routes and chains went with them).
    public internal(set) var removedSecondaryIPs: [IPAddress] = []
    /// Every kernel write, in order.
    public internal(set) var changes = DataPathChanges()
    /// Steps that failed; the cleanup went on with the others.
    public internal(set) var failures: [GatewayDataPathError] = []

    init() {}
}

/// A gateway whose link the cleanup deleted.
public struct RemovedGateway: Hashable, Sendable {
    public let port: UInt16
    /// The link's alias: the uid of the configuration that made it; nil when the link had none
    /// (the Go daemon never managed to set one).
    public let uid: String?

    public var linkName: String { GatewayLayout.wireGuardLinkName(port: port) }
}

/// What ``GatewayDataPath/removeStalePeers(expected:)`` did, per WireGuard port.
public struct PeerCleanupReport: Sendable {
    /// Peers removed, per port; ports where nothing was removed are absent.
    public internal(set) var removed: [UInt16: [PublicKey]] = [:]
    /// Peers left on the link, per port that could be read: what the node's status should list.
    /// A port that failed is absent here, so its peers are unknown rather than reported gone.
    public internal(set) var kept: [UInt16: [PublicKey]] = [:]
    /// Ports whose sweep failed; the others were swept.
    public internal(set) var failures: [UInt16: GatewayDataPathError] = [:]
    /// Every kernel write, in order.
    public internal(set) var changes = DataPathChanges()

    init() {}
}
