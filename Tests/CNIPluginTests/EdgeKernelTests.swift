import Foundation
import Netlink
import Testing
import WireGuard
@testable import CNIPlugin

/// upstream-cni §5.2, §5.12–15 with real namespaces: an IPAM executed from CNI_PATH (Debian's
/// `static`, and our own IPAM through the built binary), a reused wg0, a name clash in the host,
/// an IPAM result without IPv4.
@Suite(.enabled(if: Host.canRunChain, "needs root, wireguard-go and /usr/lib/cni/{bridge,host-local}"))
struct EdgeKernelTests {
    static var staticIPAM: [String: Any] { ["type": "static", "addresses": [["address": "fe80::5/64"], ["address": "10.4.0.5/24"]]] }

    @Test("an external IPAM (static: fe80::5/64, 10.4.0.5/24): wg0 gets fe80::5/64, the gateway 10.4.0.5/32 (§5.2)")
    func staticIPAM() async throws {
        let fixture = try ChainFixture("static", egress: ["ipam": Self.staticIPAM])
        defer { fixture.remove() }
        let result = try object(try await fixture.addChain())
        #expect((result["interfaces"] as? [[String: Any]])?.count == 4)
        let ips = try #require(result["ips"] as? [[String: Any]])
        #expect(ips.map { $0["address"] as? String } == ["\(fixture.podIP)/24", "fe80::5/64"])
        let addresses = try fixture.pod.ipJSON(["addr", "show", "dev", "wg0"]).first?["addr_info"] as? [[String: Any]] ?? []
        #expect(addresses.map { "\($0["local"] ?? "")/\($0["prefixlen"] ?? "")" } == ["fe80::5/64"])
        guard case .nicAdd(let registration)? = fixture.manager.calls.first else {
            Issue.record("no nicAdd: \(fixture.manager.calls)")
            return
        }
        #expect(registration.allowedIP == cidr("10.4.0.5/32"))
        #expect(registration.gatewayName == "sgw1")
    }

    @Test("our IPAM executed from CNI_PATH (the built binary) gives the same as in-process")
    func ipamBinary() async throws {
        let fixture = try ChainFixture("ipambin") { $0.inProcessIPAMTypes = [] }
        defer { fixture.remove() }
        let result = try object(try await fixture.addChain())
        let eth0LinkLocal = try #require(try fixture.pod.links.addresses(linkNamed: "eth0", family: .ipv6).first?.network)
        #expect((result["ips"] as? [[String: Any]])?.last?["address"] as? String == eth0LinkLocal.description)
        guard case .nicAdd(let registration)? = fixture.manager.calls.first else {
            Issue.record("no nicAdd: \(fixture.manager.calls)")
            return
        }
        #expect(registration.allowedIP == cidr("\(fixture.podIP)/32"))
    }

    @Test("an IPAM result without IPv4 fails the ADD and rolls back (§5.15)")
    func ipamWithoutIPv4() async throws {
        let fixture = try ChainFixture("noipv4", egress: ["ipam": ["type": "static", "addresses": [["address": "fe80::5/64"]]]])
        defer { fixture.remove() }
        let error = try #require(try await fixture.runtime.add().last?.error)
        #expect(error["code"] as? Int == 999)
        #expect((error["msg"] as? String)?.hasSuffix("IPAM plugin static returned no IPv4 address for the pod") == true)
        try fixture.expectNoTraces()
        #expect(fixture.manager.calls.isEmpty)
    }

    @Test("an existing wg0 is reused: no new device, configured with the gateway (§5.13)")
    func reuse() async throws {
        let fixture = try ChainFixture("reuse")
        defer { fixture.remove() }
        // A device made the same way by an earlier attempt, already in the pod as wg0.
        let earlier = "wgp" + Host.containerID().prefix(8)
        let nodeClient = try WireGuardClient(namespace: fixture.node.namespace)
        try nodeClient.createDevice(named: earlier)
        try fixture.node.links.setAlias(earlier, earlier)
        try fixture.node.links.moveLink(earlier, to: fixture.pod.namespace, newName: "wg0")
        defer { _ = try? noWireGuardGo(for: earlier) }

        let text = try await fixture.addChain()
        #expect(!(try wireGuardGoRuns(for: fixture.temporary)), "no second device")
        let dump = try WGDump.read(earlier, in: fixture.pod.namespace)
        #expect(dump.peers.map(\.publicKey) == [FakeManager.defaultAssignment.gatewayPublicKey.base64])
        let interfaces = try #require(try object(text)["interfaces"] as? [[String: Any]])
        #expect(interfaces.last?["name"] as? String == "wg0")

        _ = try await fixture.runtime.delete(cached: text)
        #expect(!(try fixture.pod.linkNames().contains("wg0")))
        #expect(try noWireGuardGo(for: earlier))
    }

    @Test("a temporary name taken in the host is code 11, and the other link is left alone (§5.14)")
    func temporaryNameTaken() async throws {
        let fixture = try ChainFixture("clash")
        defer { fixture.remove() }
        try fixture.node.links.addVeth(name: fixture.temporary, peerName: "clashpeer")
        let error = try #require(try await fixture.runtime.add().last?.error)
        #expect(error["code"] as? Int == 11)
        #expect((error["msg"] as? String)?.contains("link \(fixture.temporary) already exists") == true, "\(error)")
        #expect(try fixture.node.linkNames().contains(fixture.temporary), "another ADD's link survives")
        #expect(!(try fixture.pod.linkNames().contains("wg0")))
        try fixture.node.links.deleteLink(named: fixture.temporary)
    }
}
