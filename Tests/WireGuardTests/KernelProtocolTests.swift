import Netlink
import Testing
@testable import WireGuard

/// Reference encoding written out by hand from `linux/netlink.h` and `linux/wireguard.h`, so the
/// module's bytes are compared with an independent construction, not with themselves.
enum Wire {
    static func u16(_ value: UInt16) -> [UInt8] { [UInt8(value & 0xff), UInt8(value >> 8)] }
    static func u32(_ value: UInt32) -> [UInt8] { (0..<4).map { UInt8(value >> (8 * $0) & 0xff) } }
    static func attribute(_ type: UInt16, _ payload: [UInt8]) -> [UInt8] {
        let padding = [UInt8](repeating: 0, count: (4 - payload.count % 4) % 4)
        return u16(UInt16(4 + payload.count)) + u16(type) + payload + padding
    }
    static func nest(_ type: UInt16, _ children: [[UInt8]]) -> [UInt8] {
        let body = children.flatMap { $0 }
        return u16(UInt16(4 + body.count)) + u16(type | 0x8000) + body
    }
    static func allowedIP(family: UInt16, _ address: [UInt8], _ mask: UInt8) -> [UInt8] {
        nest(0, [attribute(1, u16(family)), attribute(2, address), attribute(3, [mask])])
    }
    /// `genlmsghdr` of a version-1 request.
    static func genl(_ command: UInt8) -> [UInt8] { [command, 1, 0, 0] }
}

@Suite("Kernel generic-netlink messages")
struct KernelProtocolTests {
    static let family: UInt16 = 0x1d
    static let privateKey = try! PrivateKey(bytes: KeyTests.rfcPrivate)
    static let peerA = try! PublicKey(bytes: [UInt8](repeating: 0xab, count: 32))
    static let peerB = try! PublicKey(bytes: (0..<32).map { UInt8($0) })
    static let psk = try! PresharedKey(bytes: [UInt8](repeating: 0x11, count: 32))

    static func peer(_ index: Int) -> PublicKey {
        try! PublicKey(bytes: Wire.u32(UInt32(index)) + [UInt8](repeating: 0x5a, count: 28))
    }

    @Test func encodesEveryFieldWithExactBytes() throws {
        let configuration = DeviceConfiguration(
            privateKey: Self.privateKey, listenPort: 51820, firewallMark: 0x2222, replacePeers: true,
            peers: [
                PeerConfiguration(publicKey: Self.peerA, presharedKey: Self.psk, endpoint: Endpoint("192.0.2.1:51820"),
                                  persistentKeepaliveInterval: 25, replaceAllowedIPs: true,
                                  allowedIPs: [IPNetwork("10.0.0.7/32")!, IPNetwork("fd00::1/64")!]),
                PeerConfiguration(publicKey: Self.peerB, remove: true, allowedIPs: [IPNetwork("10.9.9.9/32")!]),
            ])
        let messages = KernelSetDevice(family: Self.family, deviceName: "wg-6000").messages(for: configuration)
        try #require(messages.count == 1)
        let sockaddr: [UInt8] = Wire.u16(2) + [0xca, 0x6c] + [192, 0, 2, 1] + [UInt8](repeating: 0, count: 8)
        let expected = Wire.genl(1)
            + Wire.attribute(2, Array("wg-6000".utf8) + [0])
            + Wire.attribute(3, KeyTests.rfcPrivate)
            + Wire.attribute(6, Wire.u16(51820))
            + Wire.attribute(7, Wire.u32(0x2222))
            + Wire.attribute(5, Wire.u32(1))
            + Wire.nest(8, [
                Wire.nest(0, [
                    Wire.attribute(1, Self.peerA.bytes),
                    Wire.attribute(3, Wire.u32(2)),
                    Wire.attribute(2, Self.psk.bytes),
                    Wire.attribute(4, sockaddr),
                    Wire.attribute(5, Wire.u16(25)),
                    Wire.nest(9, [
                        Wire.allowedIP(family: 2, [10, 0, 0, 7], 32),
                        Wire.allowedIP(family: 10, [0xfd] + [UInt8](repeating: 0, count: 15), 64),
                    ]),
                ]),
                Wire.nest(0, [Wire.attribute(1, Self.peerB.bytes), Wire.attribute(3, Wire.u32(1))]),
            ])
        #expect(messages[0].type == Self.family)
        #expect(messages[0].flags == 0)
        #expect(messages[0].payload == expected)
        let encoded = messages[0].encoded(sequence: 7, portID: 0)
        #expect(Array(encoded.prefix(8)) == Wire.u32(UInt32(16 + expected.count)) + Wire.u16(Self.family) + Wire.u16(0x5))
    }

