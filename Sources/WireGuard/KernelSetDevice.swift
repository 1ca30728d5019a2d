import Netlink

/// Builds the `WG_CMD_SET_DEVICE` messages for one ``DeviceConfiguration``.
///
/// The kernel takes a configuration of any size but each netlink message must stay small, so a big
/// one is split the way `linux/wireguard.h` describes and `wg(8)` does it:
/// - only the first message carries the device fields (private key, port, mark) and
///   `WGDEVICE_F_REPLACE_PEERS`, so the peer list is cleared once and later messages append;
/// - peers fill each message in order; a peer whose allowed IPs do not fit continues in the next
///   message with only its public key, `WGPEER_F_UPDATE_ONLY` if it had it, and the remaining
///   allowed IPs (never `WGPEER_F_REPLACE_ALLOWEDIPS` again, which would drop the first part).
///
/// Sizes are computed before encoding, so a peer is never cut in the middle of an attribute.
struct KernelSetDevice {
    /// Bytes per message, `nlmsghdr` included: one page, the buffer `wg(8)` fills
    /// (`MNL_SOCKET_BUFFER_SIZE`), comfortably below what any kernel accepts in one request.
    static let defaultBudget = 4096
    /// Enough for the device fields plus one peer with every field and one IPv6 allowed IP.
    static let minimumBudget = 512

    let family: UInt16
    let deviceName: String
    let budget: Int

    init(family: UInt16, deviceName: String, budget: Int = KernelSetDevice.defaultBudget) {
        self.family = family
        self.deviceName = deviceName
        self.budget = max(budget, Self.minimumBudget)
    }

    /// One fragment of a peer inside a message: which allowed IPs, and whether it is the peer's
    /// first appearance (which carries all its other fields).
    struct Fragment: Equatable {
        let peer: Int
        let allowedIPs: Range<Int>
        let isFirst: Bool
    }

    /// The messages, in the order they must be sent.
    func messages(for configuration: DeviceConfiguration) -> [NetlinkMessage] {
        plan(configuration).enumerated().map { index, fragments in
            encode(configuration, fragments: fragments, isFirst: index == 0)
        }
    }

    /// Splits the peers into per-message fragment lists; always at least one message.
    func plan(_ configuration: DeviceConfiguration) -> [[Fragment]] {
        var plans: [[Fragment]] = []
        var current: [Fragment] = []
        var size = baseSize(configuration, isFirst: true)
        func startMessage() {
            plans.append(current)
            current = []
            size = baseSize(configuration, isFirst: false)
        }
        for (index, peer) in configuration.peers.enumerated() {
            let addresses = peer.remove ? [] : peer.allowedIPs
            var next = 0
            var isFirst = true
            while true {
                let listHeader = current.isEmpty ? Self.nestHeader : 0
                let header = peerHeaderSize(peer, isFirst: isFirst)
                let smallest = header + (next < addresses.count ? Self.nestHeader + Self.allowedIPSize(addresses[next]) : 0)
                if size + listHeader + smallest > budget, !current.isEmpty {
                    startMessage()
                    continue
                }
                size += listHeader + header
                var end = next
                if next < addresses.count {
                    size += Self.nestHeader
                    while end < addresses.count, size + Self.allowedIPSize(addresses[end]) <= budget || end == next {
                        size += Self.allowedIPSize(addresses[end])
                        end += 1
                    }
                }
                current.append(Fragment(peer: index, allowedIPs: next..<end, isFirst: isFirst))
                next = end
                isFirst = false
                if next == addresses.count { break }
                startMessage()
            }
        }
        plans.append(current)
        return plans
    }

    // MARK: Encoding

    private func encode(_ configuration: DeviceConfiguration, fragments: [Fragment], isFirst: Bool) -> NetlinkMessage {
        typealias A = KernelProtocol.DeviceAttribute
        var message = GenericNetlink.message(family: family, command: KernelProtocol.Command.setDevice,
                                             version: KernelProtocol.version)
        message.attribute(A.ifname, string: deviceName)
        if isFirst {
            if let key = configuration.privateKey { message.attribute(A.privateKey, key.bytes) }
            if let port = configuration.listenPort { message.attribute(A.listenPort, u16: port) }
            if let mark = configuration.firewallMark { message.attribute(A.firewallMark, u32: mark) }
            if configuration.replacePeers { message.attribute(A.flags, u32: KernelProtocol.replacePeers) }
        }
        guard !fragments.isEmpty else { return message }
        message.nested(A.peers) { list in
            for fragment in fragments {
                list.nested(KernelProtocol.listEntry) { Self.encodePeer(configuration.peers[fragment.peer], fragment, into: &$0) }
            }
        }
        return message
    }

