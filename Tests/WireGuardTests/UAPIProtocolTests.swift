import Netlink
import Testing
@testable import WireGuard

@Suite("UAPI (userspace) protocol")
struct UAPIProtocolTests {
    static let privateKey = try! PrivateKey(bytes: KeyTests.rfcPrivate)
    static let peerA = try! PublicKey(bytes: [UInt8](repeating: 0xab, count: 32))
    static let peerB = try! PublicKey(bytes: (0..<32).map { UInt8($0) })
    static let psk = try! PresharedKey(bytes: [UInt8](repeating: 0x11, count: 32))

    @Test func rendersAFullSetTransaction() {
        let configuration = DeviceConfiguration(
            privateKey: Self.privateKey, listenPort: 51820, firewallMark: 0x2222, replacePeers: true,
            peers: [
                PeerConfiguration(publicKey: Self.peerA, updateOnly: true, presharedKey: Self.psk,
                                  endpoint: Endpoint("[2001:db8::1]:4500"), persistentKeepaliveInterval: 25,
                                  replaceAllowedIPs: true,
                                  allowedIPs: [IPNetwork("10.0.0.7/32")!, IPNetwork("172.17.0.4/16")!, IPNetwork("fd00::1/64")!]),
                PeerConfiguration.removing(Self.peerB),
            ])
        let text = String(decoding: UAPIProtocol.setRequest(configuration), as: UTF8.self)
        #expect(text == """
            set=1
            private_key=77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a
            listen_port=51820
            fwmark=8738
            replace_peers=true
            public_key=\(String(repeating: "ab", count: 32))
            update_only=true
            preshared_key=\(String(repeating: "11", count: 32))
            endpoint=[2001:db8::1]:4500
            persistent_keepalive_interval=25
            replace_allowed_ips=true
            allowed_ip=10.0.0.7/32
            allowed_ip=172.17.0.0/16
            allowed_ip=fd00::/64
            public_key=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f
            remove=true


            """)
    }

    @Test func rendersOnlyWhatIsSet() {
        let configuration = DeviceConfiguration(peers: [PeerConfiguration(publicKey: Self.peerA, endpoint: Endpoint("192.0.2.1:51820"))])
        let text = String(decoding: UAPIProtocol.setRequest(configuration), as: UTF8.self)
        #expect(text == "set=1\npublic_key=\(String(repeating: "ab", count: 32))\nendpoint=192.0.2.1:51820\n\n")
        #expect(String(decoding: UAPIProtocol.setRequest(DeviceConfiguration()), as: UTF8.self) == "set=1\n\n")
    }

    @Test func manyPeersAreOneTransaction() {
        let peers = (0..<1000).map { index in
            PeerConfiguration(publicKey: try! PublicKey(bytes: [UInt8](repeating: UInt8(index % 256), count: 31) + [UInt8(index / 256)]),
                              allowedIPs: [IPNetwork(host: .v4(0x0a00_0000 + UInt32(index)))])
        }
        let text = String(decoding: UAPIProtocol.setRequest(DeviceConfiguration(peers: peers)), as: UTF8.self)
        #expect(text.hasPrefix("set=1\n"))
        #expect(text.hasSuffix("\n\n"))
        #expect(text.split(separator: "\n").filter { $0.hasPrefix("public_key=") }.count == 1000)
        #expect(text.split(separator: "\n", omittingEmptySubsequences: false).filter(\.isEmpty).count == 2)
    }

    @Test func parsesAGetAnswer() throws {
        let answer = """
            private_key=77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a
            listen_port=51820
            fwmark=8738
            public_key=\(String(repeating: "ab", count: 32))
            preshared_key=\(String(repeating: "11", count: 32))
            protocol_version=1
            endpoint=[fe80::1%eth0]:4500
            last_handshake_time_sec=1700000000
            last_handshake_time_nsec=250
            tx_bytes=1000
            rx_bytes=2000
            persistent_keepalive_interval=25
            allowed_ip=10.0.0.7/32
            allowed_ip=fd00::/64
            some_future_key=ignored
            public_key=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f
            preshared_key=\(String(repeating: "00", count: 32))
            protocol_version=1
            last_handshake_time_sec=0
            last_handshake_time_nsec=0
            tx_bytes=0
            rx_bytes=0
            persistent_keepalive_interval=0
            errno=0


            """
        let device = try UAPIProtocol.parseDevice(Array(answer.utf8), device: "wg0")
        #expect(device == Device(
            name: "wg0", privateKey: Self.privateKey, publicKey: Self.privateKey.publicKey,
            listenPort: 51820, firewallMark: 8738,
            peers: [
                Peer(publicKey: Self.peerA, presharedKey: Self.psk, endpoint: Endpoint("[fe80::1]:4500"),
                     persistentKeepaliveInterval: 25, lastHandshake: .seconds(1_700_000_000) + .nanoseconds(250),
                     receiveBytes: 2000, transmitBytes: 1000,
                     allowedIPs: [IPNetwork("10.0.0.7/32")!, IPNetwork("fd00::/64")!]),
                Peer(publicKey: Self.peerB),
            ]))
        #expect(device.publicKey?.bytes == KeyTests.rfcPublic)
    }

    @Test func freshDeviceHasNoKey() throws {
        let device = try UAPIProtocol.parseDevice(Array("errno=0\n\n".utf8), device: "wgnew")
        #expect(device == Device(name: "wgnew"))
        #expect(device.privateKey == nil && device.publicKey == nil)
    }

    @Test func errnoAnswersBecomeTypedErrors() throws {
        #expect(throws: WireGuardError.uapiRefused(device: "wg0", operation: "read", errno: 22)) {
            try UAPIProtocol.parseDevice(Array("errno=-22\n\n".utf8), device: "wg0")
        }
        #expect(try UAPIProtocol.parseErrno(Array("errno=0\n\n".utf8), device: "wg0", operation: "configure") == 0)
        #expect(try UAPIProtocol.parseErrno(Array("errno=1\n\n".utf8), device: "wg0", operation: "configure") == 1)
        #expect(throws: WireGuardError.self) { try UAPIProtocol.parseErrno(Array("\n".utf8), device: "wg0", operation: "configure") }
        #expect("\(WireGuardError.uapiRefused(device: "wg0", operation: "configure", errno: 22))".contains("wg0"))
    }

    @Test(arguments: [
        "allowed_ip=10.0.0.1/32\nerrno=0\n\n",
        "public_key=zz\nerrno=0\n\n",
        "public_key=\(String(repeating: "ab", count: 32))\nallowed_ip=10.0.0.1\nerrno=0\n\n",
        "listen_port=70000\nerrno=0\n\n",
        "listen_port=1\n\n",
    ])
    func malformedAnswersAreRefused(answer: String) {
        #expect {
            try UAPIProtocol.parseDevice(Array(answer.utf8), device: "wg0")
        } throws: { error in
            guard case .malformedAnswer(let device, _, _)? = error as? WireGuardError else { return false }
            return device == "wg0"
        }
    }
}

@Suite("Endpoints")
struct EndpointTests {
    @Test(arguments: [
        ("192.0.2.1:51820", "192.0.2.1:51820"),
        ("[2001:db8::1]:4500", "[2001:db8::1]:4500"),
        ("[2001:0db8:0:0::1]:1", "[2001:db8::1]:1"),
    ])
    func parsesAndPrints(text: String, printed: String) throws {
        #expect(try Endpoint.parse(text).description == printed)
    }

    @Test(arguments: ["192.0.2.1", "192.0.2.1:0", "192.0.2.1:65536", "2001:db8::1:80", "[2001:db8::1]", "[192.0.2.1]:80",
                      "host:80", "192.0.2.1:-1", ":80", "[2001:db8::1]80"])
    func refusesMalformedText(text: String) {
        #expect(throws: WireGuardError.invalidEndpoint(field: "peer endpoint", value: text,
                                                       reason: "expected IPv4:port or [IPv6]:port with a port of 1-65535")) {
            try Endpoint.parse(text, field: "peer endpoint")
        }
    }
}