    @Test func encodesIPv6EndpointsAsSockaddrIn6() {
        let endpoint = Endpoint("[2001:db8::1]:4500")!
        let bytes = SocketAddress.encode(endpoint)
        #expect(bytes == Wire.u16(10) + [0x11, 0x94] + [0, 0, 0, 0]
            + [0x20, 0x01, 0x0d, 0xb8] + [UInt8](repeating: 0, count: 11) + [1] + [0, 0, 0, 0])
        #expect(SocketAddress.decode(bytes[...]) == endpoint)
        #expect(SocketAddress.decode(SocketAddress.encode(Endpoint("192.0.2.1:51820")!)[...]) == Endpoint("192.0.2.1:51820"))
        #expect(SocketAddress.decode([1, 0, 0, 0][...]) == nil)
    }

    @Test func keepaliveZeroAndUpdateOnlyAreSent() throws {
        let configuration = DeviceConfiguration(peers: [
            PeerConfiguration(publicKey: Self.peerA, updateOnly: true, persistentKeepaliveInterval: 0),
        ])
        let messages = KernelSetDevice(family: Self.family, deviceName: "wg0").messages(for: configuration)
        #expect(messages.map(\.payload) == [
            Wire.genl(1) + Wire.attribute(2, Array("wg0".utf8) + [0]) + Wire.nest(8, [
                Wire.nest(0, [Wire.attribute(1, Self.peerA.bytes), Wire.attribute(3, Wire.u32(4)), Wire.attribute(5, Wire.u16(0))]),
            ]),
        ])
    }

    @Test func emptyConfigurationIsOneMessageNamingTheDevice() {
        let messages = KernelSetDevice(family: Self.family, deviceName: "wg0").messages(for: DeviceConfiguration(listenPort: 0))
        #expect(messages.map(\.payload) == [Wire.genl(1) + Wire.attribute(2, Array("wg0".utf8) + [0]) + Wire.attribute(6, Wire.u16(0))])
    }

    @Test func splitsFiveThousandPeersUnderTheBudget() throws {
        let peers = (0..<5000).map { index in
            PeerConfiguration(publicKey: Self.peer(index), replaceAllowedIPs: true,
                              allowedIPs: [IPNetwork(host: .v4(0x0a00_0000 + UInt32(index)))])
        }
        let configuration = DeviceConfiguration(privateKey: Self.privateKey, listenPort: 6000, replacePeers: true, peers: peers)
        let messages = KernelSetDevice(family: Self.family, deviceName: "wg-6000").messages(for: configuration)
        #expect(messages.count > 50)

        var seen: [SetPeer] = []
        for (index, message) in messages.enumerated() {
            #expect(message.encoded(sequence: 1).count <= KernelSetDevice.defaultBudget)
            let decoded = try SetMessage(message)
            #expect(decoded.name == "wg-6000")
            if index == 0 {
                #expect(decoded.privateKey == KeyTests.rfcPrivate)
                #expect(decoded.listenPort == 6000)
                #expect(decoded.flags == 1)
            } else {
                #expect(decoded.privateKey == nil && decoded.listenPort == nil && decoded.flags == nil)
            }
            #expect(!decoded.peers.isEmpty)
            seen += decoded.peers
        }
        #expect(seen.count == 5000)
        for (index, peer) in seen.enumerated() {
            #expect(peer.publicKey == Self.peer(index).bytes)
            #expect(peer.flags == 2)
            #expect(peer.allowedIPs == [IPNetwork(host: .v4(0x0a00_0000 + UInt32(index)))])
        }
    }

    @Test func splitsOnePeersAllowedIPsWithoutReplacingThemAgain() throws {
        let many = (0..<2000).map { index in
            index % 2 == 0
                ? IPNetwork(host: .v4(0x6440_0000 + UInt32(index)))
                : IPNetwork(address: IPAddress("fd00:\(String(index, radix: 16))::")!, prefixLength: 64)!
        }
        let configuration = DeviceConfiguration(replacePeers: true, peers: [
            PeerConfiguration(publicKey: Self.peerB, allowedIPs: [IPNetwork("10.0.0.1/32")!]),
            PeerConfiguration(publicKey: Self.peerA, updateOnly: true, endpoint: Endpoint("[2001:db8::1]:4500"),
                              persistentKeepaliveInterval: 25, replaceAllowedIPs: true, allowedIPs: many),
            PeerConfiguration(publicKey: Self.peer(9), allowedIPs: [IPNetwork("10.0.0.9/32")!]),
        ])
        let messages = KernelSetDevice(family: Self.family, deviceName: "wg0").messages(for: configuration)
        #expect(messages.count > 10)
        let decoded = try messages.map(SetMessage.init)
        #expect(messages.allSatisfy { $0.encoded(sequence: 1).count <= KernelSetDevice.defaultBudget })
        #expect(decoded.dropFirst().allSatisfy { $0.flags == nil })

        let fragments = decoded.flatMap(\.peers)
        #expect(fragments.first?.publicKey == Self.peerB.bytes)
        #expect(fragments.last?.publicKey == Self.peer(9).bytes)
        let middle = fragments.dropFirst().dropLast()
        #expect(middle.allSatisfy { $0.publicKey == Self.peerA.bytes })
        // The last message may or may not have room left for the peer after the long one.
        #expect(middle.count == messages.count || middle.count == messages.count - 1)
        // Only the first fragment replaces the allowed IPs and carries the other fields; every
        // fragment keeps update-only so a missing peer is not created by a continuation.
        let firstFlags = middle.first?.flags
        #expect(firstFlags == KernelProtocol.PeerFlag.replaceAllowedIPs | KernelProtocol.PeerFlag.updateOnly)
        #expect(middle.first?.endpoint == SocketAddress.encode(Endpoint("[2001:db8::1]:4500")!))
        #expect(middle.first?.keepalive == 25)
        for fragment in middle.dropFirst() {
            #expect(fragment.flags == 4)
            #expect(fragment.endpoint == nil && fragment.keepalive == nil)
        }
        #expect(middle.flatMap(\.allowedIPs) == many)
        // Each message starts a new peer list with the continued peer first.
        for message in decoded.dropFirst().prefix(middle.count - 1) { #expect(message.peers.first?.publicKey == Self.peerA.bytes) }
    }

    @Test func smallBudgetsStillMakeProgress() throws {
        let configuration = DeviceConfiguration(peers: (0..<20).map { index in
            PeerConfiguration(publicKey: Self.peer(index), presharedKey: Self.psk, endpoint: Endpoint("[2001:db8::1]:1"),
                              persistentKeepaliveInterval: 1, allowedIPs: (0..<30).map { IPNetwork(host: .v4(UInt32($0 + 1))) })
        })
        let encoder = KernelSetDevice(family: Self.family, deviceName: "wg0", budget: 1)
        let messages = encoder.messages(for: configuration)
        #expect(messages.allSatisfy { $0.encoded(sequence: 1).count <= KernelSetDevice.minimumBudget })
        let peers = try messages.map(SetMessage.init).flatMap(\.peers)
        #expect(Set(peers.map(\.publicKey)).count == 20)
        #expect(peers.flatMap(\.allowedIPs).count == 600)
    }

    @Test func getRequestIsADumpByName() {
        let request = KernelGetDevice.request(family: Self.family, deviceName: "wg0")
        #expect(request.flags == NetlinkFlags.dump)
        #expect(request.payload == Wire.genl(0) + Wire.attribute(2, Array("wg0".utf8) + [0]))
    }

    @Test func mergesAMultiPartDump() throws {
        func message(_ build: (inout NetlinkMessage) -> Void) -> ArraySlice<UInt8> {
            var message = GenericNetlink.message(family: Self.family, command: 0, version: 1)
            message.attribute(1, u32: 7)
            message.attribute(2, string: "wg0")
            build(&message)
            return message.payload[...]
        }
        func allowed(_ list: inout NetlinkMessage, _ text: String) {
            let network = IPNetwork(text)!
            list.nested(0) {
                $0.attribute(1, u16: network.address.isIPv4 ? 2 : 10)
                $0.attribute(2, network.address.bytes)
                $0.attribute(3, u8: UInt8(network.prefixLength))
            }
        }
        let timespec = Wire.u32(1_700_000_000) + Wire.u32(0) + Wire.u32(250) + Wire.u32(0)
        let parts = [
            message { m in
                m.attribute(3, KeyTests.rfcPrivate)
                m.attribute(4, KeyTests.rfcPublic)
                m.attribute(6, u16: 51820)
                m.attribute(7, u32: 0x2222)
                m.nested(8) { peers in
                    peers.nested(0) { p in
                        p.attribute(1, Self.peerA.bytes)
                        p.attribute(2, Self.psk.bytes)
                        p.attribute(4, SocketAddress.encode(Endpoint("[2001:db8::1]:4500")!))
                        p.attribute(5, u16: 25)
                        p.attribute(6, timespec)
                        p.attribute(7, u64: 2000)
                        p.attribute(8, u64: 1000)
                        p.nested(9) { allowed(&$0, "10.0.0.1/32"); allowed(&$0, "10.0.0.2/32") }
                        p.attribute(10, u32: 1)
                    }
                    peers.nested(0) { p in
                        p.attribute(1, Self.peerB.bytes)
                        p.attribute(2, [UInt8](repeating: 0, count: 32))
                        p.attribute(4, SocketAddress.encode(Endpoint("192.0.2.1:51820")!))
                        p.attribute(6, [UInt8](repeating: 0, count: 16))
                        p.nested(9) { allowed(&$0, "10.1.0.0/16") }
                    }
                }
            },
            message { m in
                m.nested(8) { peers in
                    peers.nested(0) { p in
                        p.attribute(1, Self.peerB.bytes)
                        p.nested(9) { allowed(&$0, "fd00::/64") }
                    }
                    peers.nested(0) { p in
                        p.attribute(1, Self.peer(3).bytes)
                        p.nested(9) { allowed(&$0, "10.2.0.1/32") }
                    }
                }
            },
            message { m in
                m.nested(8) { peers in
                    peers.nested(0) { p in
                        p.attribute(1, Self.peer(3).bytes)
                        p.nested(9) { allowed(&$0, "10.2.0.2/32") }
                    }
                }
            },
        ]
        let device = try KernelGetDevice.decode(deviceName: "wg0", payloads: parts)
        #expect(device == Device(
            name: "wg0", privateKey: Self.privateKey, publicKey: Self.privateKey.publicKey,
            listenPort: 51820, firewallMark: 0x2222,
            peers: [
                Peer(publicKey: Self.peerA, presharedKey: Self.psk, endpoint: Endpoint("[2001:db8::1]:4500"),
                     persistentKeepaliveInterval: 25, lastHandshake: .seconds(1_700_000_000) + .nanoseconds(250),
                     receiveBytes: 2000, transmitBytes: 1000,
                     allowedIPs: [IPNetwork("10.0.0.1/32")!, IPNetwork("10.0.0.2/32")!]),
                Peer(publicKey: Self.peerB, endpoint: Endpoint("192.0.2.1:51820"),
                     allowedIPs: [IPNetwork("10.1.0.0/16")!, IPNetwork("fd00::/64")!]),
                Peer(publicKey: Self.peer(3), allowedIPs: [IPNetwork("10.2.0.1/32")!, IPNetwork("10.2.0.2/32")!]),
            ]))
    }

    @Test func malformedDumpIsATypedError() {
        var message = GenericNetlink.message(family: Self.family, command: 0, version: 1)
        message.nested(8) { peers in peers.nested(0) { $0.attribute(1, [1, 2, 3]) } }
        #expect {
            try KernelGetDevice.decode(deviceName: "wg0", payloads: [message.payload[...]])
        } throws: { error in
            guard case .malformedAnswer("wg0", _, _)? = error as? WireGuardError else { return false }
            return true
        }
    }
}

