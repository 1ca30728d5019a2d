import EgressGatewayAPI
import Foundation
import GatewayDaemon
import Kube
import KubeEmulator
import Netlink
import Testing
import WireGuard

/// A KubeEmulator over loopback HTTP holding the egress gateway CRDs, the node's Node object and
/// namespaces, and a client of it.
struct Cluster {
    static let namespace = "kube-egress-gateway-system"
    static let nodeName = "aks-gwpool-12345678-vmss000000"
    static let identity = NodeIdentity(computerName: nodeName, vmScaleSetName: "aks-gwpool-12345678-vmss",
                                       resourceGroupName: "MC_rg", tagText: "aks-managed-poolName:gwpool;other:x")

    let server: RunningKubeEmulator
    let client: KubeClient

    static func start() async throws -> Cluster {
        let server = try await KubeEmulator().start()
        let client = try KubeClient(configuration: KubeClientConfiguration(
            server: server.url, userAgent: KubeClientConfiguration.userAgent(version: "test", role: "gateway-tests"),
            proxy: .none))
        for definition in CustomResourceDefinitions.all {
            _ = try await client.resource(CustomResourceDefinition.self).create(definition)
        }
        for name in [namespace, "default"] {
            _ = try? await client.resource(Kube.Namespace.self).create(Kube.Namespace(name: name))
        }
        _ = try await client.resource(Node.self).create(Node(metadata: ObjectMeta(name: nodeName)))
        return Cluster(server: server, client: client)
    }

    func stop() async { await server.stop() }

    /// A provisioned gateway (status as the operator writes it), its key Secret and its VM
    /// configuration listing this node with `secondaryIP`.
    @discardableResult
    func addGateway(_ name: String, port: UInt16, secondaryIP: IPAddress, key: PrivateKey,
                    ilbIP: IPAddress = TestNode.ilbIP) async throws -> StaticGatewayConfiguration {
        let gateways = client.resource(StaticGatewayConfiguration.self, namespace: "default")
        var gateway = try await gateways.create(StaticGatewayConfiguration(
            metadata: ObjectMeta(name: name, namespace: "default"),
            spec: StaticGatewayConfigurationSpec(gatewayNodepoolName: "gwpool")))
        let secretName = EgressGateway.keySecretName(staticGatewayConfigurationUID: gateway.metadata.uid)
        _ = try await client.resource(Secret.self, namespace: Cluster.namespace).create(Secret(
            metadata: ObjectMeta(name: secretName, namespace: Cluster.namespace),
            data: [EgressGateway.SecretKey.privateKey: Data(key.base64.utf8),
                   EgressGateway.SecretKey.publicKey: Data(key.publicKey.base64.utf8)]))
        var configuration = GatewayVMConfiguration(metadata: ObjectMeta(name: name, namespace: "default"),
                                                   spec: GatewayVMConfigurationSpec())
        configuration = try await client.resource(GatewayVMConfiguration.self, namespace: "default").create(configuration)
        configuration.status = GatewayVMConfigurationStatus(egressIpPrefix: "20.0.0.0/31", gatewayVMProfiles: [
            GatewayVMProfile(nodeName: Cluster.nodeName, primaryIP: TestNode.primaryIP.description,
                             secondaryIP: secondaryIP.description),
        ])
        _ = try await client.resource(GatewayVMConfiguration.self, namespace: "default").updateStatus(configuration)
        var reference = ObjectReference()
        reference.name = secretName
        reference.namespace = Cluster.namespace
        gateway.status = StaticGatewayConfigurationStatus(egressIpPrefix: "20.0.0.0/31", gatewayServerProfile: GatewayServerProfile(
            ip: ilbIP.description, port: Int32(port), publicKey: key.publicKey.base64, privateKeySecretRef: reference))
        return try await gateways.updateStatus(gateway)
    }

    @discardableResult
    func addEndpoint(_ name: String, gateway: String, peer: GatewayPeer) async throws -> PodEndpoint {
        try await client.resource(PodEndpoint.self, namespace: "default").create(PodEndpoint(
            metadata: ObjectMeta(name: name, namespace: "default"),
            spec: PodEndpointSpec(staticGatewayConfiguration: gateway, podIpAddress: peer.podCIDR.description,
                                  podPublicKey: peer.publicKey.base64)))
    }

    func gatewayStatus() async throws -> GatewayStatus? {
        do {
            return try await client.resource(GatewayStatus.self, namespace: Cluster.namespace).get(Cluster.nodeName)
        } catch where error.isNotFound {
            return nil
        }
    }
}

/// A daemon on a ``TestNode`` against a ``Cluster``, run in a task until ``stop()``.
final class RunningDaemon: Sendable {
    let daemon: GatewayDaemon
    let task: Task<Void, Never>

    init(topology: TestNode, cluster: Cluster, cleanupInterval: Duration = .seconds(3600),
         implementations: UserspaceImplementations? = nil) throws {
        daemon = GatewayDaemon(
            configuration: .init(nodeName: Cluster.nodeName, namespace: Cluster.namespace, secretNamespace: Cluster.namespace,
                                 node: try topology.gatewayNode(), cleanupInterval: cleanupInterval,
                                 statusInterval: .milliseconds(100)),
            client: cluster.client, identity: Cluster.identity, probes: GatewayProbes(), implementations: implementations)
        let daemon = daemon
        task = Task { await daemon.run() }
    }

    func stop() async {
        task.cancel()
        await task.value
    }
}

/// Polls `condition` until it holds; the test's `.timeLimit` bounds the wait.
func eventually(_ condition: () async throws -> Bool) async throws {
    while try await !condition() {
        try await Task.sleep(for: .milliseconds(25))
    }
}
