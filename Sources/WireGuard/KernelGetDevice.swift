import Netlink

/// The `WG_CMD_GET_DEVICE` dump request and the decoding of its answer.
///
/// The kernel answers with several messages when the device does not fit in one: later messages
/// repeat only the interface name and carry more peers, and a peer whose allowed IPs were cut
/// reappears at the start of the next message with its public key and the rest of its allowed
/// IPs. Adjacent entries with the same public key are therefore merged into one ``Peer``.
enum KernelGetDevice {
    static func request(family: UInt16, deviceName: String) -> NetlinkMessage {
        var message = GenericNetlink.message(family: family, command: KernelProtocol.Command.getDevice,
                                             version: KernelProtocol.version, flags: NetlinkFlags.dump)
        message.attribute(KernelProtocol.DeviceAttribute.ifname, string: deviceName)
        return message
    }

    /// Decodes the payloads (generic-netlink header first) of every message of one dump.
    static func decode(deviceName: String, payloads: [ArraySlice<UInt8>]) throws(WireGuardError) -> Device {
        var device = Device(name: deviceName)
        func fail(_ reason: String) -> WireGuardError { .malformedAnswer(device: deviceName, operation: "read", reason: reason) }
        do {
            for payload in payloads {
                guard payload.count >= GenericNetlink.headerLength else { throw fail("message shorter than its generic netlink header") }
                let attributes = try NetlinkAttributes(payload.dropFirst(GenericNetlink.headerLength))
                try decodeDeviceFields(attributes, into: &device, fail: fail)
                guard let list = attributes[KernelProtocol.DeviceAttribute.peers] else { continue }
                for entry in try list.nested() {
                    let peer = try decodePeer(try entry.nested(), fail: fail)
                    if let last = device.peers.indices.last, device.peers[last].publicKey == peer.publicKey {
                        device.peers[last].allowedIPs += peer.allowedIPs
                    } else {
                        device.peers.append(peer)
                    }
                }
            }
        } catch let error as WireGuardError {
            throw error
        } catch {
            throw fail("\(error)")
        }
        return device
    }

    private static func decodeDeviceFields(_ attributes: NetlinkAttributes, into device: inout Device,
                                           fail: (String) -> WireGuardError) throws(WireGuardError) {
        typealias A = KernelProtocol.DeviceAttribute
        if let attribute = attributes[A.privateKey] {
            guard let material = KeyMaterial(attribute.payload) else { throw fail("private key of \(attribute.payload.count) bytes") }
            if !material.isZero { device.privateKey = PrivateKey(material: material) }
        }
        if let attribute = attributes[A.publicKey] {
            guard let material = KeyMaterial(attribute.payload) else { throw fail("public key of \(attribute.payload.count) bytes") }
            if !material.isZero { device.publicKey = PublicKey(material: material) }
        }
        if let port = attributes[A.listenPort]?.u16 { device.listenPort = port }
        if let mark = attributes[A.firewallMark]?.u32 { device.firewallMark = mark }
    }

    private static func decodePeer(_ attributes: NetlinkAttributes, fail: (String) -> WireGuardError) throws(WireGuardError) -> Peer {
        typealias P = KernelProtocol.PeerAttribute
        guard let keyAttribute = attributes[P.publicKey], let key = KeyMaterial(keyAttribute.payload) else {
            throw fail("peer without a 32-byte public key")
        }
        var peer = Peer(publicKey: PublicKey(material: key))
        if let attribute = attributes[P.presharedKey] {
            guard let material = KeyMaterial(attribute.payload) else { throw fail("preshared key of \(attribute.payload.count) bytes") }
            if !material.isZero { peer.presharedKey = PresharedKey(material: material) }
        }
        if let attribute = attributes[P.endpoint] {
            guard let endpoint = SocketAddress.decode(attribute.payload) else { throw fail("endpoint of peer \(peer.publicKey) is not a sockaddr_in/in6") }
            peer.endpoint = endpoint
        }
        if let interval = attributes[P.persistentKeepaliveInterval]?.u16 { peer.persistentKeepaliveInterval = interval }
        if let attribute = attributes[P.lastHandshakeTime] {
            // struct __kernel_timespec: two signed 64-bit fields, seconds then nanoseconds.
            guard attribute.payload.count >= 16 else { throw fail("last handshake time of \(attribute.payload.count) bytes") }
            let seconds = hostInteger(Int64.self, attribute.payload.prefix(8))
            let nanoseconds = hostInteger(Int64.self, attribute.payload.dropFirst(8).prefix(8))
            if seconds != 0 || nanoseconds != 0 {
                peer.lastHandshake = .seconds(seconds) + .nanoseconds(nanoseconds)
            }
        }
        if let bytes = attributes[P.receiveBytes]?.u64 { peer.receiveBytes = bytes }
        if let bytes = attributes[P.transmitBytes]?.u64 { peer.transmitBytes = bytes }
        if let version = attributes[P.protocolVersion]?.u32 { peer.protocolVersion = Int(version) }
        if let list = attributes[P.allowedIPs] {
            do {
                for entry in try list.nested() {
                    peer.allowedIPs.append(try decodeAllowedIP(try entry.nested(), fail: fail))
                }
            } catch let error as WireGuardError {
                throw error
            } catch {
                throw fail("allowed IPs of peer \(peer.publicKey): \(error)")
            }
        }
        return peer
    }

    private static func decodeAllowedIP(_ attributes: NetlinkAttributes, fail: (String) -> WireGuardError) throws(WireGuardError) -> IPNetwork {
        typealias A = KernelProtocol.AllowedIPAttribute
        guard let family = attributes[A.family]?.u16, let addressAttribute = attributes[A.address],
              let mask = attributes[A.cidrMask]?.u8 else { throw fail("allowed IP without family, address or mask") }
        let length = family == KernelProtocol.afInet ? 4 : family == KernelProtocol.afInet6 ? 16 : 0
        guard length > 0, addressAttribute.payload.count >= length,
              let address = IPAddress(bytes: addressAttribute.payload.prefix(length)),
              let network = IPNetwork(address: address, prefixLength: Int(mask)) else {
            throw fail("allowed IP of family \(family) with \(addressAttribute.payload.count) address bytes and mask \(mask)")
        }
        return network
    }

    private static func hostInteger<T: FixedWidthInteger>(_: T.Type, _ bytes: ArraySlice<UInt8>) -> T {
        var value: T = 0
        withUnsafeMutableBytes(of: &value) { destination in
            for (index, byte) in bytes.prefix(MemoryLayout<T>.size).enumerated() { destination[index] = byte }
        }
        return value
    }
}
