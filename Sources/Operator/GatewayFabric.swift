/// The Azure operations of the operator, at its level: the internal load balancer, the frontend subnet, the
/// gateway pools (VMSS and VM agent pools) and their network interfaces, public IP prefixes and public IPs.
/// `AzureGatewayFabric` implements it over ARM; the controllers know nothing else of Azure.
///
/// Reads return nil for a resource that does not exist (ARM 404); every other failure is thrown with the text the
/// events should carry. Writes return the resource as ARM stored it.
public protocol GatewayFabric: ScaleSetFabric, VirtualMachinePoolFabric {
    /// The internal load balancer of the cloud config, nil when absent.
    func loadBalancer() async throws -> LoadBalancer?
    /// Creates or replaces the load balancer (a new one is Standard/Regional in the cloud config's location).
    func putLoadBalancer(_ loadBalancer: LoadBalancer) async throws -> LoadBalancer
    func deleteLoadBalancer() async throws
    /// ARM ID of the cloud config's subnet, where new frontends take their private IP.
    func frontendSubnetID() async throws -> String

    /// The VMSS and VMs of the node resource group, with their tags, for node-pool lookup.
    func scaleSets() async throws -> [ScaleSetSummary]
    func virtualMachines() async throws -> [VirtualMachineSummary]
    /// One VMSS (bring-your-own VMSS profiles), nil when absent.
    func scaleSet(resourceGroup: String, name: String) async throws -> ScaleSetSummary?
}

/// A VMSS as pool lookup needs it.
public struct ScaleSetSummary: Sendable, Hashable {
    public var resourceGroup: String
    public var name: String
    /// `properties.uniqueId`: the LB frontend and backend name of the pool.
    public var uniqueID: String
    public var tags: [String: String]

    public init(resourceGroup: String, name: String, uniqueID: String, tags: [String: String] = [:]) {
        self.resourceGroup = resourceGroup
        self.name = name
        self.uniqueID = uniqueID
        self.tags = tags
    }
}

/// A VM as pool lookup needs it.
public struct VirtualMachineSummary: Sendable, Hashable {
    public var name: String
    public var tags: [String: String]

    public init(name: String, tags: [String: String] = [:]) {
        self.name = name
        self.tags = tags
    }
}

/// The VMSS operations of the VM controller.
public protocol ScaleSetFabric: Sendable {
    /// The network interface configurations of the VMSS model, nil when the model has no network profile.
    func scaleSetInterfaces(resourceGroup: String, name: String) async throws -> [NetworkInterfaceConfiguration]?
    /// Writes the model's network profile (the partial body `{location, properties.virtualMachineProfile.networkProfile}`).
    func putScaleSetInterfaces(resourceGroup: String, name: String,
                               _ interfaces: [NetworkInterfaceConfiguration]) async throws
    /// The instances, each with the private IPs its primary NIC has now.
    func scaleSetInstances(resourceGroup: String, name: String) async throws -> [ScaleSetInstance]
    /// Writes one instance's interfaces; returns the instance as it is afterwards (with its NIC's IPs).
    func putScaleSetInstanceInterfaces(resourceGroup: String, name: String, instanceID: String,
                                       _ interfaces: [NetworkInterfaceConfiguration]) async throws -> ScaleSetInstance

    /// A public IP prefix by resource group and name, nil when absent.
    func publicIPPrefix(resourceGroup: String, name: String) async throws -> PublicIPPrefix?
    /// Creates the managed prefix `name` (Standard/Regional, IPv4, no tags or zones) in the node resource group.
    func createPublicIPPrefix(name: String, prefixLength: Int32) async throws -> PublicIPPrefix
    /// Deletes the managed prefix `name` of the node resource group; absent is not an error.
    func deletePublicIPPrefix(name: String) async throws
    /// Deletes the public IP `name` of the node resource group; absent is not an error.
    func deletePublicIPAddress(name: String) async throws
}

/// The operations of the VM controller on AKS "VirtualMachines" gateway pools: their pre-created NICs, and one
/// public IP per NIC and configuration (public mode).
public protocol VirtualMachinePoolFabric: Sendable {
    /// The gateway NICs of the node pool `nodepoolName` in the node resource group: tagged
    /// `aks-managed-static-gateway-nic` and `aks-managed-poolName` (equal-fold).
    func gatewayNetworkInterfaces(nodepoolName: String) async throws -> [GatewayNetworkInterface]
    /// Writes the NIC's ipconfigs (the whole NIC as read, with these ipconfigs); returns the NIC as ARM stored it.
    func putGatewayNetworkInterface(_ nic: GatewayNetworkInterface) async throws -> GatewayNetworkInterface
    /// A public IP of the node resource group, nil when absent.
    func publicIPAddress(name: String) async throws -> PublicIPAddressSummary?
    /// Creates the public IP `name` (Standard/Regional, static IPv4) from the prefix `prefixID`.
    func createPublicIPAddress(name: String, prefixID: String) async throws -> PublicIPAddressSummary
}

/// One VMSS instance as the VM controller needs it.
public struct ScaleSetInstance: Sendable, Hashable {
    public var instanceID: String
    /// `osProfile.computerName`, the gateway node's name in `gatewayVMProfiles`; nil when the OS profile is missing.
    public var computerName: String?
    public var provisioningState: String?
    public var interfaces: [NetworkInterfaceConfiguration]
    /// Private IPs of the primary NIC by ipconfig name (primary included), as ARM reports them.
    public var privateIPs: [String: String]

    public init(instanceID: String, computerName: String?, provisioningState: String? = "Succeeded",
                interfaces: [NetworkInterfaceConfiguration], privateIPs: [String: String] = [:]) {
        self.instanceID = instanceID
        self.computerName = computerName
        self.provisioningState = provisioningState
        self.interfaces = interfaces
        self.privateIPs = privateIPs
    }
}

/// A public IP prefix as the operator needs it.
public struct PublicIPPrefix: Sendable, Hashable {
    public var id: String
    public var name: String
    /// The CIDR, such as `20.1.2.4/31`; nil until allocated.
    public var ipPrefix: String?
    public var prefixLength: Int32?
    /// IDs of the public IPs allocated from it.
    public var publicIPAddressIDs: [String]

    public init(id: String, name: String, ipPrefix: String?, prefixLength: Int32?, publicIPAddressIDs: [String] = []) {
        self.id = id
        self.name = name
        self.ipPrefix = ipPrefix
        self.prefixLength = prefixLength
        self.publicIPAddressIDs = publicIPAddressIDs
    }
}
