import Azure
import Synchronization

/// `GatewayFabric` over Azure Resource Manager. The operator's models name only the members it reads and writes;
/// this fabric keeps the JSON of the last read of each resource and writes a changed view back into that JSON, so
/// every member ARM added (or another tool set) survives the PUT, and the PUT carries the read's ETag as `If-Match`.
///
/// A 412 (another writer changed the resource since the read) drops the kept copy and fails the pass: the
/// controller requeues at once, reads again and recomputes, rather than retrying a stale body. Throttling (429,
/// or a 503 the client gave up on) fails the pass the same way, requeued after ARM's `Retry-After`.
public final class AzureGatewayFabric: GatewayFabric {
    let arm: ARMClient
    let cloud: CloudTarget
    /// The last read of each resource, by lowercased ARM path, with its ETag.
    private let reads = Mutex<[String: AzureJSON]>([:])

    public init(arm: ARMClient, cloud: CloudTarget) {
        self.arm = arm
        self.cloud = cloud
    }

    // MARK: Load balancer

    public func loadBalancer() async throws -> LoadBalancer? {
        guard let read = try await call({ () async throws(ARMError) in
            try await arm.loadBalancer(resourceGroup: cloud.loadBalancerResourceGroup, name: cloud.loadBalancerName)
        }) else {
            forget(cloud.loadBalancerID)
            return nil
        }
        remember(cloud.loadBalancerID, read.json)
        return LoadBalancer(arm: read.json)
    }

    public func putLoadBalancer(_ loadBalancer: LoadBalancer) async throws -> LoadBalancer {
        let base = kept(cloud.loadBalancerID)
            ?? Azure.LoadBalancer(name: loadBalancer.name, location: cloud.location).json
        let body = Azure.LoadBalancer(json: loadBalancer.merged(into: base))
        let stored = try await write(cloud.loadBalancerID) { () async throws(ARMError) in
            try await arm.createOrUpdate(body, resourceGroup: cloud.loadBalancerResourceGroup)
        }
        return LoadBalancer(arm: stored.json)
    }

    public func deleteLoadBalancer() async throws {
        forget(cloud.loadBalancerID)
        _ = try await call({ () async throws(ARMError) in
            try await arm.deleteLoadBalancer(resourceGroup: cloud.loadBalancerResourceGroup, name: cloud.loadBalancerName)
        })
    }

    public func frontendSubnetID() async throws -> String {
        let subnet = try await call({ () async throws(ARMError) in
            try await arm.subnet(resourceGroup: cloud.vnetResourceGroup, virtualNetwork: cloud.vnetName, name: cloud.subnetName)
        })
        guard let id = subnet?.id else {
            throw OperatorError.fabric("subnet \(cloud.subnetName) of virtual network \(cloud.vnetName) "
                                       + "(resource group \(cloud.vnetResourceGroup)) not found")
        }
        return id
    }

    // MARK: Pools

    public func scaleSets() async throws -> [ScaleSetSummary] {
        try await call({ () async throws(ARMError) in try await arm.virtualMachineScaleSets(resourceGroup: cloud.resourceGroup) })?
            .map { summary(of: $0, resourceGroup: cloud.resourceGroup) } ?? []
    }

    public func virtualMachines() async throws -> [VirtualMachineSummary] {
        try await call({ () async throws(ARMError) in try await arm.virtualMachines(resourceGroup: cloud.resourceGroup) })?
            .map { VirtualMachineSummary(name: $0.name ?? "", tags: $0.tags) } ?? []
    }

    public func scaleSet(resourceGroup: String, name: String) async throws -> ScaleSetSummary? {
        try await call({ () async throws(ARMError) in try await arm.virtualMachineScaleSet(resourceGroup: resourceGroup, name: name) })
            .map { summary(of: $0, resourceGroup: resourceGroup) }
    }

    private func summary(of scaleSet: VirtualMachineScaleSet, resourceGroup: String) -> ScaleSetSummary {
        ScaleSetSummary(resourceGroup: resourceGroup, name: scaleSet.name ?? "", uniqueID: scaleSet.uniqueID ?? "",
                        tags: scaleSet.tags)
    }

    // MARK: Scale-set network profiles

    public func scaleSetInterfaces(resourceGroup: String, name: String) async throws -> [NetworkInterfaceConfiguration]? {
        guard let scaleSet = try await call({ () async throws(ARMError) in
            try await arm.virtualMachineScaleSet(resourceGroup: resourceGroup, name: name)
        }) else {
            throw OperatorError.fabric("vmss \(name) in resource group \(resourceGroup) not found")
        }
        remember(scaleSetKey(resourceGroup, name), scaleSet.json)
        return scaleSet.networkProfile.map { $0.networkInterfaceConfigurations.map(NetworkInterfaceConfiguration.init(arm:)) }
    }

