import Foundation
import Kube
import Logging

/// The Sandbox's scheduler: binds every pending Pod without a node to the worker with the fewest
/// pods, among the workers whose `NoSchedule` taints the pod tolerates (a worker tainted until
/// its cni-manager is ready takes no pods before). It reads through the API; `bind` writes the
/// binding (the API server's: `spec.nodeName` is otherwise immutable).
public actor PodScheduler {
    /// Binds pod `namespace/name` to `node`.
    public typealias Bind = @Sendable (_ namespace: String, _ name: String, _ node: String) throws -> Void

    private let pods: ResourceClient<Pod>
    private let nodes: ResourceClient<Node>
    private let workers: [String]
    private let bind: Bind

    public init(client: KubeClient, workers: [String], bind: @escaping Bind) {
        pods = client.resource(Pod.self, namespace: nil)
        nodes = client.resource(Node.self)
        self.workers = workers.sorted()
        self.bind = bind
    }

    /// One pass; returns the pods bound (`namespace/name` → node).
    @discardableResult
    public func reconcile() async throws(SandboxError) -> [String: String] {
        let listed: [Pod]
        let nodeObjects: [Node]
        do {
            listed = try await pods.list().items
            nodeObjects = try await nodes.list().items
        } catch {
            throw .step("list pods and nodes", cause: error)
        }
        var load = Dictionary(uniqueKeysWithValues: workers.map { ($0, 0) })
        for pod in listed where load[pod.spec.nodeName] != nil { load[pod.spec.nodeName, default: 0] += 1 }
        var bound: [String: String] = [:]
        for pod in listed.sorted(by: { $0.metadata.name < $1.metadata.name })
        where pod.spec.nodeName.isEmpty && !pod.metadata.isBeingDeleted {
            let feasible = workers.filter { name in
                let taints = nodeObjects.first { $0.metadata.name == name }?.spec.taints ?? []
                return taints.allSatisfy { $0.effect != "NoSchedule" || Self.tolerates(pod, $0) }
            }
            guard let chosen = feasible.min(by: { (load[$0] ?? 0, $0) < (load[$1] ?? 0, $1) }) else { continue }
            do {
                try bind(pod.metadata.namespace, pod.metadata.name, chosen)
            } catch {
                // Bound or deleted meanwhile: the next pass sees it.
                continue
            }
            load[chosen, default: 0] += 1
            bound["\(pod.metadata.namespace)/\(pod.metadata.name)"] = chosen
        }
        return bound
    }

    /// Schedules on every pod or node change (a node losing its taint) until cancelled.
    public func run(retryAfter: Duration = .seconds(1), logger: Logger) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.follow(self.pods, retryAfter: retryAfter, logger: logger) }
            group.addTask { await self.follow(self.nodes, retryAfter: retryAfter, logger: logger) }
        }
    }

    private func follow<Object: KubernetesObject>(_ resource: ResourceClient<Object>, retryAfter: Duration, logger: Logger) async {
        while !Task.isCancelled {
            do {
                try await pass(logger)
                for try await _ in try await resource.watch(WatchOptions()) { try await pass(logger) }
            } catch {
                if !Task.isCancelled { logger.warning("scheduler pass failed, retrying: \(error)") }
                try? await Task.sleep(for: retryAfter)
            }
        }
    }

    private func pass(_ logger: Logger) async throws(SandboxError) {
        for (pod, node) in try await reconcile().sorted(by: { $0.key < $1.key }) { logger.info("scheduled pod \(pod) to \(node)") }
    }

    /// Whether one of the pod's tolerations matches `taint` (the toleration model is not typed: read from the spec).
    static func tolerates(_ pod: Pod, _ taint: Taint) -> Bool {
        (pod.spec.unknownFields["tolerations"]?.arrayValue ?? []).contains { toleration in
            let key = toleration["key"]?.stringValue ?? ""
            let exists = toleration["operator"]?.stringValue == "Exists"
            let effect = toleration["effect"]?.stringValue ?? ""
            return (key.isEmpty && exists || key == taint.key)
                && (exists || (toleration["value"]?.stringValue ?? "") == taint.value)
                && (effect.isEmpty || effect == taint.effect)
        }
    }
}
