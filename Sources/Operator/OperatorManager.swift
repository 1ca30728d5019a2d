import EgressGatewayAPI
import Kube
import Logging
import Metrics

/// The operator's controllers over shared informers, as one unit that runs until its task is cancelled (the
/// leader's term). One worker per controller, as in Go: the load balancer is written read-modify-write, and one
/// writer at a time keeps that safe.
public final class OperatorManager: Sendable {
    public let sgcInformer: Informer<StaticGatewayConfiguration>
    public let lbInformer: Informer<GatewayLBConfiguration>
    public let secretInformer: Informer<Secret>
    public let vmInformer: Informer<GatewayVMConfiguration>
    public let sgcController: Controller<StaticGatewayConfiguration>
    /// The Azure-facing controllers; nil without a fabric (then only the SGC controller runs).
    public let lbController: Controller<GatewayLBConfiguration>?
    public let vmController: Controller<GatewayVMConfiguration>?
    public let nodeInformer: Informer<Node>

    /// - Parameters:
    ///   - metricsFactory: where the reconcile metrics go; nil for the process-wide metrics system.
    public init(client: KubeClient, settings: OperatorSettings, fabric: (any GatewayFabric)? = nil,
                metricsFactory: (any MetricsFactory)? = nil,
                informerConfiguration: Informer<StaticGatewayConfiguration>.Configuration = .init(),
                logger: Logger = Logger(label: "egressgw.operator")) {
        let watchTimeout = informerConfiguration.watchTimeout
        sgcInformer = Informer(client.resource(StaticGatewayConfiguration.self),
                               configuration: informerConfiguration, logger: logger)
        lbInformer = Informer(client.resource(GatewayLBConfiguration.self),
                              configuration: .init(watchTimeout: watchTimeout), logger: logger)
        vmInformer = Informer(client.resource(GatewayVMConfiguration.self),
                              configuration: .init(watchTimeout: watchTimeout), logger: logger)
        nodeInformer = Informer(client.resource(Node.self), configuration: .init(watchTimeout: watchTimeout),
                                logger: logger)
        // Only the labelled key Secrets of the secret namespace: the Go operator caches every Secret of the cluster.
        secretInformer = Informer(
            client.resource(Secret.self, namespace: settings.secretNamespace),
            configuration: .init(labelSelector: EgressGateway.SecretLabel.owningGatewayConfigName,
                                 watchTimeout: watchTimeout),
            logger: logger)
        let metrics = ReconcileMetrics(podNamespace: settings.podNamespace, factory: metricsFactory)
        let sgcReconciler = StaticGatewayConfigurationReconciler(
            client: client, settings: settings, sgcs: sgcInformer.store, lbConfigurations: lbInformer.store,
            secrets: secretInformer.store,
            events: EventRecorder(client: client, component: StaticGatewayConfigurationReconciler.component),
            metrics: metrics, logger: logger)
        sgcController = Controller(name: "staticgatewayconfiguration", informer: sgcInformer, logger: logger) { key in
            try await sgcReconciler.reconcile(key)
        }
        sgcController.watchOwned(lbInformer, ownerKind: StaticGatewayConfiguration.resource.kind)
        sgcController.watch(secretInformer) { secret in KeySecret.owner(of: secret).map { [$0] } ?? [] }

        if let fabric {
            let lbReconciler = GatewayLBConfigurationReconciler(
                client: client, settings: settings, fabric: fabric, sgcs: sgcInformer.store,
                lbConfigurations: lbInformer.store, vmConfigurations: vmInformer.store,
                events: EventRecorder(client: client, component: GatewayLBConfigurationReconciler.component),
                metrics: metrics, logger: logger)
            let lbController = Controller(name: "gatewaylbconfiguration", informer: lbInformer, logger: logger) { key in
                try await lbReconciler.reconcile(key)
            }
            lbController.watchOwned(vmInformer, ownerKind: GatewayLBConfiguration.resource.kind)
            self.lbController = lbController

            let vmReconciler = GatewayVMConfigurationReconciler(
                client: client, settings: settings, fabric: fabric, sgcs: sgcInformer.store,
                vmConfigurations: vmInformer.store,
                events: EventRecorder(client: client, component: GatewayVMConfigurationReconciler.component),
                metrics: metrics, logger: logger)
            let vmController = Controller(name: "gatewayvmconfiguration", informer: vmInformer, logger: logger) { key in
                try await vmReconciler.reconcile(key)
            }
            // A gateway node that joins or leaves changes every configuration of its pool. Go ignores the leaving
            // node (its GET finds nothing, spec §8.2 item 11); here both enqueue without reading the node again.
            let store = vmInformer.store
            let queue = vmController.queue
            let enqueue: @Sendable (Node) -> Void = { node in
                guard GatewayNodes.isGateway(node) else { return }
                for key in GatewayNodes.configurations(affectedBy: node, among: store.list()) { queue.add(key) }
            }
            nodeInformer.addHandler(InformerHandler(onAdd: enqueue, onDelete: enqueue))
            self.vmController = vmController
        } else {
            lbController = nil
            vmController = nil
        }
    }

    /// Runs the informers and controllers until the calling task is cancelled.
    public func run() async {
        await withDiscardingTaskGroup { group in
            group.addTask { await self.sgcInformer.run() }
            group.addTask { await self.lbInformer.run() }
            group.addTask { await self.secretInformer.run() }
            group.addTask { await self.vmInformer.run() }
            group.addTask { await self.sgcController.run() }
            if let lbController = self.lbController { group.addTask { await lbController.run() } }
            if let vmController = self.vmController {
                group.addTask { await self.nodeInformer.run() }
                group.addTask { await vmController.run() }
            }
        }
    }
}

extension OperatorManager {
    /// The Lease the Go operator elects its leader on; sharing it means a Go and a Swift operator never act at once.
    public static let leaseName = "0a299682.microsoft.com"

    /// Runs the controllers while this replica leads (`election` nil: always, as with `--leader-elect=false`),
    /// until the calling task is cancelled. Losing the lease stops them and throws.
    public func run(election: LeaderElector?) async throws {
        guard let election else { return await run() }
        try await election.run { await self.run() }
    }
}
