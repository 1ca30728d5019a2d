import CNIManager
import EgressGatewayAPI
import Kube
import KubeEmulator
import Logging

/// The Kubernetes side a node's CNI plugin meets: a KubeEmulator on loopback holding the pods and a
/// ready StaticGatewayConfiguration (its status filled as the operator would), and the cni-manager's
/// API server on a unix socket in front of it. Both run in this process; the plugin reaches the
/// manager over the socket, the manager reaches the emulator over HTTP, as on a node.
struct CNIBenchCluster: Sendable {
    static let namespace = "egw-bench"
    static let gateway = "egress"
    static let nodeName = "bench-node"
    static let gatewayKey = "aPxGwq8zERHQ3Q1cOZFdJ+cvJX5Ka4mLN38AyYKYF10="

    let client: KubeClient
    let socketPath: String

    var endpoints: ResourceClient<PodEndpoint> { client.resource(PodEndpoint.self, namespace: Self.namespace) }

    static func podName(_ index: Int) -> String { "bench-\(index)" }

    /// Starts the emulator and the manager, fills the cluster with `pods` annotated pods, runs
    /// `body`, and stops both whether `body` returns or throws.
    static func run<T: Sendable>(pods: Int, socketPath: String, logger: Logger,
                                 _ body: @escaping @Sendable (CNIBenchCluster) async throws -> T) async throws -> T {
        let server = try await KubeEmulator(logger: logger).start()
        do {
            let client = try KubeClient(configuration: KubeClientConfiguration(server: server.url, namespace: namespace, proxy: .none))
            let cluster = CNIBenchCluster(client: client, socketPath: socketPath)
            try await cluster.populate(pods: pods)
            let (listening, signal) = AsyncStream<Void>.makeStream()
            let manager = ManagerServer(
                socketPath: socketPath,
                handlers: .init(registry: PodEndpointRegistry(client: client, nodeName: nodeName, logger: logger)) {
                    .init(version: "bench", node: nodeName, conflistInstalled: true)
                },
                logger: logger, onListening: { signal.yield() })
            let result = try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    defer { signal.finish() }
                    try await manager.run()
                }
                defer { group.cancelAll() }
                var iterator = listening.makeAsyncIterator()
                guard await iterator.next() != nil else {
                    try await group.next()
                    throw CNIBenchError.managerStopped(socketPath)
                }
                return try await body(cluster)
            }
            await server.stop()
            return result
        } catch {
            await server.stop()
            throw error
        }
    }

    /// CRDs, the namespace, a gateway whose status says where it listens, and the pods on this node.
    private func populate(pods: Int) async throws {
        for definition in CustomResourceDefinitions.all {
            _ = try await client.resource(CustomResourceDefinition.self).create(definition)
        }
        _ = try await client.resource(Namespace.self).create(Namespace(name: Self.namespace))
        let gateways = client.resource(StaticGatewayConfiguration.self, namespace: Self.namespace)
        var gateway = try await gateways.create(StaticGatewayConfiguration(
            metadata: ObjectMeta(name: Self.gateway, namespace: Self.namespace),
            spec: StaticGatewayConfigurationSpec(gatewayNodepoolName: "gwpool")))
        // What the operator writes once the gateway's load balancer and prefix exist: the plugin's
        // ADD is told to try again later until then.
        gateway.status = StaticGatewayConfigurationStatus(
            egressIpPrefix: "20.0.0.0/31",
            gatewayServerProfile: GatewayServerProfile(ip: "10.0.0.100", port: 6000, publicKey: Self.gatewayKey, privateKeySecretRef: nil))
        _ = try await gateways.updateStatus(gateway)
        let podClient = client.resource(Pod.self, namespace: Self.namespace)
        for index in 0..<pods {
            _ = try await podClient.create(Pod(
                metadata: ObjectMeta(name: Self.podName(index), namespace: Self.namespace,
                                     annotations: [EgressGateway.podAnnotation: Self.gateway]),
                spec: PodSpec(nodeName: Self.nodeName, containers: [Container(name: "c", unknownFields: ["image": "pause"])])))
        }
    }
}
