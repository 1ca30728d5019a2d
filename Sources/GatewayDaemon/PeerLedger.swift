import Kube

/// What this daemon has put on the node, as far as its own successful calls tell: which gateways
/// have a ready link (and on which port), and which PodEndpoint's peer is on which link. It is
/// what turns a pod event into O(1) work: the reconcile compares the wanted peer with the
/// recorded one and touches the kernel only when they differ, without reading the device.
///
/// The record can lag the kernel (a link deleted by hand); the periodic re-apply and the peer
/// sweep, which read the kernel, put both right.
actor PeerLedger {
    /// A PodEndpoint's peer as installed.
    struct InstalledPeer: Hashable, Sendable {
        let gateway: ObjectKey
        let port: UInt16
        let peer: GatewayPeer
    }

    private var readyPorts: [ObjectKey: UInt16] = [:]
    private var uids: [UInt16: String] = [:]
    private var installed: [ObjectKey: InstalledPeer] = [:]

    func port(ofReadyGateway gateway: ObjectKey) -> UInt16? { readyPorts[gateway] }

    var readyGateways: [ObjectKey: UInt16] { readyPorts }

    func uid(ofPort port: UInt16) -> String? { uids[port] }

    func installedPeer(_ endpoint: ObjectKey) -> InstalledPeer? { installed[endpoint] }

    /// A gateway's apply succeeded with `peers` on its link: its endpoints are recorded as they
    /// were given. A gateway that moved to another port leaves its old port's records to the
    /// cleanup of that link.
    func gatewayApplied(_ gateway: ObjectKey, port: UInt16, uid: String, peers: [ObjectKey: GatewayPeer]) {
        readyPorts[gateway] = port
        uids[port] = uid
        for (endpoint, peer) in peers { installed[endpoint] = InstalledPeer(gateway: gateway, port: port, peer: peer) }
    }

    func recordPeer(_ endpoint: ObjectKey, _ peer: InstalledPeer) { installed[endpoint] = peer }

    func forgetPeer(_ endpoint: ObjectKey) { installed[endpoint] = nil }

    /// Peers a sweep removed from `port`.
    func peersRemoved(port: UInt16, keys: Set<String>) {
        installed = installed.filter { $0.value.port != port || !keys.contains($0.value.peer.publicKey.base64) }
    }

    /// The link of `port` was deleted, and its peers with it.
    func linkRemoved(port: UInt16) {
        readyPorts = readyPorts.filter { $0.value != port }
        uids[port] = nil
        installed = installed.filter { $0.value.port != port }
    }
}
