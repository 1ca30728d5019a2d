import CNIManager
import EgressGatewayAPI
import Foundation
import Kube
import KubeEmulator
import Netlink
import Testing
import WireGuard
@testable import CNIPlugin

/// The whole node side as a runtime meets it: our cni-manager (on the KubeEmulator) writes the
/// conflist from the node's bridge + host-local config, and the runtime runs that list with the
/// built `egressgw` binary reaching the manager over its unix socket.
@Suite(.serialized, .enabled(if: Host.canRunChain, "needs root, wireguard-go and /usr/lib/cni/{bridge,host-local}"))
struct ManagerChainTests {
    static let gatewayKey = "aPxGwq8zERHQ3Q1cOZFdJ+cvJX5Ka4mLN38AyYKYF10="

    @Test("manager-written conflist, binary plugin, both modes: wg0, routes, PodEndpoint of this sandbox; DEL removes it",
          arguments: [DefaultRoute.staticEgressGateway, .azureNetworking])
    func chain(mode: DefaultRoute) async throws {
        try await LiveManager.run { manager in
            try await manager.gateway(mode: mode, excludeCidrs: ["1.2.3.4/32"])
            try await manager.pod("testpod", gateway: "sgw1")
            let fixture = try ChainFixture("mgr", annotations: [EgressPlugin.gatewayAnnotation: "sgw1"], binary: true)
            defer { fixture.remove() }
            let runtime = try manager.runtime(replacing: fixture.runtime, excludedCIDRs: ["10.244.0.0/16"])
            let answers = try await runtime.add()
            try #require(answers.count == 2 && answers.allSatisfy { $0.succeeded }, "\(answers.map(\.stdout)) \(answers.map(\.stderr))")

            let dump = try WGDump.read(fixture.temporary, in: fixture.pod.namespace)
            #expect(dump.peers.first?.publicKey == Self.gatewayKey)
            #expect(dump.peers.first?.endpoint == "192.168.1.1:6000")
            let routes = try fixture.pod.routeLines()
            if mode == .azureNetworking {
                #expect(routes.contains("1.2.3.4 via inet6 fe80::1 dev wg0"))
                #expect(routes.contains("default via \(fixture.gateway) dev eth0"))
            } else {
                #expect(routes.contains("default via inet6 fe80::1 dev wg0"))
                #expect(routes.contains("10.244.0.0/16 via \(fixture.gateway) dev eth0 proto static"))
            }
            let endpoint = try await manager.endpoints.get("testpod")
            #expect(endpoint.spec == PodEndpointSpec(staticGatewayConfiguration: "sgw1", podIpAddress: "\(fixture.podIP)/32",
                                                     podPublicKey: dump.publicKey))
            #expect(endpoint.metadata.annotations[PodEndpointRegistry.sandboxAnnotation] == fixture.containerID)

            let deletions = try await runtime.delete(cached: answers[1].stdout)
            #expect(deletions.allSatisfy { $0.succeeded })
            #expect(!(try fixture.pod.linkNames().contains("wg0")))
            #expect(try await manager.endpoints.list().items.isEmpty)
        }
    }

    @Test("a pod without the annotation passes through untouched and gets no PodEndpoint")
    func unannotated() async throws {
        try await LiveManager.run { manager in
            try await manager.gateway(mode: .staticEgressGateway, excludeCidrs: [])
            try await manager.pod("testpod", gateway: nil)
            // No runtime annotations: the plugin asks the manager, which says there are none.
            let fixture = try ChainFixture("mgrplain", annotations: nil, binary: true)
            defer { fixture.remove() }
            let runtime = try manager.runtime(replacing: fixture.runtime, excludedCIDRs: [])
            let answers = try await runtime.add()
            try #require(answers.count == 2 && answers.allSatisfy { $0.succeeded }, "\(answers.map(\.stdout)) \(answers.map(\.stderr))")
            #expect(NSDictionary(dictionary: try object(answers[1].stdout)).isEqual(to: try object(answers[0].stdout)))
            #expect(!(try fixture.pod.linkNames().contains("wg0")))
            #expect(try await manager.endpoints.list().items.isEmpty)
        }
    }

    @Test("GC removes a leaked temporary link and the PodEndpoint of a sandbox the runtime no longer lists")
    func garbageCollect() async throws {
        try await LiveManager.run { manager in
            try await manager.gateway(mode: .staticEgressGateway, excludeCidrs: [])
            try await manager.pod("testpod", gateway: "sgw1")
            let fixture = try ChainFixture("mgrgc", binary: true)
            defer { fixture.remove() }
            let runtime = try manager.runtime(replacing: fixture.runtime, excludedCIDRs: [])
            let answers = try await runtime.add()
            try #require(answers.allSatisfy { $0.succeeded }, "\(answers.map(\.stdout)) \(answers.map(\.stderr))")
            // An ADD killed between creating and moving its link leaves one like this in the node.
            let leaked = "wg" + Host.containerID().prefix(8)
            try fixture.node.run("ip", ["tuntap", "add", leaked, "mode", "tun"])
            let gc = MiniRuntime(conflist: runtime.conflist.merging(["cniVersion": "1.1.0"]) { _, new in new },
                             pluginPath: runtime.pluginPath, node: runtime.node, containerID: runtime.containerID,
                             netns: runtime.netns)
            var plugin = gc.plugins[1]
            plugin["cni.dev/valid-attachments"] = [["containerID": "some-other-sandbox", "ifname": "eth0"]]
            let answer = try await gc.invoke("GC", plugin, previous: nil)
            #expect(answer.succeeded, "\(answer.stdout) \(answer.stderr)")
            #expect(!(try fixture.node.linkNames().contains(leaked)))
            #expect(try await manager.endpoints.list().items.isEmpty)
        }
    }
}

