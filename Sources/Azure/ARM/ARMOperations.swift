/// The api-versions of the Go operator's pinned SDKs (§5.3), so both send and read the same schemas.
public enum ARMAPIVersion {
    public static let network = "2025-05-01"
    public static let compute = "2025-04-01"
    /// Scale-set instance NICs are only served by this older Compute api-version.
    public static let vmssNetworkInterface = "2018-10-01"
}

/// The typed operations the operator calls (§5.3). Resource groups and names come from the caller; the
/// subscription is the client's. Every PUT of a resource that was read first sends its ETag as `If-Match`, so two
/// writers cannot silently overwrite each other (the Go operator sends none).
extension ARMClient {
    private func path(_ resourceGroup: String, _ provider: String, _ rest: String) -> String {
        "\(subscriptionPath)/resourceGroups/\(resourceGroup)/providers/\(provider)/\(rest)"
    }

    private func decode<T: ARMObject>(_ json: AzureJSON) -> T { T(json: json) }

    // MARK: Load balancers

    public func loadBalancer(resourceGroup: String, name: String) async throws(ARMError) -> LoadBalancer {
        decode(try await get(path(resourceGroup, "Microsoft.Network", "loadBalancers/\(name)"), apiVersion: ARMAPIVersion.network))
    }

    /// Creates the load balancer, or replaces it with `loadBalancer` (full body) if it was read with an ETag.
    public func createOrUpdate(_ loadBalancer: LoadBalancer, resourceGroup: String) async throws(ARMError) -> LoadBalancer {
        let name = loadBalancer.name ?? ""
        return decode(try await put(path(resourceGroup, "Microsoft.Network", "loadBalancers/\(name)"),
                                    apiVersion: ARMAPIVersion.network, body: loadBalancer.json, ifMatch: loadBalancer.etag))
    }

    public func deleteLoadBalancer(resourceGroup: String, name: String) async throws(ARMError) {
        try await delete(path(resourceGroup, "Microsoft.Network", "loadBalancers/\(name)"), apiVersion: ARMAPIVersion.network)
    }

    // MARK: Subnets

    public func subnet(resourceGroup: String, virtualNetwork: String, name: String) async throws(ARMError) -> Subnet {
        decode(try await get(path(resourceGroup, "Microsoft.Network", "virtualNetworks/\(virtualNetwork)/subnets/\(name)"),
                             apiVersion: ARMAPIVersion.network))
    }

    // MARK: Scale sets

    public func virtualMachineScaleSets(resourceGroup: String) async throws(ARMError) -> [VirtualMachineScaleSet] {
        try await list(path(resourceGroup, "Microsoft.Compute", "virtualMachineScaleSets"), apiVersion: ARMAPIVersion.compute)
            .map(VirtualMachineScaleSet.init(json:))
    }

    public func virtualMachineScaleSet(resourceGroup: String, name: String) async throws(ARMError) -> VirtualMachineScaleSet {
        decode(try await get(path(resourceGroup, "Microsoft.Compute", "virtualMachineScaleSets/\(name)"), apiVersion: ARMAPIVersion.compute))
    }

    /// PUTs the scale set's network profile with the partial body of §4.5, conditional on the ETag it was read with.
    public func updateNetworkProfile(of scaleSet: VirtualMachineScaleSet, resourceGroup: String) async throws(ARMError)
        -> VirtualMachineScaleSet
    {
        decode(try await put(path(resourceGroup, "Microsoft.Compute", "virtualMachineScaleSets/\(scaleSet.name ?? "")"),
                             apiVersion: ARMAPIVersion.compute, body: scaleSet.networkProfileUpdate(), ifMatch: scaleSet.etag))
    }

    public func virtualMachineScaleSetVMs(resourceGroup: String, scaleSet: String) async throws(ARMError) -> [VirtualMachineScaleSetVM] {
        try await list(path(resourceGroup, "Microsoft.Compute", "virtualMachineScaleSets/\(scaleSet)/virtualMachines"),
                       apiVersion: ARMAPIVersion.compute).map(VirtualMachineScaleSetVM.init(json:))
    }

    /// PUTs an instance's NIC configurations with the partial body of §4.5, conditional on its ETag.
    public func updateNetworkConfiguration(of instance: VirtualMachineScaleSetVM, resourceGroup: String, scaleSet: String)
        async throws(ARMError) -> VirtualMachineScaleSetVM
    {
        let id = instance.instanceID ?? ""
        return decode(try await put(path(resourceGroup, "Microsoft.Compute", "virtualMachineScaleSets/\(scaleSet)/virtualMachines/\(id)"),
                                    apiVersion: ARMAPIVersion.compute, body: instance.networkConfigurationUpdate(), ifMatch: instance.etag))
    }

