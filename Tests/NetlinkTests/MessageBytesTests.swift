@testable import Netlink
import Testing

/// The exact bytes the library sends, written out by hand from the kernel's structures
/// (`nlmsghdr`, `rtmsg`, `ifinfomsg`, `rtattr`), so an encoding slip cannot pass unnoticed.
@Suite("Message bytes")
struct MessageBytesTests {
    @Test func newRouteWithIPv6NextHopForIPv4Default() throws {
        let route = Route(destination: nil, via: IPAddress("fe80::1"), linkIndex: 5)
        let bytes = route.message(RouteMessageType.newRoute, flags: NetlinkFlags.create | NetlinkFlags.replace)
            .encoded(sequence: 1, portID: 0)
        let expected: [UInt8] = [
            // nlmsghdr: length 68, RTM_NEWROUTE (24), REQUEST|ACK|REPLACE|CREATE (0x505), seq 1, port 0
            0x44, 0, 0, 0, 24, 0, 0x05, 0x05, 1, 0, 0, 0, 0, 0, 0, 0,
            // rtmsg: AF_INET, dst_len 0, src_len 0, tos 0, table main, proto boot, scope universe, unicast, flags 0
            2, 0, 0, 0, 254, 3, 0, 1, 0, 0, 0, 0,
            // RTA_TABLE (15) = 254
            8, 0, 15, 0, 254, 0, 0, 0,
            // RTA_VIA (18), length 22: struct rtvia { u16 AF_INET6; fe80::1 }, then 2 bytes of padding
            22, 0, 18, 0, 10, 0, 0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0,
            // RTA_OIF (4) = 5
            8, 0, 4, 0, 5, 0, 0, 0,
        ]
        #expect(bytes == expected)
    }

    @Test func deleteRouteUsesWildcardsAndTheBigTableId() throws {
        let route = Route(destination: IPNetwork("10.0.0.0/8"), gateway: IPAddress("192.0.2.1"), table: 8738, protocol: .static)
        let bytes = route.deleteMessage().encoded(sequence: 7, portID: 99)
        let expected: [UInt8] = [
            // nlmsghdr: length 52, RTM_DELROUTE (25), REQUEST|ACK, seq 7, port 99
            52, 0, 0, 0, 25, 0, 5, 0, 7, 0, 0, 0, 99, 0, 0, 0,
            // rtmsg: AF_INET, /8, table RT_TABLE_UNSPEC (id > 255), proto unspec, scope nowhere, type unspec
            2, 8, 0, 0, 0, 0, 255, 0, 0, 0, 0, 0,
            // RTA_TABLE = 8738 (0x2222)
            8, 0, 15, 0, 0x22, 0x22, 0, 0,
            // RTA_DST = 10.0.0.0
            8, 0, 1, 0, 10, 0, 0, 0,
            // RTA_GATEWAY = 192.0.2.1
            8, 0, 5, 0, 192, 0, 2, 1,
        ]
        #expect(bytes == expected)
    }

    @Test func newVethWithPeerInAnotherNamespace() throws {
        let bytes = Link.newVethMessage(name: "veth0", peerName: "veth1", peerNamespaceFD: 7).encoded(sequence: 2, portID: 0)
        let ifinfomsg = [UInt8](repeating: 0, count: 16)
        let expected: [UInt8] =
            // nlmsghdr: length 104, RTM_NEWLINK (16), REQUEST|ACK|EXCL|CREATE (0x605), seq 2, port 0
            [104, 0, 0, 0, 16, 0, 0x05, 0x06, 2, 0, 0, 0, 0, 0, 0, 0]
            + ifinfomsg
            // IFLA_IFNAME (3) "veth0\0", padded to 12
            + [10, 0, 3, 0] + Array("veth0".utf8) + [0, 0, 0]
            // IFLA_LINKINFO (18 | NLA_F_NESTED), length 60
            + [60, 0, 18, 0x80]
            //   IFLA_INFO_KIND (1) "veth\0", padded to 12
            + [9, 0, 1, 0] + Array("veth".utf8) + [0, 0, 0, 0]
            //   IFLA_INFO_DATA (2 | NLA_F_NESTED), length 44
            + [44, 0, 2, 0x80]
            //     VETH_INFO_PEER (1, no NESTED flag: it starts with a struct), length 40
            + [40, 0, 1, 0]
            + ifinfomsg
            //       IFLA_IFNAME "veth1\0"
            + [10, 0, 3, 0] + Array("veth1".utf8) + [0, 0, 0]
            //       IFLA_NET_NS_FD (28) = 7
            + [8, 0, 28, 0, 7, 0, 0, 0]
        #expect(bytes == expected)
    }

