/// A network interface configuration of a VMSS model or instance (or the ipconfigs of a VM-pool NIC), as the
/// operator sees it. As with ``LoadBalancer``, the fabric keeps every ARM member not listed here.
public struct NetworkInterfaceConfiguration: Sendable, Hashable {
    public var name: String
    public var primary: Bool
    public var ipConfigurations: [IPConfiguration]

    public init(name: String, primary: Bool, ipConfigurations: [IPConfiguration]) {
        self.name = name
        self.primary = primary
        self.ipConfigurations = ipConfigurations
    }
}

/// One IP configuration of a network interface.
public struct IPConfiguration: Sendable, Hashable {
    public var name: String
    public var primary: Bool?
    public var privateIPAddressVersion: String?
    public var subnetID: String?
    /// VMSS: the public IP configuration that takes an address from a prefix.
    public var publicIPConfiguration: PublicIPConfiguration?
    /// VM-pool NIC: the ID of the public IP address attached (ARM returns only the ID).
    public var publicIPAddressID: String?
    /// IDs of the load balancer backend pools this ipconfig is a member of.
    public var backendPoolIDs: [String]
    /// VM-pool NIC: the address ARM allocated (read only; a VMSS model has none).
    public var privateIPAddress: String?

    public init(name: String, primary: Bool? = nil, privateIPAddressVersion: String? = nil, subnetID: String? = nil,
                publicIPConfiguration: PublicIPConfiguration? = nil, publicIPAddressID: String? = nil,
                backendPoolIDs: [String] = [], privateIPAddress: String? = nil) {
        self.name = name
        self.primary = primary
        self.privateIPAddressVersion = privateIPAddressVersion
        self.subnetID = subnetID
        self.publicIPConfiguration = publicIPConfiguration
        self.publicIPAddressID = publicIPAddressID
        self.backendPoolIDs = backendPoolIDs
        self.privateIPAddress = privateIPAddress
    }
}

/// A VMSS `publicIPAddressConfiguration`: a public IP taken from a prefix.
public struct PublicIPConfiguration: Sendable, Hashable {
    public var name: String
    public var prefixID: String?

    public init(name: String, prefixID: String?) {
        self.name = name
        self.prefixID = prefixID
    }
}

/// A NIC of an AKS "VirtualMachines" gateway pool (tagged `aks-managed-static-gateway-nic`), seen as one primary
/// interface configuration so that ``IPConfigurationPlan`` treats it as it treats a VMSS instance.
public struct GatewayNetworkInterface: Sendable, Hashable {
    public var id: String
    /// The NIC name: the gateway node's `nodeName` in `gatewayVMProfiles` (the daemon matches it through its
    /// `aks-managed-nic-name` tag).
    public var name: String
    public var provisioningState: String?
    public var configuration: NetworkInterfaceConfiguration

    public init(id: String, name: String, provisioningState: String? = "Succeeded",
                configuration: NetworkInterfaceConfiguration) {
        self.id = id
        self.name = name
        self.provisioningState = provisioningState
        self.configuration = configuration
    }

    /// The private address of the ipconfig `name` (equal-fold), or of the primary one with `name` nil.
    public func privateIP(of name: String?) -> String {
        let ipconfig = configuration.ipConfigurations.first { ipconfig in
            name.map { $0.lowercased() == ipconfig.name.lowercased() } ?? (ipconfig.primary == true)
        }
        return ipconfig?.privateIPAddress ?? ""
    }
}

/// A public IP address of the node resource group, as the VM-pool path needs it.
public struct PublicIPAddressSummary: Sendable, Hashable {
    public var id: String
    public var name: String
    public var prefixID: String?

    public init(id: String, name: String, prefixID: String?) {
        self.id = id
        self.name = name
        self.prefixID = prefixID
    }
}
