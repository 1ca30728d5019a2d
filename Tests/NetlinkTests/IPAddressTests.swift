import Netlink
import Testing

@Suite("IP addresses and networks")
struct IPAddressTests {
    @Test(arguments: [
        ("0.0.0.0", [0, 0, 0, 0]),
        ("255.255.255.255", [255, 255, 255, 255]),
        ("10.0.0.1", [10, 0, 0, 1]),
        ("192.168.100.200", [192, 168, 100, 200]),
    ] as [(String, [UInt8])])
    func parsesIPv4(text: String, bytes: [UInt8]) throws {
        let address = try #require(IPAddress(text))
        #expect(address.bytes == bytes)
        #expect(address.isIPv4)
        #expect(address.family == 2)
        #expect(address.description == text)
    }

    @Test(arguments: [
        "", "1", "1.2.3", "1.2.3.4.5", "256.0.0.1", "1.2.3.256", "01.2.3.4", "1.02.3.4", "1.2.3.00", "00.0.0.0",
        "1..2.3", ".1.2.3", "1.2.3.", " 1.2.3.4", "1.2.3.4 ", "+1.2.3.4", "1.2.+3.4", "1.2.3.-0", "0x1.2.3.4",
        "1.2.3.4/32", "١.٢.٣.٤", "1.2.3.4%eth0",
    ])
    func rejectsMalformedIPv4(text: String) {
        #expect(IPAddress(text) == nil, "\"\(text)\" must not parse")
    }

    @Test(arguments: [
        ("::", "::"),
        ("::1", "::1"),
        ("1::", "1::"),
        ("FE80::1", "fe80::1"),
        ("fe80:0:0:0:0:0:0:1", "fe80::1"),
        ("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"),     // the first of two equal runs is shortened
        ("2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"),  // a single zero group is never "::"
        ("2001:0db8:0000:0000:0000:ff00:0042:8329", "2001:db8::ff00:42:8329"),
        ("1:0:0:2:0:0:0:3", "1:0:0:2::3"),                 // the longest run wins
        ("1:2:3:4:5:6:7::", "1:2:3:4:5:6:7:0"),
        ("::ffff:10.1.2.3", "::ffff:10.1.2.3"),           // v4-mapped keeps its dotted tail, like inet_ntop
        ("::FFFF:a01:203", "::ffff:10.1.2.3"),
        ("64:ff9b::192.0.2.33", "64:ff9b::c000:221"),
        ("1:2:3:4:5:6:1.2.3.4", "1:2:3:4:5:6:102:304"),
    ])
    func parsesAndFormatsIPv6(text: String, formatted: String) throws {
        let address = try #require(IPAddress(text), "\"\(text)\" must parse")
        #expect(!address.isIPv4)
        #expect(address.bytes.count == 16)
        #expect(address.description == formatted)
        #expect(IPAddress(formatted) == address, "the formatted text parses back to the same address")
    }

    @Test func v4MappedIsAnIPv6Address() throws {
        let mapped = try #require(IPAddress("::ffff:192.0.2.1"))
        #expect(mapped.ipFamily == .ipv6)
        #expect(mapped.bytes == Array(repeating: 0, count: 10) + [0xff, 0xff, 192, 0, 2, 1])
        #expect(mapped != IPAddress("192.0.2.1"))
    }

    @Test(arguments: [
        ":", ":::", "1:::2", "1::2::3", ":1::", "::1:", "1:2:3:4:5:6:7", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7:8::",
        "12345::", "g::1", "fe80::1%eth0", "1.2.3.4::", "::1.2.3.4:5", "::ffff:1.2.3", "::ffff:01.2.3.4",
        "1:2:3:4:5:6:7:1.2.3.4", " ::1", "[::1]",
    ])
    func rejectsMalformedIPv6(text: String) {
        #expect(IPAddress(text) == nil, "\"\(text)\" must not parse")
    }

    @Test func bytesAndOrdering() throws {
        #expect(IPAddress(bytes: [10, 0, 0, 1]) == IPAddress("10.0.0.1"))
        #expect(IPAddress(bytes: [UInt8](repeating: 0, count: 15) + [1]) == IPAddress("::1"))
        #expect(IPAddress(bytes: [1, 2, 3]) == nil)
        #expect(IPAddress("10.0.0.2")! < IPAddress("10.0.0.10")!)
        #expect(IPAddress("255.255.255.255")! < IPAddress("::")!, "IPv4 sorts before IPv6")
    }

    @Test(arguments: [
        ("10.0.0.7/32", "10.0.0.7/32", "10.0.0.7/32"),
        ("172.17.0.4/16", "172.17.0.4/16", "172.17.0.0/16"),
        ("10.1.2.3/0", "10.1.2.3/0", "0.0.0.0/0"),
        ("10.1.2.255/31", "10.1.2.255/31", "10.1.2.254/31"),
        ("192.168.1.129/25", "192.168.1.129/25", "192.168.1.128/25"),
        ("fe80::1/64", "fe80::1/64", "fe80::/64"),
        ("2001:db8::ffff:1/112", "2001:db8::ffff:1/112", "2001:db8::ffff:0/112"),
        ("2001:db8:1234::1/35", "2001:db8:1234::1/35", "2001:db8:0:0:0:0:0:0/35"),
        ("::/0", "::/0", "::/0"),
    ])
    func networksKeepTheAddressAndMaskOnDemand(text: String, kept: String, masked: String) throws {
        let network = try #require(IPNetwork(text))
        #expect(network.description == kept)
        #expect(network.network == IPNetwork(masked))
    }

    @Test(arguments: [
        "10.0.0.0", "10.0.0.0/", "10.0.0.0/33", "10.0.0.0/-1", "10.0.0.0/+8", "10.0.0.0/08", "10.0.0.0/8/8",
        "/8", "fe80::/129", "fe80::1/ 64", "10.0.0.0/1000", "01.0.0.0/8", "10.0.0.0/8 ",
    ])
    func rejectsMalformedNetworks(text: String) {
        #expect(IPNetwork(text) == nil, "\"\(text)\" must not parse")
    }

    @Test func parseErrorNamesTheFieldAndTheValue() {
        #expect(throws: NetlinkError.invalidArgument(operation: "parse excludeCidrs", reason: "\"10.0.0.0/33\" is not a CIDR (address/prefix-length)")) {
            try IPNetwork.parse("10.0.0.0/33", field: "excludeCidrs")
        }
    }

    @Test func containment() throws {
        let network = try #require(IPNetwork("10.244.0.0/16"))
        #expect(network.contains(IPAddress("10.244.255.1")!))
        #expect(!network.contains(IPAddress("10.245.0.1")!))
        #expect(!network.contains(IPAddress("::ffff:10.244.0.1")!), "a v4-mapped address is another family")
        #expect(IPNetwork("0.0.0.0/0")!.contains(IPAddress("203.0.113.9")!))
        #expect(IPNetwork(address: IPAddress("::1")!, prefixLength: 129) == nil)
        #expect(IPNetwork(host: IPAddress("fd00::5")!).prefixLength == 128)
    }
}
