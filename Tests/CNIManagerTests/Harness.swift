import CNIManager
import EgressGatewayAPI
import Foundation
import Kube
import KubeEmulator
import Logging
import Testing

let quietLogger: Logger = {
    var logger = Logger(label: "cni-manager-tests")
    logger.logLevel = .critical
    return logger
}()

/// A KubeEmulator with the egress gateway CRDs, a client of it, and a running cni-manager server
/// on a unix socket in a fresh directory.
struct ManagerWorld: Sendable {
    let server: RunningKubeEmulator
    let client: KubeClient
    let socketPath: String
    let nodeName: String

    var pods: ResourceClient<Pod> { client.resource(Pod.self, namespace: "testns") }
    var gateways: ResourceClient<StaticGatewayConfiguration> { client.resource(StaticGatewayConfiguration.self, namespace: "testns") }
    var endpoints: ResourceClient<PodEndpoint> { client.resource(PodEndpoint.self, namespace: "testns") }

    static func run<T: Sendable>(node: String = "node-a", _ body: @escaping @Sendable (ManagerWorld) async throws -> T)
        async throws -> T
    {
        let server = try await KubeEmulator(logger: quietLogger).start()
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        do {
            let client = try KubeClient(configuration: KubeClientConfiguration(server: server.url, namespace: "default"))
            for crd in CustomResourceDefinitions.all {
                _ = try await client.resource(CustomResourceDefinition.self).create(crd)
            }
            _ = try await client.resource(Namespace.self).create(Namespace(name: "testns"))
            let socket = directory.path + "/run/cni.sock"
            let registry = PodEndpointRegistry(client: client, nodeName: node, logger: quietLogger)
            let (listening, signal) = AsyncStream<Void>.makeStream()
            let manager = ManagerServer(
                socketPath: socket,
                handlers: .init(registry: registry) { .init(version: "test", node: node, conflistInstalled: true) },
                operationTimeout: .seconds(10), logger: quietLogger, onListening: { signal.yield() })
            let result = try await withThrowingTaskGroup(of: T?.self) { group in
                group.addTask {
                    try await manager.run()
                    return nil
                }
                var iterator = listening.makeAsyncIterator()
                await iterator.next()
                defer { group.cancelAll() }
                let world = ManagerWorld(server: server, client: client, socketPath: socket, nodeName: node)
                return try await withTestTimeout(.seconds(60)) { try await body(world) }
            }
            await server.stop()
            return result
        } catch {
            await server.stop()
            throw error
        }
    }

    /// A pod on `node` with the SGC annotation (or none).
    @discardableResult
    func createPod(_ name: String, gateway: String? = "sgw1", node: String? = nil) async throws -> Pod {
        var metadata = ObjectMeta(name: name, namespace: "testns")
        if let gateway { metadata.annotations = [EgressGateway.podAnnotation: gateway] }
        return try await pods.create(Pod(metadata: metadata, spec: PodSpec(nodeName: node ?? nodeName,
                                                                             containers: [Container(name: "c", unknownFields: ["image": "pause"])])))
    }

    /// An SGC whose status the operator has filled (or not, with `ready: false`).
    @discardableResult
    func createGateway(_ name: String = "sgw1", ready: Bool = true, defaultRoute: DefaultRoute = .staticEgressGateway,
                       excludeCidrs: [String] = ["1.2.3.4/32"]) async throws -> StaticGatewayConfiguration {
        var gateway = StaticGatewayConfiguration()
        gateway.metadata = ObjectMeta(name: name, namespace: "testns")
        gateway.spec = StaticGatewayConfigurationSpec(gatewayNodepoolName: "gwpool", defaultRoute: defaultRoute,
                                                      excludeCidrs: excludeCidrs)
        var created = try await gateways.create(gateway)
        if ready {
            created.status = StaticGatewayConfigurationStatus(
                egressIpPrefix: "13.66.156.240/30",
                gatewayServerProfile: GatewayServerProfile(ip: "192.168.1.1", port: 54321, publicKey: Self.gatewayKey,
                                                           privateKeySecretRef: nil))
            created = try await gateways.updateStatus(created)
        }
        return created
    }

    static let gatewayKey = "aPxGwq8zERHQ3Q1cOZFdJ+cvJX5Ka4mLN38AyYKYF10="
    static let podKey = "mKq/7GT2rsqFUBKGNJ6f/tV0t4jmgGovBdUaaXjMuHc="
}

struct TemporaryDirectory: Sendable {
    let path: String

    init() throws {
        path = NSTemporaryDirectory() + "egw-cnimgr-" + UUID().uuidString.prefix(8).lowercased()
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func remove() { try? FileManager.default.removeItem(atPath: path) }
}

struct TestTimedOut: Error, CustomStringConvertible {
    var description: String { "test body did not finish in time" }
}

func withTestTimeout<T: Sendable>(_ limit: Duration, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: limit)
            return nil
        }
        defer { group.cancelAll() }
        guard let first = try await group.next(), let value = first else { throw TestTimedOut() }
        return value
    }
}

/// Polls `condition` until it holds; the test timeout bounds the wait.
func eventually(_ condition: @Sendable () async throws -> Bool) async throws {
    while try await !condition() {
        try await Task.sleep(for: .milliseconds(20))
    }
}
