import EgressGatewayAPI
import Kube
import Logging
import Synchronization

/// The gateway node daemon: two controllers on shared informers turn StaticGatewayConfigurations,
/// their Secrets and GatewayVMConfigurations, and PodEndpoints into the node's data path, keep
/// the node's GatewayStatus, and tell the load balancer's probes which gateways are ready.
///
/// - The gateway controller (`staticgatewayconfiguration`) applies each gateway that targets the
///   node, with all its peers in one batch; an empty key is the periodic cleanup (§4.5).
/// - The peer controller (`podendpoint`) adds or removes one peer per PodEndpoint event, from
///   the ledger of what is installed, without reading the device; an empty key is the periodic
///   peer sweep (§3.4).
/// - Every `cleanupInterval` both cleanups run and every gateway is applied again, which
///   repairs drift (the Go daemon only re-applies on events).
///
/// ``run()`` works until its task is cancelled; the kernel state stays as it is then.
public final class GatewayDaemon: Sendable {
    /// What the daemon needs besides its API client and identity.
    public struct Configuration: Sendable {
        /// `MY_NODE_NAME`: the GatewayStatus object's name, and its owner.
        public var nodeName: String
        /// `MY_POD_NAMESPACE`: where the GatewayStatus object lives.
        public var namespace: String
        /// The only namespace whose Secrets are read.
        public var secretNamespace: String
        public var node: GatewayNode
        /// One minute upstream.
        public var cleanupInterval: Duration
        /// The shortest time between two GatewayStatus writes.
        public var statusInterval: Duration

        public init(nodeName: String, namespace: String, secretNamespace: String, node: GatewayNode,
                    cleanupInterval: Duration = .seconds(60), statusInterval: Duration = .seconds(1)) {
            self.nodeName = nodeName
            self.namespace = namespace
            self.secretNamespace = secretNamespace
            self.node = node
            self.cleanupInterval = cleanupInterval
            self.statusInterval = statusInterval
        }
    }

    public let configuration: Configuration
    public let identity: NodeIdentity
    public let dataPath: GatewayDataPath
    public let probes: GatewayProbes
    public let status: GatewayStatusWriter
    /// Present with the userspace WireGuard backend.
    public let implementations: UserspaceImplementations?

    let desired: DesiredState
    let ledger = PeerLedger()
    let gatewayInformer: Informer<StaticGatewayConfiguration>
    let vmConfigurationInformer: Informer<GatewayVMConfiguration>
    let endpointInformer: Informer<PodEndpoint>
    let secretInformer: Informer<Secret>
    let gatewayController: Controller<StaticGatewayConfiguration>
    let peerController: Controller<PodEndpoint>
    let logger: Logger
    let passes = Atomic<Int>(0)

    /// Cleanup passes completed (for tests and the benchmark).
    public var cleanupPasses: Int { passes.load(ordering: .relaxed) }

    /// Index of StaticGatewayConfigurations by the `namespace/name` of their key Secret.
    static let secretIndex = "secret"

