import Firewall
import Netlink
import Testing
import WireGuard
@testable import GatewayDaemon

@Suite("Gateway desired-state model and naming")
struct ModelTests {
    private let key = try! PrivateKey.generate()

    private func invalidField(_ body: () throws -> Void) -> String? {
        do {
            try body()
            return nil
        } catch let GatewayDataPathError.invalidArgument(field, _, _) {
            return field
        } catch {
            return "unexpected \(error)"
        }
    }

    @Test func nodeRefusesBadValues() {
        #expect(invalidField { _ = try GatewayNode(uplink: "enp0s31f6") } == "uplink",
                "\"enp0s31f6:egress\" would not fit in a label")
        #expect(invalidField { _ = try GatewayNode(uplink: "eth0:1") } == "uplink")
        #expect(invalidField { _ = try GatewayNode(gatewayNamespaceName: "a/b") } == "gatewayNamespaceName")
        #expect(invalidField { _ = try GatewayNode(gatewayNamespaceName: "") } == "gatewayNamespaceName")
        let defaults = try? GatewayNode()
        #expect(defaults?.uplink == "eth0")
        #expect(defaults?.uplinkLabel == "eth0:egress")
        #expect(defaults?.gatewayNamespace.path == "/var/run/netns/ns-static-egress-gateway")
        #expect(defaults?.hostNamespace == .process)
    }

    @Test func configurationRefusesBadValues() throws {
        let v4 = IPAddress("10.0.0.6")!, v6 = IPAddress("fd00::6")!
        #expect(invalidField { _ = try GatewayConfiguration(uid: "", port: 6000, ilbIP: v4, primaryIP: v4, secondaryIP: v4, privateKey: key) } == "uid")
        #expect(invalidField { _ = try GatewayConfiguration(uid: "u", port: 0, ilbIP: v4, primaryIP: v4, secondaryIP: v4, privateKey: key) } == "port")
        #expect(invalidField { _ = try GatewayConfiguration(uid: "u", port: 6000, ilbIP: v6, primaryIP: v4, secondaryIP: v4, privateKey: key) } == "ilbIP")
        #expect(invalidField { _ = try GatewayConfiguration(uid: "u", port: 6000, ilbIP: v4, primaryIP: v4, secondaryIP: v6, privateKey: key) } == "secondaryIP")
        #expect(invalidField { _ = try GatewayConfiguration(uid: "u", port: 6000, ilbIP: v4, primaryIP: v6, secondaryIP: v4, privateKey: key) } == "primaryIP")
        #expect(invalidField { _ = try GatewayPeer(publicKey: key.publicKey, podCIDR: IPNetwork("0.0.0.0/0")!) } == "podCIDR")
        let configuration = try GatewayConfiguration(uid: "u", port: 6000, ilbIP: v4, primaryIP: v4, secondaryIP: v4, privateKey: key)
        #expect(configuration.linkName == "wg-6000")
        #expect(configuration.active == ActiveGateway(port: 6000, secondaryIP: v4, ilbIP: v4))
        let peer = try GatewayPeer(publicKey: key.publicKey, podCIDR: IPNetwork("10.244.1.7/24")!)
        #expect(peer.podCIDR.description == "10.244.1.0/24", "host bits are cleared as WireGuard stores them")
    }

    @Test func namesMapBackToExactlyWhatTheyCameFrom() {
        #expect(GatewayLayout.wireGuardLinkName(port: 6000) == "wg-6000")
        #expect(GatewayLayout.port(ofLinkNamed: "wg-6000") == 6000)
        for name in ["wg-06000", "wg-abc", "wg-0", "wg-70000", "wg-", "wg0", "wg-+6000", "host0"] {
            #expect(GatewayLayout.port(ofLinkNamed: name) == nil, "\(name)")
        }
        #expect(GatewayLayout.secondaryIP(ofHostChain: "EGRESS-10-0-0-6") == IPAddress("10.0.0.6"))
        for name in ["EGRESS-GATEWAY-SNAT", "EGRESS-GATEWAY-MARK-6000", "EGRESS-10-0-0", "EGRESS-010-0-0-6", "KUBE-10-0-0-6"] {
            #expect(GatewayLayout.secondaryIP(ofHostChain: name) == nil, "\(name)")
        }
        #expect(GatewayLayout.port(ofGatewayChain: "EGRESS-GATEWAY-MARK-6000") == 6000)
        #expect(GatewayLayout.port(ofGatewayChain: "EGRESS-GATEWAY-SNAT-6999") == 6999)
        #expect(GatewayLayout.port(ofGatewayChain: "EGRESS-GATEWAY-SNAT") == nil)
        #expect(GatewayLayout.port(ofGatewayChain: "EGRESS-10-0-0-6") == nil)
    }

    @Test func peerPlanConfiguresOnlyWhatDiffers() throws {
        let keys = try (0..<4).map { _ in try PrivateKey.generate().publicKey }
        let net = { (text: String) in IPNetwork(text)! }
        let device = Device(name: "wg-6000", peers: [
            Peer(publicKey: keys[0], allowedIPs: [net("10.244.0.1/32")]),
            Peer(publicKey: keys[1], allowedIPs: [net("10.244.0.2/32")]),
            Peer(publicKey: keys[2], allowedIPs: [net("10.244.0.3/32"), net("10.244.0.9/32")]),
        ])
        let desired = try [
            GatewayPeer(publicKey: keys[0], podCIDR: net("10.244.0.1/32")), // as it is
            GatewayPeer(publicKey: keys[1], podCIDR: net("10.244.0.5/32")), // moved
            GatewayPeer(publicKey: keys[2], podCIDR: net("10.244.0.3/32")), // one allowed IP too many
            GatewayPeer(publicKey: keys[3], podCIDR: net("10.244.0.4/32")), // new
            GatewayPeer(publicKey: keys[3], podCIDR: net("10.244.0.6/32")), // the later duplicate wins
        ]
        let planned = PeerPlan.needingConfiguration(desired, on: device)
        #expect(planned.map(\.publicKey) == [keys[1], keys[2], keys[3]])
        #expect(planned.last?.podCIDR == net("10.244.0.6/32"))
        let configuration = PeerPlan.configuration(planned[0])
        #expect(configuration.replaceAllowedIPs)
        #expect(configuration.endpoint == nil && configuration.persistentKeepaliveInterval == nil && configuration.presharedKey == nil)
    }

    @Test func routeMatchingIgnoresProtocolAndMetric() {
        let desired = Route(destination: IPNetwork("10.0.0.6/32")!, linkIndex: 4, scope: .universe)
        var adopted = desired
        adopted.protocol = .static
        adopted.priority = 0
        #expect(RouteMatching.satisfies(adopted, desired))
        var linkScoped = desired
        linkScoped.scope = .link
        #expect(!RouteMatching.satisfies(linkScoped, desired))
        var otherLink = desired
        otherLink.linkIndex = 5
        #expect(!RouteMatching.satisfies(otherLink, desired))
        #expect(RouteMatching.describe(Route(destination: nil, gateway: IPAddress("10.0.0.5")!, linkIndex: 3), device: "host0")
            == "default via 10.0.0.5 dev host0")
    }

    @Test func sourceNATAddressIsReadFromTheGatewayChain() throws {
        let snapshot = try TableSnapshot.parse("""
            *nat
            :PREROUTING ACCEPT [0:0]
            :INPUT ACCEPT [0:0]
            :OUTPUT ACCEPT [0:0]
            :POSTROUTING ACCEPT [0:0]
            :EGRESS-GATEWAY-SNAT-6000 - [0:0]
            -A EGRESS-GATEWAY-SNAT-6000 -o host0 -m connmark --mark 0x1770 -j SNAT --to-source 10.243.0.7
            COMMIT

            """, table: .nat)
        #expect(GatewayCleanup.sourceNATAddress(port: 6000, in: snapshot) == IPAddress("10.243.0.7"))
        #expect(GatewayCleanup.sourceNATAddress(port: 6001, in: snapshot) == nil)
    }
}

