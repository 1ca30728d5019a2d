import Kube
import Logging
import ServiceLifecycle

/// Removes the node's `egressgateway.kubernetes.azure.com/cni-not-ready` taint once our conflist
/// is in place (upstream-cni §3.7), so pods are scheduled on the node only when they can be chained.
///
/// It reacts to the node (an informer on this node alone) and to the conflist being written,
/// where upstream waited for the next node event. The taint is AKS's; this never adds it.
public struct NodeTaintRemover: Service {
    public static let taintKey = "egressgateway.kubernetes.azure.com/cni-not-ready"

    let nodes: ResourceClient<Node>
    let nodeName: String
    let isReady: @Sendable () -> Bool
    let metrics: ManagerMetrics
    let logger: Logger
    private let triggers: AsyncStream<Void>
    private let trigger: AsyncStream<Void>.Continuation

    public init(client: KubeClient, nodeName: String, metrics: ManagerMetrics = ManagerMetrics(), logger: Logger,
                isReady: @escaping @Sendable () -> Bool) {
        nodes = client.resource(Node.self)
        self.nodeName = nodeName
        self.isReady = isReady
        self.metrics = metrics
        self.logger = logger
        (triggers, trigger) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
    }

    /// Asks for a check soon (the conflist was written).
    public func poke() { trigger.yield() }

    public func run() async throws {
        let informer = Informer(nodes, configuration: Informer.Configuration(fieldSelector: "metadata.name=\(nodeName)"),
                                logger: logger)
        let trigger = trigger
        informer.addHandler(InformerHandler(onAdd: { _ in trigger.yield() }, onUpdate: { _, _ in trigger.yield() }))
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await informer.run() }
            group.addTask {
                for await _ in triggers.cancelOnGracefulShutdown() { await reconcile() }
            }
            await group.next()
            group.cancelAll()
        }
    }

    /// Removes the taint if the node has it and the conflist is ready; a conflict reads the node
    /// again (upstream re-sent the same stale object, which could never succeed).
    public func reconcile() async {
        for _ in 0..<5 {
            let node: Node
            do {
                node = try await nodes.get(nodeName)
            } catch {
                metrics.nodeTaintFailure(node: nodeName)
                logger.warning("cannot read node \(nodeName): \(error)")
                return
            }
            guard node.spec.taints.contains(where: { $0.key == Self.taintKey }) else { return }
            guard isReady() else {
                logger.info("node \(nodeName) keeps taint \(Self.taintKey): the conflist is not written yet")
                return
            }
            var untainted = node
            untainted.spec.taints.removeAll { $0.key == Self.taintKey }
            do {
                _ = try await nodes.update(untainted)
                logger.info("removed taint \(Self.taintKey) from node \(nodeName)")
                return
            } catch where error.isConflict {
                continue
            } catch {
                metrics.nodeTaintFailure(node: nodeName)
                logger.warning("cannot remove taint \(Self.taintKey) from node \(nodeName): \(error)")
                return
            }
        }
        metrics.nodeTaintFailure(node: nodeName)
    }
}
