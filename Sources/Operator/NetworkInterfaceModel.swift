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
    /// IDs of the load balancer backend pools this ipconfig is a member of.
    public var backendPoolIDs: [String]

    public init(name: String, primary: Bool? = nil, privateIPAddressVersion: String? = nil, subnetID: String? = nil,
                publicIPConfiguration: PublicIPConfiguration? = nil, backendPoolIDs: [String] = []) {
        self.name = name
        self.primary = primary
        self.privateIPAddressVersion = privateIPAddressVersion
        self.subnetID = subnetID
        self.publicIPConfiguration = publicIPConfiguration
        self.backendPoolIDs = backendPoolIDs
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
