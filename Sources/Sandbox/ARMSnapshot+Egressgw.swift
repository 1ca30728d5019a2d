import ARMEmulator

extension ARMSnapshot {
    /// The prefix of every name egressgw gives an Azure resource or child (ipconfigs, the managed prefix, public IPs).
    public static let managedNamePrefix = "egressgateway-"

    /// What egressgw made in Azure and has not removed, one line per object naming its ID, for the "delete
    /// everything" check: the gateway load balancer and its children, `egressgateway-` ipconfigs on scale-set
    /// models, instances and NICs, backend-pool references to the gateway load balancer, managed public IP
    /// prefixes, and public IPs named by or drawn from them. Empty once an uninstall has cleaned up.
    public func egressgwResources(loadBalancerName: String = SandboxCloud.loadBalancerName) -> [String] {
        var found: [String] = []
        func managed(_ value: ARMValue) -> Bool { value["name"]?.stringValue?.lowercased().hasPrefix(Self.managedNamePrefix) == true }
        func id(_ value: ARMValue) -> String { value["id"]?.stringValue ?? value["name"]?.stringValue ?? "?" }

        var gatewayPools = Set<String>()
        for balancer in loadBalancers where balancer["name"]?.stringValue?.caseInsensitiveCompare(loadBalancerName) == .orderedSame {
            found.append("load balancer \(id(balancer))")
            for key in ["frontendIPConfigurations", "backendAddressPools", "loadBalancingRules", "probes"] {
                for child in balancer.children(key) { found.append("load balancer child \(id(child))") }
            }
            gatewayPools.formUnion(balancer.children("backendAddressPools").compactMap(\.lowercasedID))
        }
        let loadBalancerPath = "/providers/microsoft.network/loadbalancers/\(loadBalancerName.lowercased())/"

        func ipConfigurations(_ configurations: [ARMValue], of owner: String) {
            for configuration in configurations {
                if managed(configuration) { found.append("ipconfig \(configuration["name"]?.stringValue ?? "") of \(owner)") }
                for pool in configuration.children("loadBalancerBackendAddressPools") {
                    guard let poolID = pool.lowercasedID, gatewayPools.contains(poolID) || poolID.contains(loadBalancerPath) else { continue }
                    found.append("backend pool reference \(pool["id"]?.stringValue ?? "") on ipconfig "
                        + "\(configuration["name"]?.stringValue ?? "") of \(owner)")
                }
            }
        }
        for scaleSet in scaleSets {
            let nics = scaleSet[path: "properties", "virtualMachineProfile", "networkProfile", "networkInterfaceConfigurations"]?.arrayValue ?? []
            for nic in nics { ipConfigurations(nic.children("ipConfigurations"), of: "scale-set model \(id(scaleSet))") }
        }
        for instance in scaleSetInstances {
            let nics = instance[path: "properties", "networkProfileConfiguration", "networkInterfaceConfigurations"]?.arrayValue ?? []
            for nic in nics { ipConfigurations(nic.children("ipConfigurations"), of: "instance \(id(instance))") }
        }
        for nic in networkInterfaces { ipConfigurations(nic.children("ipConfigurations"), of: "NIC \(id(nic))") }

        let managedPrefixes = Set(publicIPPrefixes.filter(managed).compactMap(\.lowercasedID))
        for prefix in publicIPPrefixes where managed(prefix) { found.append("public IP prefix \(id(prefix))") }
        for address in publicIPAddresses {
            let prefix = address[path: "properties", "publicIPPrefix"]?.lowercasedID
            if managed(address) || prefix.map(managedPrefixes.contains) == true { found.append("public IP \(id(address))") }
        }
        return found
    }
}