@Suite("Peer ownership index")
struct PeerIndexTests {
    private let keys = (0..<3).map { _ in try! PrivateKey.generate().publicKey }
    private func peer(_ key: Int, _ cidr: String) -> GatewayPeer { try! GatewayPeer(publicKey: keys[key], podCIDR: IPNetwork(cidr)!) }

    @Test func removalKeepsAddressesOthersOwnAndDropsTheOnesItGaveAway() {
        var index = PeerIndex()
        index.reset(port: 6000, from: [Peer(publicKey: keys[0], allowedIPs: [IPNetwork("10.244.0.1/32")!])])
        index.record([peer(1, "10.244.0.1/32")], port: 6000) // the address moved to another pod
        #expect(index.remove([peer(0, "10.244.0.1/32")], port: 6000).isEmpty)
        index.record([peer(2, "10.244.0.2/32")], port: 6000)
        index.record([peer(2, "10.244.0.3/32")], port: 6000) // replaced, not added
        #expect(index.remove([peer(2, "10.244.0.2/32")], port: 6000) == [IPNetwork("10.244.0.2/32")!, IPNetwork("10.244.0.3/32")!])
        #expect(index.remove([peer(1, "10.244.0.1/32")], port: 6000) == [IPNetwork("10.244.0.1/32")!])
        #expect(index.remove([peer(1, "10.244.0.9/32")], port: 6001) == [IPNetwork("10.244.0.9/32")!],
                "an unknown link: the caller's address is all there is to go by")
    }
}
