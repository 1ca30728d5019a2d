import EgressGatewayAPI
import GatewayDaemon
import Kube
import Testing

@Suite("GatewayStatus edits (§6) and the writer against the KubeEmulator")
struct GatewayStatusTests {
    typealias Peer = EgressGatewayAPI.PeerConfiguration
    typealias Gateway = EgressGatewayAPI.GatewayConfiguration

    private func peer(_ key: String, _ interface: String = "wg", endpoint: String = "ns/p") -> Peer {
        Peer(podEndpoint: endpoint, interfaceName: interface, publicKey: key)
    }

    @Test func addMergesByPublicKeyAndSorts() {
        let start = GatewayStatusSpec(readyGatewayConfigurations: [], readyPeerConfigurations: [peer("pubk3"), peer("pubk1")])
        let spec = GatewayStatusEdit.applying([.addPeers([peer("pubk1"), peer("pubk2")])], to: start)
        #expect(spec.readyPeerConfigurations.map(\.publicKey) == ["pubk1", "pubk2", "pubk3"])
    }

    @Test func deleteOfAGatewayTakesItsPeers() {
        let start = GatewayStatusSpec(
            readyGatewayConfigurations: [Gateway(staticGatewayConfiguration: "a/b", interfaceName: "wg"),
                                         Gateway(staticGatewayConfiguration: "a/c", interfaceName: "wg1")],
            readyPeerConfigurations: [peer("k1", "wg"), peer("k2", "wg"), peer("k3", "wg1")])
        let spec = GatewayStatusEdit.applying([.removeGateway(interfaceName: "wg")], to: start)
        #expect(spec.readyGatewayConfigurations.map(\.interfaceName) == ["wg1"])
        #expect(spec.readyPeerConfigurations.map(\.publicKey) == ["k3"])
    }

    /// Upstream's ADD leaves an item of the same interface stale (§9.3.9).
    @Test func addOfAGatewayRefreshesTheItemOfItsInterface() {
        let start = GatewayStatusSpec(readyGatewayConfigurations: [Gateway(staticGatewayConfiguration: "a/old", interfaceName: "wg-6000")],
                                      readyPeerConfigurations: [])
        let spec = GatewayStatusEdit.applying([.addGateway(staticGatewayConfiguration: "a/new", interfaceName: "wg-6000")], to: start)
        #expect(spec.readyGatewayConfigurations == [Gateway(staticGatewayConfiguration: "a/new", interfaceName: "wg-6000")])
    }

    /// The sweep's keep-set, except for links that could not be read (upstream drops their
    /// peers, §9.3.5).
    @Test func keepSetSparesLinksThatFailed() {
        let start = GatewayStatusSpec(readyGatewayConfigurations: [],
                                      readyPeerConfigurations: [peer("k1", "wg-1"), peer("k3", "wg-1"), peer("k9", "wg-2")])
        let spec = GatewayStatusEdit.applying([.keepPeers(kept: ["k3"], failedInterfaces: ["wg-2"])], to: start)
        #expect(spec.readyPeerConfigurations.map(\.publicKey) == ["k3", "k9"])
    }

    /// Many edits, few writes: one create, then at most one update per interval, none when
    /// nothing changes; a removal alone never creates the object.
    @Test(.timeLimit(.minutes(1))) func writerCoalescesAndSkipsNoOps() async throws {
        let cluster = try await Cluster.start()
        let writer = GatewayStatusWriter(client: cluster.client, nodeName: Cluster.nodeName, namespace: Cluster.namespace,
                                         minimumInterval: .milliseconds(200))
        let task = Task { await writer.run() }
        await writer.submit(.removePeers(["nobody"]))
        await writer.submit(.addGateway(staticGatewayConfiguration: "default/egress", interfaceName: "wg-6000"))
        for index in 0..<200 {
            await writer.submit(.addPeers([peer("key\(1000 + index)", "wg-6000", endpoint: "default/pod\(index)")]))
        }
        try await eventually { try await cluster.gatewayStatus()?.spec.readyPeerConfigurations.count == 200 }
        let writes = await writer.writes
        #expect(writes <= 3, "200 edits became \(writes) writes")
        let status = try #require(try await cluster.gatewayStatus())
        #expect(status.metadata.ownerReferences.map(\.kind) == ["Node"])
        #expect(status.spec.readyPeerConfigurations.map(\.podEndpoint) == status.spec.readyPeerConfigurations.map(\.podEndpoint).sorted())

        await writer.submit(.addGateway(staticGatewayConfiguration: "default/egress", interfaceName: "wg-6000"))
        let token = await writer.sweepToken()
        await writer.submit(.addPeers([peer("late", "wg-6000")]))
        await writer.submitSweep(kept: ["key1000"], failedInterfaces: [], startedAt: token)
        try await eventually { try await cluster.gatewayStatus()?.spec.readyPeerConfigurations.count == 2 }
        #expect(try await cluster.gatewayStatus()?.spec.readyPeerConfigurations.map(\.publicKey) == ["key1000", "late"],
                "a key added after the sweep started survives it")
        task.cancel()
        await cluster.stop()
    }
}
