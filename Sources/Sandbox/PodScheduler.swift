import Foundation
import Kube

/// The Sandbox's scheduler: binds every pending Pod without a node to the worker with the fewest
/// pods, among the workers whose `NoSchedule` taints the pod tolerates (a worker tainted until
/// its cni-manager is ready takes no pods before). The emulator has no binding subresource, so
/// the binding is an update of `spec.nodeName`.
public actor PodScheduler {
    private let pods: ResourceClient<Pod>
    private let nodes: ResourceClient<Node>
    private let workers: [String]

    public init(client: KubeClient, workers: [String]) {
        pods = client.resource(Pod.self, namespace: nil)
        nodes = client.resource(Node.self)
        self.workers = workers.sorted()
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
            var binding = pod
            binding.spec.nodeName = chosen
            do {
                _ = try await pods.namespace(pod.metadata.namespace).update(binding)
            } catch {
                // A conflict means the pod changed meanwhile; the next pass sees the new version.
                if error.isConflict || error.isNotFound { continue }
                throw .step("bind pod \(pod.metadata.namespace)/\(pod.metadata.name) to \(chosen)", cause: error)
            }
            load[chosen, default: 0] += 1
            bound["\(pod.metadata.namespace)/\(pod.metadata.name)"] = chosen
        }
        return bound
    }

    /// Schedules on every pod or node change until cancelled.
    public func run(retryAfter: Duration = .seconds(1)) async {
        while !Task.isCancelled {
            do {
                try await reconcile()
                for try await _ in try await pods.watch(WatchOptions()) { try await reconcile() }
            } catch {
                try? await Task.sleep(for: retryAfter)
            }
        }
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