    public init(configuration: Configuration, client: KubeClient, identity: NodeIdentity, probes: GatewayProbes,
                implementations: UserspaceImplementations? = nil,
                logger: Logger = Logger(label: "egressgw.gateway")) {
        self.configuration = configuration
        self.identity = identity
        self.probes = probes
        self.implementations = implementations
        self.logger = logger
        dataPath = GatewayDataPath(node: configuration.node, logger: logger)
        status = GatewayStatusWriter(client: client, nodeName: configuration.nodeName, namespace: configuration.namespace,
                                     minimumInterval: configuration.statusInterval, logger: logger)
        gatewayInformer = Informer(client.resource(StaticGatewayConfiguration.self), indexers: [
            Self.secretIndex: { gateway in
                guard let reference = gateway.status.gatewayServerProfile.privateKeySecretRef else { return [] }
                return [ObjectKey(namespace: reference.namespace, name: reference.name).description]
            },
        ], logger: logger)
        vmConfigurationInformer = Informer(client.resource(GatewayVMConfiguration.self), logger: logger)
        endpointInformer = Informer(client.resource(PodEndpoint.self), indexers: [
            DesiredState.gatewayIndex: { [DesiredState.gatewayKey(of: $0).description] },
        ], logger: logger)
        // Secrets of one namespace only: the daemon may read nothing else, and caching every
        // Secret of the cluster on every gateway node would be a waste and a risk.
        secretInformer = Informer(client.resource(Secret.self, namespace: configuration.secretNamespace), logger: logger)
        desired = DesiredState(identity: identity, secretNamespace: configuration.secretNamespace,
                               gateways: gatewayInformer.store, vmConfigurations: vmConfigurationInformer.store,
                               endpoints: endpointInformer.store, secrets: secretInformer.store)

        // The closures need `self`, which exists only once every stored property is set; they
        // reach it through this box, filled right below.
        let box = DaemonReference()
        let gatewayMetrics = ReconcileMetrics(controller: "staticgatewayconfiguration")
        gatewayController = Controller(name: gatewayMetrics.controller, informer: gatewayInformer, logger: logger) { key in
            try await gatewayMetrics.measure { try await box.daemon?.reconcileGateway(key) ?? .done }
        }
        let peerMetrics = ReconcileMetrics(controller: "podendpoint")
        peerController = Controller(name: peerMetrics.controller, informer: endpointInformer, logger: logger) { key in
            try await peerMetrics.measure { try await box.daemon?.reconcilePeer(key) ?? .done }
        }
        box.set(self)

        // A GatewayVMConfiguration carries the node's IPs for the gateway of the same name.
        gatewayController.watch(vmConfigurationInformer) { [$0.objectKey] }
        let gateways = gatewayInformer.store
        gatewayController.watch(secretInformer) { secret in
            gateways.byIndex(Self.secretIndex, secret.objectKey.description).map(\.objectKey)
        }
    }

    /// Returns once every informer holds its first list.
    public func waitUntilSynced() async {
        await gatewayInformer.waitForSync()
        await vmConfigurationInformer.waitForSync()
        await endpointInformer.waitForSync()
        await secretInformer.waitForSync()
    }

    /// Runs the informers, the controllers, the status writer and the periodic cleanup until
    /// cancelled.
    public func run() async {
        await withDiscardingTaskGroup { group in
            group.addTask { await self.gatewayInformer.run() }
            group.addTask { await self.vmConfigurationInformer.run() }
            group.addTask { await self.endpointInformer.run() }
            group.addTask { await self.secretInformer.run() }
            group.addTask { await self.gatewayController.run() }
            group.addTask { await self.peerController.run() }
            group.addTask { await self.status.run() }
            group.addTask { await self.tick() }
        }
    }

    /// Every interval: both cleanups (the empty key, as upstream) and a re-apply of every gateway.
    private func tick() async {
        await waitUntilSynced()
        while !Task.isCancelled {
            do {
                try await Task.sleep(for: configuration.cleanupInterval)
            } catch {
                return
            }
            gatewayController.queue.add(Self.cleanupKey)
            peerController.queue.add(Self.cleanupKey)
            for key in gatewayInformer.store.keys { gatewayController.queue.add(key) }
        }
    }

    /// The key of the periodic cleanups: no object has an empty name.
    static let cleanupKey = ObjectKey(namespace: "", name: "")
}

/// Lets the controllers' reconcile closures, made before the daemon is complete, call it. It is
/// set in `GatewayDaemon.init`, before any controller can run, and holds the daemon weakly so
/// that the controllers do not keep it alive.
private final class DaemonReference: Sendable {
    private struct Weak { weak var daemon: GatewayDaemon? }
    private let reference = Mutex(Weak())

    func set(_ daemon: GatewayDaemon) { reference.withLock { $0.daemon = daemon } }

    var daemon: GatewayDaemon? { reference.withLock { $0.daemon } }
}