    public func putScaleSetInterfaces(resourceGroup: String, name: String,
                                      _ interfaces: [NetworkInterfaceConfiguration]) async throws {
        let key = scaleSetKey(resourceGroup, name)
        var scaleSet = try await keptOrRead(key) { () async throws(ARMError) in
            try await arm.virtualMachineScaleSet(resourceGroup: resourceGroup, name: name).json
        }.map(VirtualMachineScaleSet.init(json:))
        guard var profile = scaleSet?.networkProfile else {
            throw OperatorError.fabric("vmss(\(name)) has empty network profile")
        }
        profile.networkInterfaceConfigurations = interfaces.merged(into: profile.networkInterfaceConfigurations)
        scaleSet?.networkProfile = profile
        guard let body = scaleSet else { return }
        _ = try await write(key) { () async throws(ARMError) in
            try await arm.updateNetworkProfile(of: body, resourceGroup: resourceGroup)
        }
    }

    public func scaleSetInstances(resourceGroup: String, name: String) async throws -> [ScaleSetInstance] {
        let instances = try await call({ () async throws(ARMError) in
            try await arm.virtualMachineScaleSetVMs(resourceGroup: resourceGroup, scaleSet: name)
        }) ?? []
        var result: [ScaleSetInstance] = []
        for instance in instances {
            remember(instanceKey(resourceGroup, name, instance.instanceID ?? ""), instance.json)
            result.append(try await scaleSetInstance(instance, resourceGroup: resourceGroup, scaleSet: name))
        }
        return result
    }

    public func putScaleSetInstanceInterfaces(resourceGroup: String, name: String, instanceID: String,
                                              _ interfaces: [NetworkInterfaceConfiguration]) async throws -> ScaleSetInstance {
        let key = instanceKey(resourceGroup, name, instanceID)
        let base = try await keptOrRead(key) { () async throws(ARMError) in
            guard let found = try await arm.virtualMachineScaleSetVMs(resourceGroup: resourceGroup, scaleSet: name)
                .first(where: { $0.instanceID == instanceID })
            else { throw .response(method: "GET", url: "vmss \(name) instance \(instanceID)", status: 404, code: "NotFound", message: "") }
            return found.json
        }
        guard var instance = base.map(VirtualMachineScaleSetVM.init(json:)) else {
            throw OperatorError.fabric("vmss vm(\(instanceID)) of vmss \(name) not found")
        }
        instance.networkInterfaceConfigurations = interfaces.merged(into: instance.networkInterfaceConfigurations ?? [])
        let body = instance
        let stored = try await write(key) { () async throws(ARMError) in
            try await arm.updateNetworkConfiguration(of: body, resourceGroup: resourceGroup, scaleSet: name)
        }
        return try await scaleSetInstance(stored, resourceGroup: resourceGroup, scaleSet: name)
    }

    /// The instance as the VM controller sees it, with the private IPs its primary NIC has now.
    private func scaleSetInstance(_ instance: VirtualMachineScaleSetVM, resourceGroup: String, scaleSet: String)
        async throws -> ScaleSetInstance
    {
        let interfaces = (instance.networkInterfaceConfigurations ?? []).map(NetworkInterfaceConfiguration.init(arm:))
        var privateIPs: [String: String] = [:]
        if let primary = interfaces.first(where: \.primary), let id = instance.instanceID {
            let nic = try await call({ () async throws(ARMError) in
                try await arm.virtualMachineScaleSetVMNetworkInterface(
                    resourceGroup: resourceGroup, scaleSet: scaleSet, instanceID: id, name: primary.name)
            })
            for ipconfig in nic?.ipConfigurations ?? [] {
                if let name = ipconfig.name, let address = ipconfig.privateIPAddress { privateIPs[name] = address }
            }
        }
        return ScaleSetInstance(instanceID: instance.instanceID ?? "",
                                computerName: instance.hasOSProfile ? instance.computerName : nil,
                                provisioningState: instance.provisioningState, interfaces: interfaces,
                                privateIPs: privateIPs)
    }

    // MARK: VM-pool NICs and their public IPs

    public func gatewayNetworkInterfaces(nodepoolName: String) async throws -> [GatewayNetworkInterface] {
        let nics = try await call({ () async throws(ARMError) in
            try await arm.networkInterfaces(resourceGroup: cloud.resourceGroup)
        }) ?? []
        return nics.filter { nic in
            nic.tags[Self.staticGatewayNICTag] != nil && nodepoolName.equalFold(nic.tags[GatewayPoolResolver.poolNameTag])
        }.map { nic in
            remember(nic.id ?? "", nic.json)
            return GatewayNetworkInterface(arm: nic)
        }
    }

