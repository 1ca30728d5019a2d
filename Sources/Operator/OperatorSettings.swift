/// What the three controllers share: where the key Secrets live, the probe port written into the load balancer and
/// the Azure coordinates of the gateway fabric. The entry point fills it from flags and the cloud config.
public struct OperatorSettings: Sendable, Hashable {
    /// Namespace of the `sgw-<uid>` WireGuard key Secrets (`--secret-namespace`).
    public var secretNamespace: String
    /// The operator's own namespace; the `namespace` label of its metrics.
    public var podNamespace: String
    /// Port of the gateway daemon's probe server, written into each LB probe (`--gateway-lb-probe-port`).
    public var gatewayLBProbePort: Int32
    public var cloud: CloudTarget

    public init(secretNamespace: String, podNamespace: String, gatewayLBProbePort: Int32 = 8082,
                cloud: CloudTarget = CloudTarget()) {
        self.secretNamespace = secretNamespace
        self.podNamespace = podNamespace
        self.gatewayLBProbePort = gatewayLBProbePort
        self.cloud = cloud
    }
}

/// The Azure coordinates the operator works in, taken from the cloud config (spec §5.1), defaults applied.
public struct CloudTarget: Sendable, Hashable {
    public var subscriptionID: String
    /// The node resource group: VMSS, VMs, NICs, the managed prefixes and public IPs.
    public var resourceGroup: String
    public var location: String
    public var loadBalancerResourceGroup: String
    public var loadBalancerName: String
    public var vnetResourceGroup: String
    public var vnetName: String
    public var subnetName: String

    public init(subscriptionID: String = "", resourceGroup: String = "", location: String = "",
                loadBalancerResourceGroup: String = "", loadBalancerName: String = "",
                vnetResourceGroup: String = "", vnetName: String = "", subnetName: String = "") {
        self.subscriptionID = subscriptionID
        self.resourceGroup = resourceGroup
        self.location = location
        self.loadBalancerResourceGroup = loadBalancerResourceGroup.isEmpty ? resourceGroup : loadBalancerResourceGroup
        self.loadBalancerName = loadBalancerName.isEmpty ? "kubeegressgateway-ilb" : loadBalancerName
        self.vnetResourceGroup = vnetResourceGroup.isEmpty ? resourceGroup : vnetResourceGroup
        self.vnetName = vnetName
        self.subnetName = subnetName
    }

    /// ARM ID of the load balancer; child IDs append `/<collection>/<name>`. The subscription and group keep
    /// the case the cloud config gives, as the Go operator writes them.
    public var loadBalancerID: String {
        "/subscriptions/\(subscriptionID)/resourceGroups/\(loadBalancerResourceGroup)"
            + "/providers/Microsoft.Network/loadBalancers/\(loadBalancerName)"
    }

    public func frontendID(_ name: String) -> String { loadBalancerID + "/frontendIPConfigurations/" + name }
    public func backendID(_ name: String) -> String { loadBalancerID + "/backendAddressPools/" + name }
    public func probeID(_ name: String) -> String { loadBalancerID + "/probes/" + name }
    public func ruleID(_ name: String) -> String { loadBalancerID + "/loadBalancingRules/" + name }

    /// ARM ID of the managed public IP prefix `name` (in the node resource group).
    public func publicIPPrefixID(_ name: String) -> String {
        "/subscriptions/\(subscriptionID)/resourceGroups/\(resourceGroup)/providers/Microsoft.Network/publicIPPrefixes/\(name)"
    }
}
