import Foundation
import Netlink
import Testing
import WireGuard
@testable import CNIPlugin

/// Debian's `bridge` + `host-local` as the main CNI, then our plugin with the prevResult threaded
/// through, exactly as a runtime runs a conflist; the pod is then read with `ip -j`, `wg`,
/// `iptables-save` and `/proc/sys` from inside its namespace.
@Suite(.enabled(if: Host.canRunChain, "needs root, wireguard-go and /usr/lib/cni/{bridge,host-local}"))
struct ChainTests {
    static let exceptions = [cidr("1.2.3.4/32"), cidr("172.17.0.4/16")]

    @Test("gateway-default mode: wg0, routes, policy routing, mangle, rp_filter; CHECK; DEL cleans")
    func gatewayDefault() async throws {
        var assignment = FakeManager.defaultAssignment
        assignment.exceptionCIDRs = Self.exceptions
        let fixture = try ChainFixture("gwdef", manager: FakeManager(assignment: assignment),
                                       egress: ["excludedCIDRs": ["10.244.0.0/16", "10.245.0.0/16"]])
        defer { fixture.remove() }
        let pod = fixture.pod, gateway = fixture.gateway
        let text = try await fixture.addChain()
        let result = try object(text)
        let eth0LinkLocal = try #require(try pod.links.addresses(linkNamed: "eth0", family: .ipv6).first?.network)

        // The result: bridge's three interfaces plus wg0; bridge's IP plus wg0's link-local;
        // routes replaced by ours.
        #expect(result["cniVersion"] as? String == "1.0.0")
        let interfaces = try #require(result["interfaces"] as? [[String: Any]])
        #expect(interfaces.count == 4)
        #expect(interfaces[3]["name"] as? String == "wg0" && interfaces[3]["sandbox"] as? String == pod.path && interfaces[3]["mac"] == nil)
        let ips = try #require(result["ips"] as? [[String: Any]])
        #expect(ips.count == 2)
        #expect(ips[0]["address"] as? String == "\(fixture.podIP)/24")
        #expect(ips[1]["address"] as? String == eth0LinkLocal.description && ips[1]["interface"] as? Int == 3)
        let routes = try #require(result["routes"] as? [[String: Any]]).map { "\($0["dst"] ?? "") \($0["gw"] ?? "-")" }
        #expect(routes == ["\(gateway)/32 -", "0.0.0.0/0 fe80::1", "1.2.3.4/32 \(gateway)", "172.17.0.0/16 \(gateway)",
                           "10.244.0.0/16 \(gateway)", "10.245.0.0/16 \(gateway)"])

        // wg0: alias = temporary name, up, eth0's link-local address.
        let link = try #require(try pod.ipJSON(["-d", "link", "show", "wg0"]).first)
        #expect(link["ifalias"] as? String == fixture.temporary)
        #expect((link["flags"] as? [String])?.contains("UP") == true)
        let wgAddresses = try pod.ipJSON(["addr", "show", "dev", "wg0"]).first?["addr_info"] as? [[String: Any]] ?? []
        #expect(wgAddresses.map { "\($0["local"] ?? "")/\($0["prefixlen"] ?? "")" } == [eth0LinkLocal.description])

        // Routes exactly as upstream-cni §1.6, nothing else left on eth0.
        #expect(try pod.routeLines() == [
            "1.2.3.4 via \(gateway) dev eth0 proto static",
            "10.244.0.0/16 via \(gateway) dev eth0 proto static",
            "10.245.0.0/16 via \(gateway) dev eth0 proto static",
            "\(gateway) dev eth0 scope link",
            "172.17.0.0/16 via \(gateway) dev eth0 proto static",
            "default via inet6 fe80::1 dev wg0",
        ].sorted())
        #expect(try pod.run("ip", ["-6", "route", "show", "dev", "eth0"]).stdout.isEmpty)
        try expectIngressSymmetry(pod, gateway: gateway)

        // The tunnel: fresh key registered with the manager, one peer = the gateway.
        let dump = try WGDump.read(fixture.temporary, in: pod.namespace)
        #expect(dump.peers.count == 1)
        let peer = try #require(dump.peers.first)
        #expect(peer.publicKey == assignment.gatewayPublicKey.base64)
        #expect(peer.endpoint == "10.2.0.4:6000")
        #expect(peer.allowedIPs == ["0.0.0.0/0", "::/0"])
        #expect(peer.keepalive == "off")
        guard case .nicAdd(let registration)? = fixture.manager.calls.first else {
            Issue.record("expected nicAdd first, got \(fixture.manager.calls)")
            return
        }
        #expect(fixture.manager.calls.count == 1, "annotations came from the runtime: no annotations call")
        #expect(registration == NicAddRequest(pod: PodReference(namespace: "testns", name: "testpod"), containerID: fixture.containerID,
                                              gatewayName: "sgw1", publicKey: try PublicKey(base64: dump.publicKey),
                                              listenPort: UInt16(dump.listenPort), allowedIP: cidr("\(fixture.podIP)/32")))
        #expect(try wireGuardGoRuns(for: fixture.temporary))

        // CHECK passes, then notices a deleted route.
        let check = try await fixture.checkEgress(cached: text)
        #expect(check.succeeded, "\(check.stdout)")
        try pod.run("ip", ["route", "del", "172.17.0.0/16"])
        let error = try #require(try await fixture.checkEgress(cached: text).error)
        #expect(error["code"] as? Int == 100)
        #expect((error["msg"] as? String)?.hasSuffix("route 172.17.0.0/16 via \(gateway) dev eth0 is missing") == true, "\(error)")

        // DEL: every plugin succeeds, the tunnel and its process are gone, the registration is removed.
        let deletions = try await fixture.runtime.delete(cached: text)
        #expect(deletions.allSatisfy { $0.succeeded })
        #expect(!(try pod.linkNames().contains("wg0")))
        #expect(try noWireGuardGo(for: fixture.temporary))
        #expect(fixture.manager.calls.last == .nicDel(NicDelRequest(pod: PodReference(namespace: "testns", name: "testpod"),
                                                                     containerID: fixture.containerID)))
        let again = try await fixture.runtime.delete(cached: text)
        #expect(again.allSatisfy { $0.succeeded }, "DEL is idempotent")
    }

    @Test("Azure-networking mode: eth0 keeps its routes, only the SGC CIDRs go into wg0, excludedCIDRs ignored")
    func azureNetworking() async throws {
        var assignment = FakeManager.defaultAssignment
        assignment.exceptionCIDRs = Self.exceptions
        assignment.defaultRoute = .azureNetworking
        let fixture = try ChainFixture("azure", manager: FakeManager(assignment: assignment),
                                       egress: ["excludedCIDRs": ["10.244.0.0/16"]])
        defer { fixture.remove() }
        let pod = fixture.pod, gateway = fixture.gateway
        let main = try await fixture.addMain()
        let before = try pod.routeLines()
        let answer = try await fixture.addEgress(previous: main)
        try #require(answer.succeeded, "\(answer.stdout)")
        let result = try object(answer.stdout)

        #expect(try pod.routeLines() == (before + [
            "1.2.3.4 via inet6 fe80::1 dev wg0",
            "172.17.0.0/16 via inet6 fe80::1 dev wg0",
        ]).sorted())
        #expect(before.contains("default via \(gateway) dev eth0"))
        let routes = try #require(result["routes"] as? [[String: Any]]).map { "\($0["dst"] ?? "") \($0["gw"] ?? "-")" }
        let previousRoutes = try #require(try object(main)["routes"] as? [[String: Any]]).map { "\($0["dst"] ?? "") \($0["gw"] ?? "-")" }
        #expect(routes == previousRoutes + ["1.2.3.4/32 fe80::1", "172.17.0.0/16 fe80::1"])
        try expectIngressSymmetry(pod, gateway: gateway)

        let check = try await fixture.checkEgress(cached: answer.stdout)
        #expect(check.succeeded, "\(check.stdout)")
        try pod.run("ip", ["route", "del", "1.2.3.4/32"])
        let failed = try await fixture.checkEgress(cached: answer.stdout)
        #expect((failed.error?["msg"] as? String)?.hasSuffix("route 1.2.3.4/32 via inet6 fe80::1 dev wg0 is missing") == true, "\(failed.stdout)")
    }

    @Test("a failed nicAdd rolls back: no link, no wireguard-go, no rule, no table-8738 route, eth0 untouched")
    func rollbackOnNicAdd() async throws {
        let manager = FakeManager()
        manager.update { $0.nicAddFailure = .notReady("the egress IP prefix is not ready yet.") }
        let fixture = try ChainFixture("rbnic", manager: manager)
        defer { fixture.remove() }
        let main = try await fixture.addMain()
        let before = try fixture.pod.routeLines() + fixture.pod.run("ip", ["-6", "route"]).stdout.split(separator: "\n").map(String.init)
        let addressesBefore = try fixture.pod.run("ip", ["addr"]).stdout

        let answer = try await fixture.addEgress(previous: main)
        let error = try #require(answer.error)
        #expect(error["code"] as? Int == 11)
        let message = try #require(error["msg"] as? String)
        #expect(message.hasPrefix("pod testns/testpod, gateway sgw1: failed to register with the cni-manager: gateway not ready"), "\(message)")
        #expect((error["details"] as? String)?.contains("rolled back: IPAM egressgw-cni-ipam DEL; delete link wg0") == true, "\(error)")

        try fixture.expectNoTraces()
        #expect(try fixture.pod.routeLines() + fixture.pod.run("ip", ["-6", "route"]).stdout.split(separator: "\n").map(String.init) == before)
        #expect(try fixture.pod.run("ip", ["addr"]).stdout == addressesBefore)
        #expect(fixture.manager.calls.count == 1, "no nicDel for a registration that never happened")
    }

    @Test("a failure after the routes rolls back the routes, the rule, table 8738, the registration and the link")
    func rollbackAfterRoutes() async throws {
        var assignment = FakeManager.defaultAssignment
        assignment.exceptionCIDRs = Self.exceptions
        let fixture = try ChainFixture("rbfw", manager: FakeManager(assignment: assignment)) { options in
            options.iptables = .init(save: "iptables-save", restore: "/bin/false")
        }
        defer { fixture.remove() }
        let main = try await fixture.addMain()
        let before = try fixture.pod.routeLines() + fixture.pod.run("ip", ["-6", "route"]).stdout.split(separator: "\n").map(String.init)
        let rpFilter = try fixture.pod.sysctl("net.ipv4.conf.all.rp_filter")

        let answer = try await fixture.addEgress(previous: main)
        let error = try #require(answer.error)
        #expect(error["code"] as? Int == 999)
        #expect((error["msg"] as? String)?.contains("add the ingress-symmetry mangle rules") == true, "\(error)")
        let details = try #require(error["details"] as? String)
        for step in ["restore table 8738's default route", "delete inet rule from all fwmark 0x2222 lookup 8738",
                     "delete the 4 routes ADD added", "restore 3 routes of eth0", "cni-manager nicDel", "delete link wg0"] {
            #expect(details.contains(step), "\(step) not in \(details)")
        }
        #expect(!details.contains("rollback failed"), "\(details)")

        try fixture.expectNoTraces()
        #expect(try fixture.pod.routeLines() + fixture.pod.run("ip", ["-6", "route"]).stdout.split(separator: "\n").map(String.init) == before)
        #expect(try fixture.pod.sysctl("net.ipv4.conf.all.rp_filter") == rpFilter)
        #expect(fixture.manager.calls.last == .nicDel(NicDelRequest(pod: PodReference(namespace: "testns", name: "testpod"),
                                                                     containerID: fixture.containerID)))
    }

    @Test("the chain in 0.3.1: every IP carries its version, wg0's IPv6 too")
    func version031() async throws {
        let fixture = try ChainFixture("v031", version: "0.3.1")
        defer { fixture.remove() }
        let result = try object(try await fixture.addChain())
        #expect(result["cniVersion"] as? String == "0.3.1")
        let ips = try #require(result["ips"] as? [[String: Any]])
        #expect(ips.map { $0["version"] as? String } == ["4", "6"])
        #expect(ips[1]["interface"] as? Int == 3)
        _ = try await fixture.runtime.delete(cached: nil)
    }

    /// Rule, table 8738, mangle rules and rp_filter of §1.6, read from inside the pod.
    func expectIngressSymmetry(_ pod: Scratch, gateway: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let rules = try pod.ipJSON(["-4", "rule"]).filter { $0["fwmark"] != nil }
        #expect(rules.count == 1, sourceLocation: sourceLocation)
        #expect(rules.first?["fwmark"] as? String == "0x2222" && rules.first?["table"] as? String == "8738", sourceLocation: sourceLocation)
        #expect(rules.first?["priority"] as? Int == 32765, sourceLocation: sourceLocation)
        #expect(try pod.routeLines(["table", "8738"]) == ["default via \(gateway) dev eth0"], sourceLocation: sourceLocation)
        #expect(try pod.mangle() == expectedPodMangle, sourceLocation: sourceLocation)
        #expect(try pod.sysctl("net.ipv4.conf.all.rp_filter") == "2", sourceLocation: sourceLocation)
        #expect(try pod.sysctl("net.ipv4.conf.eth0.rp_filter") == "2", sourceLocation: sourceLocation)
    }
}
