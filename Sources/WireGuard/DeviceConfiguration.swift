import Netlink

/// A change to a device, applied as one transaction by ``WireGuardClient/configure(named:_:)``.
/// Nil fields are left as they are.
public struct DeviceConfiguration: Equatable, Sendable {
    /// The new private key; ``PrivateKey`` of all zeros removes it.
    public var privateKey: PrivateKey?
    /// The new UDP port; 0 lets the device pick one.
    public var listenPort: UInt16?
    /// The new mark for encrypted packets; 0 removes it.
    public var firewallMark: UInt32?
    /// Removes every peer not listed in ``peers`` (and the listed ones' old state) first.
    public var replacePeers: Bool
    public var peers: [PeerConfiguration]

    public init(privateKey: PrivateKey? = nil, listenPort: UInt16? = nil, firewallMark: UInt32? = nil,
                replacePeers: Bool = false, peers: [PeerConfiguration] = []) {
        self.privateKey = privateKey
        self.listenPort = listenPort
        self.firewallMark = firewallMark
        self.replacePeers = replacePeers
        self.peers = peers
    }
}

/// A change to one peer, identified by its public key. Nil fields are left as they are.
public struct PeerConfiguration: Equatable, Sendable {
    public var publicKey: PublicKey
    /// Removes the peer; every other field is then ignored.
    public var remove: Bool
    /// Changes the peer only if it already exists, never creates it.
    public var updateOnly: Bool
    /// The new preshared key; ``PresharedKey/none`` removes it.
    public var presharedKey: PresharedKey?
    public var endpoint: Endpoint?
    /// Seconds between keepalive packets; 0 disables them.
    public var persistentKeepaliveInterval: UInt16?
    /// Drops the peer's current allowed IPs before adding ``allowedIPs``; otherwise they are added.
    public var replaceAllowedIPs: Bool
    /// Sent as networks (host bits cleared), as both backends store them.
    public var allowedIPs: [IPNetwork]

    public init(publicKey: PublicKey, remove: Bool = false, updateOnly: Bool = false,
                presharedKey: PresharedKey? = nil, endpoint: Endpoint? = nil,
                persistentKeepaliveInterval: UInt16? = nil, replaceAllowedIPs: Bool = false,
                allowedIPs: [IPNetwork] = []) {
        self.publicKey = publicKey
        self.remove = remove
        self.updateOnly = updateOnly
        self.presharedKey = presharedKey
        self.endpoint = endpoint
        self.persistentKeepaliveInterval = persistentKeepaliveInterval
        self.replaceAllowedIPs = replaceAllowedIPs
        self.allowedIPs = allowedIPs
    }

    /// A configuration that removes the peer with `publicKey`.
    public static func removing(_ publicKey: PublicKey) -> PeerConfiguration {
        PeerConfiguration(publicKey: publicKey, remove: true)
    }
}
