import Netlink

/// Numbers of the kernel's generic-netlink family `wireguard` (`linux/wireguard.h`, version 1).
enum KernelProtocol {
    static let familyName = "wireguard"
    static let version: UInt8 = 1

    /// `enum wg_cmd`.
    enum Command {
        static let getDevice: UInt8 = 0
        static let setDevice: UInt8 = 1
    }

    /// `enum wgdevice_attribute`.
    enum DeviceAttribute {
        static let ifindex: UInt16 = 1
        static let ifname: UInt16 = 2
        static let privateKey: UInt16 = 3
        static let publicKey: UInt16 = 4
        static let flags: UInt16 = 5
        static let listenPort: UInt16 = 6
        static let firewallMark: UInt16 = 7
        static let peers: UInt16 = 8
    }

    /// `enum wgdevice_flag`.
    static let replacePeers: UInt32 = 1 << 0

    /// `enum wgpeer_attribute`.
    enum PeerAttribute {
        static let publicKey: UInt16 = 1
        static let presharedKey: UInt16 = 2
        static let flags: UInt16 = 3
        static let endpoint: UInt16 = 4
        static let persistentKeepaliveInterval: UInt16 = 5
        static let lastHandshakeTime: UInt16 = 6
        static let receiveBytes: UInt16 = 7
        static let transmitBytes: UInt16 = 8
        static let allowedIPs: UInt16 = 9
        static let protocolVersion: UInt16 = 10
    }

    /// `enum wgpeer_flag`.
    enum PeerFlag {
        static let removeMe: UInt32 = 1 << 0
        static let replaceAllowedIPs: UInt32 = 1 << 1
        static let updateOnly: UInt32 = 1 << 2
    }

    /// `enum wgallowedip_attribute`.
    enum AllowedIPAttribute {
        static let family: UInt16 = 1
        static let address: UInt16 = 2
        static let cidrMask: UInt16 = 3
    }

    /// Entries of the `WGDEVICE_A_PEERS` and `WGPEER_A_ALLOWEDIPS` lists are nests of type 0.
    static let listEntry: UInt16 = 0

    static let afInet: UInt16 = 2
    static let afInet6: UInt16 = 10
}

/// The bytes of a `struct sockaddr_in` / `sockaddr_in6`, the form the kernel takes and gives
/// endpoints in: family in host order, port in network order, then the address.
enum SocketAddress {
    static let inetLength = 16
    static let inet6Length = 28

    static func encode(_ endpoint: Endpoint) -> [UInt8] {
        var bytes: [UInt8]
        let family = endpoint.address.isIPv4 ? KernelProtocol.afInet : KernelProtocol.afInet6
        bytes = withUnsafeBytes(of: family) { Array($0) }
        bytes += [UInt8(endpoint.port >> 8), UInt8(endpoint.port & 0xff)]
        if endpoint.address.isIPv4 {
            bytes += endpoint.address.bytes            // sin_addr
            bytes += [UInt8](repeating: 0, count: 8)   // sin_zero
        } else {
            bytes += [0, 0, 0, 0]                      // sin6_flowinfo
            bytes += endpoint.address.bytes            // sin6_addr
            bytes += [0, 0, 0, 0]                      // sin6_scope_id
        }
        return bytes
    }

    /// Nil for a family other than IPv4/IPv6 or a buffer too short for it.
    static func decode(_ bytes: ArraySlice<UInt8>) -> Endpoint? {
        guard bytes.count >= 4 else { return nil }
        let start = bytes.startIndex
        let family = withUnsafeBytes(of: (bytes[start], bytes[start + 1])) { $0.load(as: UInt16.self) }
        let port = UInt16(bytes[start + 2]) << 8 | UInt16(bytes[start + 3])
        switch family {
        case KernelProtocol.afInet where bytes.count >= inetLength:
            return IPAddress(bytes: bytes[(start + 4)..<(start + 8)]).map { Endpoint(address: $0, port: port) }
        case KernelProtocol.afInet6 where bytes.count >= inet6Length:
            return IPAddress(bytes: bytes[(start + 8)..<(start + 24)]).map { Endpoint(address: $0, port: port) }
        default:
            return nil
        }
    }
}
