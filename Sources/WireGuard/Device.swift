import Netlink

/// A WireGuard device as read back from a backend: its interface, keys and peers with their state.
public struct Device: Equatable, Sendable {
    /// The interface name the device was asked for.
    public var name: String
    /// Nil when no private key is set (a freshly created device).
    public var privateKey: PrivateKey?
    /// Derived from ``privateKey``; nil when there is none.
    public var publicKey: PublicKey?
    /// The UDP port; 0 while the device has none (not up yet, or no port chosen).
    public var listenPort: UInt16
    /// The mark put on outgoing encrypted packets; 0 when none.
    public var firewallMark: UInt32
    /// In the implementation's order: the kernel keeps insertion order, wireguard-go does not.
    public var peers: [Peer]

    public init(name: String, privateKey: PrivateKey? = nil, publicKey: PublicKey? = nil,
                listenPort: UInt16 = 0, firewallMark: UInt32 = 0, peers: [Peer] = []) {
        self.name = name
        self.privateKey = privateKey
        self.publicKey = publicKey ?? privateKey?.publicKey
        self.listenPort = listenPort
        self.firewallMark = firewallMark
        self.peers = peers
    }
}

/// One peer of a ``Device`` with its configuration and traffic state.
public struct Peer: Equatable, Sendable {
    public var publicKey: PublicKey
    /// Nil when the peer has no preshared key.
    public var presharedKey: PresharedKey?
    /// Configured, or learnt from the peer's last authenticated packet; nil when unknown.
    public var endpoint: Endpoint?
    /// Seconds between keepalive packets; 0 when disabled.
    public var persistentKeepaliveInterval: UInt16
    /// Time of the last completed handshake since the Unix epoch; nil when there was none.
    public var lastHandshake: Duration?
    public var receiveBytes: UInt64
    public var transmitBytes: UInt64
    /// Source addresses accepted from this peer and destinations routed to it, in device order.
    public var allowedIPs: [IPNetwork]
    /// The WireGuard protocol version in use (1 today).
    public var protocolVersion: Int

    public init(publicKey: PublicKey, presharedKey: PresharedKey? = nil, endpoint: Endpoint? = nil,
                persistentKeepaliveInterval: UInt16 = 0, lastHandshake: Duration? = nil,
                receiveBytes: UInt64 = 0, transmitBytes: UInt64 = 0, allowedIPs: [IPNetwork] = [],
                protocolVersion: Int = 1) {
        self.publicKey = publicKey
        self.presharedKey = presharedKey
        self.endpoint = endpoint
        self.persistentKeepaliveInterval = persistentKeepaliveInterval
        self.lastHandshake = lastHandshake
        self.receiveBytes = receiveBytes
        self.transmitBytes = transmitBytes
        self.allowedIPs = allowedIPs
        self.protocolVersion = protocolVersion
    }
}