    public func putGatewayNetworkInterface(_ nic: GatewayNetworkInterface) async throws -> GatewayNetworkInterface {
        guard let base = kept(nic.id) else { throw OperatorError.fabric("nic(\(nic.id)) was not read before its update") }
        let body = NetworkInterface(json: nic.configuration.mergedIPConfigurations(into: base))
        let stored = try await write(nic.id) { () async throws(ARMError) in
            try await arm.createOrUpdate(body, resourceGroup: cloud.resourceGroup)
        }
        return GatewayNetworkInterface(arm: stored)
    }

    public func publicIPAddress(name: String) async throws -> PublicIPAddressSummary? {
        try await call({ () async throws(ARMError) in try await arm.publicIPAddress(resourceGroup: cloud.resourceGroup, name: name) })
            .map(PublicIPAddressSummary.init(arm:))
    }

    public func createPublicIPAddress(name: String, prefixID: String) async throws -> PublicIPAddressSummary {
        let body = PublicIPAddress(name: name, location: cloud.location, publicIPPrefixID: prefixID)
        let stored = try await call({ () async throws(ARMError) in
            try await arm.createOrUpdate(body, resourceGroup: cloud.resourceGroup)
        })
        guard let stored else { throw OperatorError.fabric("public IP \(name): resource group \(cloud.resourceGroup) not found") }
        return PublicIPAddressSummary(arm: stored)
    }

    /// AKS tags the NICs it pre-creates for a gateway pool with this.
    static let staticGatewayNICTag = "aks-managed-static-gateway-nic"

    // MARK: Public IP prefixes and addresses

    public func publicIPPrefix(resourceGroup: String, name: String) async throws -> PublicIPPrefix? {
        try await call({ () async throws(ARMError) in try await arm.publicIPPrefix(resourceGroup: resourceGroup, name: name) })
            .map(PublicIPPrefix.init(arm:))
    }

    public func createPublicIPPrefix(name: String, prefixLength: Int32) async throws -> PublicIPPrefix {
        let body = Azure.PublicIPPrefix(name: name, location: cloud.location, prefixLength: Int(prefixLength))
        let stored = try await call({ () async throws(ARMError) in
            try await arm.createOrUpdate(body, resourceGroup: cloud.resourceGroup)
        })
        guard let stored else { throw OperatorError.fabric("public IP prefix \(name): resource group \(cloud.resourceGroup) not found") }
        return PublicIPPrefix(arm: stored)
    }

    public func deletePublicIPPrefix(name: String) async throws {
        _ = try await call({ () async throws(ARMError) in try await arm.deletePublicIPPrefix(resourceGroup: cloud.resourceGroup, name: name) })
    }

    public func deletePublicIPAddress(name: String) async throws {
        _ = try await call({ () async throws(ARMError) in try await arm.deletePublicIPAddress(resourceGroup: cloud.resourceGroup, name: name) })
    }

    // MARK: Reads kept for writes

    private func scaleSetKey(_ group: String, _ name: String) -> String {
        "/subscriptions/\(cloud.subscriptionID)/resourceGroups/\(group)/providers/Microsoft.Compute/virtualMachineScaleSets/\(name)"
            .lowercased()
    }

    private func instanceKey(_ group: String, _ name: String, _ instanceID: String) -> String {
        scaleSetKey(group, name) + "/virtualmachines/" + instanceID
    }

    private func remember(_ key: String, _ json: AzureJSON) { reads.withLock { $0[key.lowercased()] = json } }
    private func forget(_ key: String) { _ = reads.withLock { $0.removeValue(forKey: key.lowercased()) } }
    private func kept(_ key: String) -> AzureJSON? { reads.withLock { $0[key.lowercased()] } }

    private func keptOrRead(_ key: String, _ read: () async throws(ARMError) -> AzureJSON) async throws -> AzureJSON? {
        if let kept = kept(key) { return kept }
        guard let json = try await call(read) else { return nil }
        remember(key, json)
        return json
    }

    /// A conditional PUT: keeps the stored resource as the next base, or forgets the base when it went stale.
    private func write<T: ARMResource>(_ key: String, _ put: () async throws(ARMError) -> T) async throws -> T {
        do {
            let stored = try await put()
            remember(key, stored.json)
            return stored
        } catch {
            forget(key)
            throw OperatorError.arm(error)
        }
    }

    /// Runs an ARM call; nil for 404, every other failure as the operator's error.
    private func call<T>(_ body: () async throws(ARMError) -> T) async throws(OperatorError) -> T? {
        do {
            return try await body()
        } catch where error.isNotFound {
            return nil
        } catch {
            throw OperatorError.arm(error)
        }
    }
}