/// A `WG_CMD_SET_DEVICE` message read back attribute by attribute, for the splitting tests.
struct SetMessage {
    var name: String?
    var privateKey: [UInt8]?
    var listenPort: UInt16?
    var flags: UInt32?
    var peers: [SetPeer] = []

    init(_ message: NetlinkMessage) throws {
        #expect(Array(message.payload.prefix(4)) == Wire.genl(1))
        let attributes = try NetlinkAttributes(message.payload.dropFirst(4))
        name = attributes[2]?.string
        privateKey = attributes[3].map { Array($0.payload) }
        listenPort = attributes[6]?.u16
        flags = attributes[5]?.u32
        if let list = attributes[8] {
            peers = try list.nested().map { try SetPeer(try $0.nested()) }
        }
    }
}

struct SetPeer {
    var publicKey: [UInt8]
    var flags: UInt32?
    var endpoint: [UInt8]?
    var keepalive: UInt16?
    var allowedIPs: [IPNetwork] = []

    init(_ attributes: NetlinkAttributes) throws {
        publicKey = attributes[1].map { Array($0.payload) } ?? []
        flags = attributes[3]?.u32
        endpoint = attributes[4].map { Array($0.payload) }
        keepalive = attributes[5]?.u16
        if let list = attributes[9] {
            allowedIPs = try list.nested().map { entry in
                let fields = try entry.nested()
                return IPNetwork(address: IPAddress(bytes: fields[2]!.payload)!, prefixLength: Int(fields[3]!.u8!))!
            }
        }
    }
}