    @Test func setLinkUpByName() {
        let bytes = Link.message(RouteMessageType.setLink, named: "wg0", flags: Link.upFlag, change: Link.upFlag)
            .encoded(sequence: 3, portID: 0)
        let expected: [UInt8] = [
            40, 0, 0, 0, 19, 0, 5, 0, 3, 0, 0, 0, 0, 0, 0, 0,
            // ifinfomsg: AF_UNSPEC, pad, type 0, index 0 (name lookup), flags IFF_UP, change IFF_UP
            0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0,
            8, 0, 3, 0, 0x77, 0x67, 0x30, 0,
        ]
        #expect(bytes == expected)
    }

    @Test func addressWithLabelAndNoDAD() throws {
        let v4 = Address(linkIndex: 3, network: try #require(IPNetwork("10.1.0.1/24")), label: "eth0:a")
        #expect(v4.message(RouteMessageType.newAddress).payload == [
            2, 24, 0, 0, 3, 0, 0, 0,            // ifaddrmsg: AF_INET, /24, flags 0, scope universe, index 3
            8, 0, 2, 0, 10, 1, 0, 1,             // IFA_LOCAL
            8, 0, 1, 0, 10, 1, 0, 1,             // IFA_ADDRESS
            11, 0, 3, 0, 0x65, 0x74, 0x68, 0x30, 0x3a, 0x61, 0, 0,  // IFA_LABEL "eth0:a\0"
        ])
        let v6 = Address(linkIndex: 3, network: try #require(IPNetwork("fe80::1/64")), flags: .noDAD)
        let payload = v6.message(RouteMessageType.newAddress).payload
        #expect(Array(payload.prefix(8)) == [10, 64, 2, 0, 3, 0, 0, 0])
        #expect(Array(payload.suffix(8)) == [8, 0, 8, 0, 2, 0, 0, 0], "IFA_FLAGS carries IFA_F_NODAD")
    }

    @Test func fwmarkRule() {
        let rule = Rule(table: 8738, fwmark: 0x2222)
        #expect(rule.message(RouteMessageType.newRule).payload == [
            2, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0,   // fib_rule_hdr: AF_INET, table in FRA_TABLE, FR_ACT_TO_TBL
            8, 0, 15, 0, 0x22, 0x22, 0, 0,        // FRA_TABLE
            8, 0, 10, 0, 0x22, 0x22, 0, 0,        // FRA_FWMARK
        ])
    }

    @Test func batchedMessagesAskForAnAcknowledgementOnlyWhenTold() {
        let message = NetlinkMessage(type: RouteMessageType.newRoute, flags: NetlinkFlags.create)
        #expect(Array(message.encoded(sequence: 1, portID: 0, acknowledged: false)[6..<8]) == [0x01, 0x04])
        #expect(Array(message.encoded(sequence: 1, portID: 0)[6..<8]) == [0x05, 0x04])
    }

    @Test func decodesWhatItEncodes() throws {
        let route = Route(destination: IPNetwork("172.16.0.0/12"), via: IPAddress("fe80::1"), linkIndex: 9, table: 100,
                          protocol: .static, priority: 5, preferredSource: IPAddress("10.0.0.1"))
        let message = route.message(RouteMessageType.newRoute, flags: 0)
        let reply = try #require(try NetlinkSocket.split(message.encoded(sequence: 1)[...]).first)
        #expect(try Route.decode(reply) == route)
    }
}