    private static func encodePeer(_ peer: PeerConfiguration, _ fragment: Fragment, into message: inout NetlinkMessage) {
        typealias P = KernelProtocol.PeerAttribute
        message.attribute(P.publicKey, peer.publicKey.bytes)
        let flags = peerFlags(peer, isFirst: fragment.isFirst)
        if flags != 0 { message.attribute(P.flags, u32: flags) }
        if fragment.isFirst, !peer.remove {
            if let key = peer.presharedKey { message.attribute(P.presharedKey, key.bytes) }
            if let endpoint = peer.endpoint { message.attribute(P.endpoint, SocketAddress.encode(endpoint)) }
            if let interval = peer.persistentKeepaliveInterval { message.attribute(P.persistentKeepaliveInterval, u16: interval) }
        }
        guard !fragment.allowedIPs.isEmpty else { return }
        message.nested(P.allowedIPs) { list in
            for network in peer.allowedIPs[fragment.allowedIPs] {
                list.nested(KernelProtocol.listEntry) { entry in
                    let masked = network.network
                    entry.attribute(KernelProtocol.AllowedIPAttribute.family,
                                    u16: masked.address.isIPv4 ? KernelProtocol.afInet : KernelProtocol.afInet6)
                    entry.attribute(KernelProtocol.AllowedIPAttribute.address, masked.address.bytes)
                    entry.attribute(KernelProtocol.AllowedIPAttribute.cidrMask, u8: UInt8(masked.prefixLength))
                }
            }
        }
    }

    private static func peerFlags(_ peer: PeerConfiguration, isFirst: Bool) -> UInt32 {
        var flags: UInt32 = 0
        if peer.remove { flags |= KernelProtocol.PeerFlag.removeMe }
        if peer.updateOnly { flags |= KernelProtocol.PeerFlag.updateOnly }
        if peer.replaceAllowedIPs, isFirst { flags |= KernelProtocol.PeerFlag.replaceAllowedIPs }
        return flags
    }

    // MARK: Sizes (must match the encoding above byte for byte)

    private static let nestHeader = 4

    private static func attributeSize(_ payload: Int) -> Int { 4 + ((payload + 3) & ~3) }

    private func baseSize(_ configuration: DeviceConfiguration, isFirst: Bool) -> Int {
        var size = NetlinkMessage.headerLength + GenericNetlink.headerLength + Self.attributeSize(deviceName.utf8.count + 1)
        if isFirst {
            if configuration.privateKey != nil { size += Self.attributeSize(KeyMaterial.byteCount) }
            if configuration.listenPort != nil { size += Self.attributeSize(2) }
            if configuration.firewallMark != nil { size += Self.attributeSize(4) }
            if configuration.replacePeers { size += Self.attributeSize(4) }
        }
        return size
    }

    /// A peer's nest with everything but its allowed-IP entries (and their list header).
    private func peerHeaderSize(_ peer: PeerConfiguration, isFirst: Bool) -> Int {
        var size = Self.nestHeader + Self.attributeSize(KeyMaterial.byteCount)
        if Self.peerFlags(peer, isFirst: isFirst) != 0 { size += Self.attributeSize(4) }
        if isFirst, !peer.remove {
            if peer.presharedKey != nil { size += Self.attributeSize(KeyMaterial.byteCount) }
            if let endpoint = peer.endpoint {
                size += Self.attributeSize(endpoint.address.isIPv4 ? SocketAddress.inetLength : SocketAddress.inet6Length)
            }
            if peer.persistentKeepaliveInterval != nil { size += Self.attributeSize(2) }
        }
        return size
    }

    private static func allowedIPSize(_ network: IPNetwork) -> Int {
        nestHeader + attributeSize(2) + attributeSize(network.address.isIPv4 ? 4 : 16) + attributeSize(1)
    }
}
