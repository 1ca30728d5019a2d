import EgressGatewayAPI
import Kube
import KubeEmulator
import Metrics
import Observability
import Operator
import Testing

/// A KubeEmulator with the egress gateway CRDs and the operator's namespace, a client of it, and an operator
/// running against it for the length of one test.
struct OperatorHarness: Sendable {
    static let secretNamespace = "kube-egress-gateway-system"

    let server: RunningKubeEmulator
    let client: KubeClient
    let metrics: MetricsRegistry
    let settings: OperatorSettings

    /// Runs `body` with a fresh emulator and an operator; both are stopped after it.
    /// - Parameter startsOperator: false leaves starting (and restarting) operators to the body.
    static func run(
        faults: FaultInjection = .none, fabric: (any GatewayFabric)? = nil, cloud: CloudTarget? = nil,
        timeout: Duration = .seconds(120), startsOperator: Bool = true,
        _ body: @escaping @Sendable (OperatorHarness) async throws -> Void
    ) async throws {
        let server = try await KubeEmulator().start()
        do {
            let client = try KubeClient(configuration: KubeClientConfiguration(
                server: server.url, credentials: .none, namespace: "default",
                userAgent: KubeClientConfiguration.userAgent(version: "test", role: "operator-tests"), proxy: .none))
            for crd in CustomResourceDefinitions.all {
                _ = try await client.resource(CustomResourceDefinition.self).create(crd)
            }
            _ = try await client.resource(Namespace.self).create(Namespace(name: secretNamespace))
            server.emulator.setFaults(faults)
            let harness = OperatorHarness(
                server: server, client: client, metrics: MetricsRegistry(),
                settings: OperatorSettings(secretNamespace: secretNamespace, podNamespace: secretNamespace,
                                           cloud: cloud ?? CloudTarget()))
            let running = startsOperator ? harness.startOperator(fabric: fabric) : nil
            defer { running?.cancel() }
            try await withTestTimeout(timeout) { try await body(harness) }
            running?.cancel()
            await running?.value
            await server.stop()
        } catch {
            await server.stop()
            throw error
        }
    }

    /// Starts an operator process of its own (fresh informers, queues and fabric state); cancelling the task
    /// kills it wherever it is.
    func startOperator(fabric: (any GatewayFabric)?) -> Task<Void, Never> {
        let manager = OperatorManager(client: client, settings: settings, fabric: fabric, metricsFactory: metrics.factory,
                                      informerConfiguration: .init(watchTimeout: 5...10))
        return Task { await manager.run() }
    }

    func sgcs(namespace: String = "default") -> ResourceClient<StaticGatewayConfiguration> {
        client.resource(StaticGatewayConfiguration.self, namespace: namespace)
    }

    func vmConfigurations(namespace: String = "default") -> ResourceClient<GatewayVMConfiguration> {
        client.resource(GatewayVMConfiguration.self, namespace: namespace)
    }

    func lbConfigurations(namespace: String = "default") -> ResourceClient<GatewayLBConfiguration> {
        client.resource(GatewayLBConfiguration.self, namespace: namespace)
    }

    var secrets: ResourceClient<Secret> { client.resource(Secret.self, namespace: Self.secretNamespace) }

    /// The events recorded about the object named `name` in `namespace`.
    func events(about name: String, namespace: String = "default") async throws -> [Event] {
        try await client.resource(Event.self, namespace: namespace).list().items
            .filter { $0.involvedObject.name == name }
    }

    /// The object `name`, once `condition` holds for it.
    func eventually<Object: APIObject>(
        _ api: ResourceClient<Object>, _ name: String, _ condition: @Sendable (Object) -> Bool
    ) async throws -> Object {
        while true {
            if let object = try? await api.get(name), condition(object) { return object }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    /// Changes the object `name` with `change`, again from a fresh read when the operator wrote it in between.
    func update<Object: APIObject>(_ api: ResourceClient<Object>, _ name: String,
                                   _ change: @Sendable (inout Object) -> Void) async throws {
        while true {
            var object = try await api.get(name)
            change(&object)
            do {
                _ = try await api.update(object)
                return
            } catch .conflict {
                continue
            }
        }
    }

    /// Waits until the object `name` is gone.
    func eventuallyGone<Object: APIObject>(_ api: ResourceClient<Object>, _ name: String) async throws {
        while true {
            do {
                _ = try await api.get(name)
            } catch .notFound {
                return
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }
}

func sgc(_ name: String, namespace: String = "default", spec: StaticGatewayConfigurationSpec) -> StaticGatewayConfiguration {
    StaticGatewayConfiguration(metadata: ObjectMeta(name: name, namespace: namespace), spec: spec)
}

/// A test that runs too long fails instead of hanging the suite.
struct TestTimedOut: Error, CustomStringConvertible {
    let after: Duration
    var description: String { "test body did not finish within \(after)" }
}

func withTestTimeout(_ limit: Duration, _ body: @escaping @Sendable () async throws -> Void) async throws {
    try await withThrowingTaskGroup(of: Bool.self) { group in
        group.addTask {
            try await body()
            return true
        }
        group.addTask {
            try await Task.sleep(for: limit)
            return false
        }
        defer { group.cancelAll() }
        guard try await group.next() == true else { throw TestTimedOut(after: limit) }
    }
}
