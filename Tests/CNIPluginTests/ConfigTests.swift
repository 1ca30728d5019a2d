import Foundation
import Netlink
import Testing
@testable import CNIPlugin

@Suite("network config and results")
struct ConfigTests {
    /// The egress entry of the generated conflist as a runtime passes it (upstream-cni §1.2, §5.5).
    static let chained = #"""
        {"cniVersion":"1.0.0","name":"azure","type":"egressgw-cni","ipam":{"type":"egressgw-cni-ipam"},
         "excludedCIDRs":["10.244.0.0/16","10.245.0.0/16"],"managerSocket":"/run/egw.sock","gatewayName":"ignored",
         "capabilities":{"io.kubernetes.cri.pod-annotations":true},
         "runtimeConfig":{"io.kubernetes.cri.pod-annotations":{"kubernetes.azure.com/static-gateway-configuration":"sgw1","a":"b"},
                          "portMappings":[]},
         "prevResult":{"cniVersion":"1.0.0",
           "interfaces":[{"name":"eth0","mac":"aa:bb:cc:dd:ee:ff","sandbox":"/var/run/netns/p"},{"name":"wg0","sandbox":"/var/run/netns/p"}],
           "ips":[{"address":"10.244.0.20/24","gateway":"10.244.0.1","interface":0},{"address":"fe80::1234/64","interface":1}],
           "routes":[{"dst":"0.0.0.0/0","gw":"fe80::1"}],"dns":{"nameservers":["10.0.0.10"]}}}
        """#

    @Test("every field the plugins read is read (upstream-cni §5.5)")
    func fields() throws {
        let config = try NetworkConfig.parse(Array(Self.chained.utf8))
        #expect(config.cniVersion == .v1_0_0)
        #expect(config.name == "azure" && config.type == "egressgw-cni" && config.ipamType == "egressgw-cni-ipam")
        #expect(config.excludedCIDRs == ["10.244.0.0/16", "10.245.0.0/16"])
        #expect(config.managerSocket == "/run/egw.sock")
        #expect(config.podAnnotations == [EgressPlugin.gatewayAnnotation: "sgw1", "a": "b"])
        let previous = try #require(config.prevResult)
        #expect(previous.cniVersion == .v1_0_0)
        #expect(previous.interfaces.map(\.name) == ["eth0", "wg0"])
        #expect(previous.interfaces[1].mac == nil)
        #expect(previous.ips == [.init(address: cidr("10.244.0.20/24"), gateway: ip("10.244.0.1"), interface: 0),
                                 .init(address: cidr("fe80::1234/64"), interface: 1)])
        #expect(previous.routes == [.init(destination: cidr("0.0.0.0/0"), gateway: ip("fe80::1"))])
        #expect(previous.dns.nameservers == ["10.0.0.10"])
    }

    @Test("defaults: no runtime annotations is nil (not empty), [] stays empty, the manager socket has a default")
    func defaults() throws {
        let config = try NetworkConfig.parse(Array(#"{"cniVersion":"0.4.0","name":"n","excludedCIDRs":[],"runtimeConfig":{}}"#.utf8))
        #expect(config.podAnnotations == nil)
        #expect(config.excludedCIDRs == [])
        #expect(config.ipamType == "" && config.prevResult == nil)
        #expect(config.managerSocket == "/var/run/egressgw/cni.sock")
        let empty = try NetworkConfig.parse(Array(#"{"cniVersion":"1.1.0","name":"n","excludedCIDRs":null,"runtimeConfig":{"io.kubernetes.cri.pod-annotations":{}}}"#.utf8))
        #expect(empty.podAnnotations == [:])
        #expect(empty.excludedCIDRs == [])
    }

    @Test("excludedCIDRs must be IPv4 CIDRs; they are normalised", arguments: [
        ("1000.2.3.4/32", false), ("10.0.0.0", false), ("fd00::/8", false), ("172.17.0.4/16", true),
    ])
    func excluded(text: String, valid: Bool) throws {
        if valid {
            #expect(try PodRoutePlan.excludedNetworks([text]) == [cidr("172.17.0.0/16")])
        } else {
            #expect(throws: CNIError.invalidConfig(field: "excludedCIDRs", value: text, reason: "must be an IPv4 CIDR like 10.0.0.0/8")) {
                try PodRoutePlan.excludedNetworks([text])
            }
        }
    }

    // MARK: Results and version conversion

    static let extended = CNIResult(
        interfaces: [.init(name: "eth0", mac: "aa:bb:cc:dd:ee:ff", mtu: 1500, sandbox: "/var/run/netns/p", socketPath: "/s", pciID: "0000:00:01.0"),
                     .init(name: "wg0", sandbox: "/var/run/netns/p")],
        ips: [.init(address: cidr("10.1.0.5/16"), gateway: ip("10.1.0.1"), interface: 0),
              .init(address: cidr("fe80::5/64"), interface: 1)],
        routes: [.init(destination: cidr("0.0.0.0/0"), gateway: ip("fe80::1"), mtu: 1400, advmss: 1300, priority: 5, table: 8738, scope: 0)])

    @Test("1.1.0 results carry the extended fields, 1.0.0 drop them, 0.x add the IP version", arguments: ["1.1.0", "1.0.0", "0.4.0", "0.3.1", "0.3.0"])
    func conversion(version: String) throws {
        let target = try #require(CNIVersion(version))
        let written = try object(Self.extended.converted(to: target).json)
        #expect(written["cniVersion"] as? String == version)
        let interfaces = try #require(written["interfaces"] as? [[String: Any]])
        let ips = try #require(written["ips"] as? [[String: Any]])
        let routes = try #require(written["routes"] as? [[String: Any]])
        #expect(written["dns"] as? [String: Any] != nil, "dns is always written, as libcni does")
        #expect(interfaces[1]["mac"] == nil && interfaces[1]["sandbox"] as? String == "/var/run/netns/p")
        #expect(ips[1]["address"] as? String == "fe80::5/64" && ips[1]["interface"] as? Int == 1 && ips[1]["gateway"] == nil)
        #expect(routes[0]["dst"] as? String == "0.0.0.0/0" && routes[0]["gw"] as? String == "fe80::1")
        let extended = version == "1.1.0"
        #expect((interfaces[0]["mtu"] as? Int == 1500) == extended)
        #expect((interfaces[0]["pciID"] as? String == "0000:00:01.0") == extended)
        #expect((routes[0]["table"] as? Int == 8738) == extended)
        #expect((routes[0]["advmss"] as? Int == 1300) == extended)
        let zeroX = version.hasPrefix("0.")
        #expect((ips[0]["version"] as? String == "4") == zeroX)
        #expect((ips[1]["version"] as? String == "6") == zeroX)
        #expect(Set(written.keys) == ["cniVersion", "interfaces", "ips", "routes", "dns"])
    }

    @Test("a 0.3.1 result with IP versions reads back equal; writing it as 1.0.0 drops the versions")
    func roundTrip() throws {
        let text = #"""
            {"cniVersion":"0.3.1","interfaces":[{"name":"eth0","sandbox":"/p"}],
             "ips":[{"version":"4","address":"10.0.0.2/24","gateway":"10.0.0.1","interface":0}],
             "routes":[{"dst":"0.0.0.0/0"}],"dns":{}}
            """#
        let result = try JSONDecoder().decode(CNIResult.self, from: Data(text.utf8))
        #expect(result.cniVersion == .v0_3_1)
        #expect(try JSONDecoder().decode(CNIResult.self, from: Data(result.json.utf8)) == result)
        let modern = try object(result.converted(to: .v1_0_0).json)
        #expect((modern["ips"] as? [[String: Any]])?.first?["version"] == nil)
        #expect(modern["dns"] as? [String: Any] != nil)
    }

    @Test("an empty result is just its version and dns")
    func emptyResult() throws {
        let written = try object(CNIResult(cniVersion: .v1_0_0).json)
        #expect(Set(written.keys) == ["cniVersion", "dns"])
        #expect((written["dns"] as? [String: Any])?.isEmpty == true)
    }
}
