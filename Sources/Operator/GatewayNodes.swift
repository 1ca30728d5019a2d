import EgressGatewayAPI
import Kube

/// Which Nodes are gateway nodes, and which VM configurations a gateway node's arrival or departure concerns
/// (spec §4.2).
enum GatewayNodes {
    static func isGateway(_ node: Node) -> Bool {
        let labels = node.metadata.labels
        return labels["kubernetes.azure.com/mode"]?.lowercased() == "gateway"
            || labels["kubeegressgateway.azure.com/mode"]?.lowercased() == "true"
    }

    /// The configurations to reconcile: all not being deleted, except those naming another node pool than the
    /// node's `kubernetes.azure.com/agentpool` label.
    static func configurations(affectedBy node: Node, among all: [GatewayVMConfiguration]) -> [ObjectKey] {
        let agentPool = node.metadata.labels["kubernetes.azure.com/agentpool"]
        return all.filter { configuration in
            guard !configuration.metadata.isBeingDeleted else { return false }
            guard let agentPool, !configuration.spec.gatewayNodepoolName.isEmpty else { return true }
            return configuration.spec.gatewayNodepoolName.lowercased() == agentPool.lowercased()
        }.map(\.objectKey)
    }
}