/// A cni-manager server on the KubeEmulator, with the CRDs, namespace `testns` and node `chain-node`.
struct LiveManager: Sendable {
    let client: KubeClient
    let socket: String
    let confDirectory: String
    static let node = "chain-node"

    var endpoints: ResourceClient<PodEndpoint> { client.resource(PodEndpoint.self, namespace: "testns") }

    static func run(_ body: @escaping @Sendable (LiveManager) async throws -> Void) async throws {
        let server = try await KubeEmulator(logger: quietLogger).start()
        let directory = try TemporaryDirectory()
        defer { withExtendedLifetime(directory) {} }
        do {
            let client = try KubeClient(configuration: KubeClientConfiguration(server: server.url, namespace: "default"))
            for crd in CustomResourceDefinitions.all { _ = try await client.resource(CustomResourceDefinition.self).create(crd) }
            _ = try await client.resource(Namespace.self).create(Namespace(name: "testns"))
            let socket = directory.path + "/run/cni.sock"
            try FileManager.default.createDirectory(atPath: directory.path + "/net.d", withIntermediateDirectories: true)
            let registry = PodEndpointRegistry(client: client, nodeName: node, logger: quietLogger)
            let (listening, signal) = AsyncStream<Void>.makeStream()
            let manager = ManagerServer(socketPath: socket, handlers: .init(registry: registry) {
                .init(version: "test", node: node, conflistInstalled: true)
            }, logger: quietLogger, onListening: { signal.yield() })
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await manager.run() }
                var iterator = listening.makeAsyncIterator()
                await iterator.next()
                defer { group.cancelAll() }
                try await body(LiveManager(client: client, socket: socket, confDirectory: directory.path + "/net.d"))
            }
            await server.stop()
        } catch {
            await server.stop()
            throw error
        }
    }

    func gateway(mode: DefaultRoute, excludeCidrs: [String]) async throws {
        var gateway = StaticGatewayConfiguration()
        gateway.metadata = ObjectMeta(name: "sgw1", namespace: "testns")
        gateway.spec = StaticGatewayConfigurationSpec(gatewayNodepoolName: "gw", defaultRoute: mode, excludeCidrs: excludeCidrs)
        let gateways = client.resource(StaticGatewayConfiguration.self, namespace: "testns")
        var created = try await gateways.create(gateway)
        created.status = StaticGatewayConfigurationStatus(
            egressIpPrefix: "13.66.156.240/30",
            gatewayServerProfile: GatewayServerProfile(ip: "192.168.1.1", port: 6000, publicKey: ManagerChainTests.gatewayKey,
                                                       privateKeySecretRef: nil))
        _ = try await gateways.updateStatus(created)
    }

    func pod(_ name: String, gateway: String?) async throws {
        var metadata = ObjectMeta(name: name, namespace: "testns")
        if let gateway { metadata.annotations = [EgressGateway.podAnnotation: gateway] }
        _ = try await client.resource(Pod.self, namespace: "testns").create(Pod(
            metadata: metadata, spec: PodSpec(nodeName: Self.node, containers: [Container(name: "c", unknownFields: ["image": "pause"])])))
    }

    /// `runtime` with the conflist our manager writes from its main plugin (bridge + host-local).
    func runtime(replacing runtime: MiniRuntime, excludedCIDRs: [String]) throws -> MiniRuntime {
        var main = runtime.conflist
        main["plugins"] = [runtime.plugins[0]]
        try json(main).withUnsafeBufferPointer { try Data($0).write(to: URL(fileURLWithPath: confDirectory + "/10-bridge.conflist")) }
        let directory = ConflistDirectory(path: confDirectory, conflist: ChainedConflist(managerSocket: socket, excludedCIDRs: excludedCIDRs))
        _ = try directory.reconcile()
        let written = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: directory.filePath))) as? [String: Any])
        var result = MiniRuntime(conflist: written, pluginPath: runtime.pluginPath, node: runtime.node,
                                 containerID: runtime.containerID, netns: runtime.netns)
        result.annotations = runtime.annotations
        return result
    }
}