    /// An instance's NIC, by its NIC configuration name. The Go SDK writes the provider as `microsoft.Compute`;
    /// ARM matches it case-insensitively, and the same path keeps request logs comparable.
    public func virtualMachineScaleSetVMNetworkInterface(resourceGroup: String, scaleSet: String, instanceID: String, name: String)
        async throws(ARMError) -> NetworkInterface
    {
        decode(try await get(
            path(resourceGroup, "microsoft.Compute", "virtualMachineScaleSets/\(scaleSet)/virtualMachines/\(instanceID)/networkInterfaces/\(name)"),
            apiVersion: ARMAPIVersion.vmssNetworkInterface))
    }

    // MARK: Virtual machines and NICs

    public func virtualMachines(resourceGroup: String) async throws(ARMError) -> [VirtualMachine] {
        try await list(path(resourceGroup, "Microsoft.Compute", "virtualMachines"), apiVersion: ARMAPIVersion.compute)
            .map(VirtualMachine.init(json:))
    }

    public func virtualMachine(resourceGroup: String, name: String) async throws(ARMError) -> VirtualMachine {
        decode(try await get(path(resourceGroup, "Microsoft.Compute", "virtualMachines/\(name)"), apiVersion: ARMAPIVersion.compute))
    }

    public func networkInterfaces(resourceGroup: String) async throws(ARMError) -> [NetworkInterface] {
        try await list(path(resourceGroup, "Microsoft.Network", "networkInterfaces"), apiVersion: ARMAPIVersion.network)
            .map(NetworkInterface.init(json:))
    }

    public func networkInterface(resourceGroup: String, name: String) async throws(ARMError) -> NetworkInterface {
        decode(try await get(path(resourceGroup, "Microsoft.Network", "networkInterfaces/\(name)"), apiVersion: ARMAPIVersion.network))
    }

    /// PUTs the whole NIC as read and modified, conditional on its ETag.
    public func createOrUpdate(_ networkInterface: NetworkInterface, resourceGroup: String) async throws(ARMError) -> NetworkInterface {
        decode(try await put(path(resourceGroup, "Microsoft.Network", "networkInterfaces/\(networkInterface.name ?? "")"),
                             apiVersion: ARMAPIVersion.network, body: networkInterface.json, ifMatch: networkInterface.etag))
    }

    // MARK: Public IP prefixes and addresses

    public func publicIPPrefix(resourceGroup: String, name: String) async throws(ARMError) -> PublicIPPrefix {
        decode(try await get(path(resourceGroup, "Microsoft.Network", "publicIPPrefixes/\(name)"), apiVersion: ARMAPIVersion.network))
    }

    public func createOrUpdate(_ prefix: PublicIPPrefix, resourceGroup: String) async throws(ARMError) -> PublicIPPrefix {
        decode(try await put(path(resourceGroup, "Microsoft.Network", "publicIPPrefixes/\(prefix.name ?? "")"),
                             apiVersion: ARMAPIVersion.network, body: prefix.json, ifMatch: prefix.etag))
    }

    public func deletePublicIPPrefix(resourceGroup: String, name: String) async throws(ARMError) {
        try await delete(path(resourceGroup, "Microsoft.Network", "publicIPPrefixes/\(name)"), apiVersion: ARMAPIVersion.network)
    }

    public func publicIPAddress(resourceGroup: String, name: String) async throws(ARMError) -> PublicIPAddress {
        decode(try await get(path(resourceGroup, "Microsoft.Network", "publicIPAddresses/\(name)"), apiVersion: ARMAPIVersion.network))
    }

    public func createOrUpdate(_ address: PublicIPAddress, resourceGroup: String) async throws(ARMError) -> PublicIPAddress {
        decode(try await put(path(resourceGroup, "Microsoft.Network", "publicIPAddresses/\(address.name ?? "")"),
                             apiVersion: ARMAPIVersion.network, body: address.json, ifMatch: address.etag))
    }

    public func deletePublicIPAddress(resourceGroup: String, name: String) async throws(ARMError) {
        try await delete(path(resourceGroup, "Microsoft.Network", "publicIPAddresses/\(name)"), apiVersion: ARMAPIVersion.network)
    }
}
