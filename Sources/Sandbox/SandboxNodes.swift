import Kube

extension SandboxCloud {
    /// The label and taint that make a node a gateway node (spec: the daemon's nodeSelector and toleration,
    /// and the operator's node trigger).
    public static let gatewayModeLabel = "kubeegressgateway.azure.com/mode"

    /// The Kubernetes Node object of every node of the layout, as AKS registers them: named by the instance's
    /// computer name, `spec.providerID` naming the scale-set instance, the InternalIP, the agent-pool labels;
    /// gateway nodes labelled and tainted `kubeegressgateway.azure.com/mode=true` (NoSchedule).
    public var nodeObjects: [Node] { layout.nodes.map(nodeObject) }

    public func nodeObject(_ node: NodeLayout) -> Node {
        let pool = pool(of: node)
        var labels = [
            "kubernetes.io/hostname": node.name,
            "kubernetes.io/os": "linux",
            "kubernetes.io/arch": "amd64",
            "kubernetes.azure.com/agentpool": pool,
            "agentpool": pool,
            "kubernetes.azure.com/mode": node.role == .gateway ? "user" : "system",
            "kubernetes.azure.com/role": "agent",
            "kubernetes.azure.com/cluster": Self.resourceGroup,
            "node.kubernetes.io/instance-type": Self.vmSize,
            "topology.kubernetes.io/region": Self.location,
            "topology.kubernetes.io/zone": "0",
        ]
        var taints: [Taint] = []
        if node.role == .gateway {
            labels[Self.gatewayModeLabel] = "true"
            taints.append(Taint(key: Self.gatewayModeLabel, value: "true", effect: "NoSchedule"))
        }
        var spec = NodeSpec(providerID: providerID(of: node), taints: taints)
        if let podCIDR = node.podCIDR {
            spec.unknownFields["podCIDR"] = .string(podCIDR.description)
            spec.unknownFields["podCIDRs"] = .array([.string(podCIDR.description)])
        }
        var status = NodeStatus(addresses: [
            NodeAddress(type: "InternalIP", address: node.primaryIP.description),
            NodeAddress(type: "Hostname", address: node.name),
        ])
        // kubectl shows a node without a Ready condition as NotReady.
        status.unknownFields["conditions"] = .array([.object([
            "type": .string("Ready"), "status": .string("True"), "reason": .string("KubeletReady"),
            "message": .string("sandbox node \(node.namespace)"),
        ])])
        return Node(metadata: ObjectMeta(name: node.name, labels: labels), spec: spec, status: status)
    }
}
