/// A network interface: a VM-pool NIC (`Microsoft.Network`), or a scale-set instance's NIC (read-only view).
public struct NetworkInterface: ARMResource {
    public var json: AzureJSON
    public init(json: AzureJSON) { self.json = json }

    public var ipConfigurations: [NICIPConfiguration] {
        get { children("ipConfigurations") }
        set { setChildren("ipConfigurations", newValue) }
    }

    /// The private address of the configuration marked primary.
    public var primaryIPAddress: String? { ipConfigurations.first(where: \.primary)?.privateIPAddress }
}

/// An IP configuration of a NIC.
public struct NICIPConfiguration: ARMObject {
    public var json: AzureJSON
    public init(json: AzureJSON) { self.json = json }

    /// The secondary configuration the operator adds to a VM-pool NIC.
    public init(name: String, subnetID: String?, publicIPAddress: PublicIPAddress? = nil) {
        json = ["name": .string(name)]
        primary = false
        privateIPAddressVersion = "IPv4"
        self.subnetID = subnetID
        self.publicIPAddress = publicIPAddress
    }

    public var primary: Bool {
        get { self[property: "primary"]?.boolValue ?? false }
        set { self[property: "primary"] = .bool(newValue) }
    }

    public var privateIPAddress: String? { self[property: "privateIPAddress"]?.stringValue }

    public var privateIPAddressVersion: String? {
        get { self[property: "privateIPAddressVersion"]?.stringValue }
        set { self[property: "privateIPAddressVersion"] = newValue.map(AzureJSON.string) }
    }

    public var subnetID: String? {
        get { reference("subnet") }
        set { setReference("subnet", newValue) }
    }

    /// As ARM returns a NIC this is usually only `{id}`; a PUT may carry the whole public IP.
    public var publicIPAddress: PublicIPAddress? {
        get { self[property: "publicIPAddress"].map(PublicIPAddress.init(json:)) }
        set { self[property: "publicIPAddress"] = newValue?.json }
    }

    public var loadBalancerBackendAddressPools: [SubResource] {
        get { children("loadBalancerBackendAddressPools") }
        set { setChildren("loadBalancerBackendAddressPools", newValue) }
    }
}

/// A standalone virtual machine (AKS "VirtualMachines" pools); only its identity and tags are used.
public struct VirtualMachine: ARMResource {
    public var json: AzureJSON
    public init(json: AzureJSON) { self.json = json }
}
