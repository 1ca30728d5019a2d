/// A virtual machine scale set; the operator edits the network profile of its model.
public struct VirtualMachineScaleSet: ARMResource {
    public var json: AzureJSON
    public init(json: AzureJSON) { self.json = json }

    /// `properties.uniqueId`: names the gateway pool's LB frontend and backend pool.
    public var uniqueID: String? { self[property: "uniqueId"]?.stringValue }

    /// `properties.virtualMachineProfile.networkProfile`; `nil` when the model has none.
    public var networkProfile: VMSSNetworkProfile? {
        get { self[property: "virtualMachineProfile"]?["networkProfile"].map(VMSSNetworkProfile.init(json:)) }
        set {
            var profile = self[property: "virtualMachineProfile"] ?? .object([:])
            profile["networkProfile"] = newValue?.json
            self[property: "virtualMachineProfile"] = profile
        }
    }

    /// The body of the model update (§4.5): location and the whole network profile, nothing else, so the PUT
    /// changes no other setting of the scale set.
    public func networkProfileUpdate() -> AzureJSON {
        ["location": json["location"] ?? .null,
         "properties": ["virtualMachineProfile": ["networkProfile": networkProfile?.json ?? .object([:])]]]
    }
}

/// The network profile of a scale-set model.
public struct VMSSNetworkProfile: ARMObject {
    public var json: AzureJSON
    public init(json: AzureJSON) { self.json = json }

    public var networkInterfaceConfigurations: [VMSSNetworkInterfaceConfiguration] {
        get { json["networkInterfaceConfigurations"]?.arrayValue?.map(VMSSNetworkInterfaceConfiguration.init(json:)) ?? [] }
        set { json["networkInterfaceConfigurations"] = .array(newValue.map(\.json)) }
    }
}

/// A NIC configuration of a scale-set model or instance.
public struct VMSSNetworkInterfaceConfiguration: ARMObject {
    public var json: AzureJSON
    public init(json: AzureJSON) { self.json = json }

    public var primary: Bool {
        get { self[property: "primary"]?.boolValue ?? false }
        set { self[property: "primary"] = .bool(newValue) }
    }

    public var ipConfigurations: [VMSSIPConfiguration] {
        get { children("ipConfigurations") }
        set { setChildren("ipConfigurations", newValue) }
    }
}

/// An IP configuration of a scale-set NIC configuration.
public struct VMSSIPConfiguration: ARMObject {
    public var json: AzureJSON
    public init(json: AzureJSON) { self.json = json }

    /// The secondary configuration the operator adds: IPv4, in `subnetID`, with a public IP from `prefixID` if any.
    public init(name: String, subnetID: String?, publicIPPrefixID: String?) {
        json = ["name": .string(name)]
        primary = false
        privateIPAddressVersion = "IPv4"
        self.subnetID = subnetID
        if let publicIPPrefixID, !publicIPPrefixID.isEmpty {
            publicIPAddressConfiguration = VMSSPublicIPAddressConfiguration(name: name, publicIPPrefixID: publicIPPrefixID)
        }
    }

    public var primary: Bool {
        get { self[property: "primary"]?.boolValue ?? false }
        set { self[property: "primary"] = .bool(newValue) }
    }

    public var privateIPAddressVersion: String? {
        get { self[property: "privateIPAddressVersion"]?.stringValue }
        set { self[property: "privateIPAddressVersion"] = newValue.map(AzureJSON.string) }
    }

    public var subnetID: String? {
        get { reference("subnet") }
        set { setReference("subnet", newValue) }
    }

    public var publicIPAddressConfiguration: VMSSPublicIPAddressConfiguration? {
        get { self[property: "publicIPAddressConfiguration"].map(VMSSPublicIPAddressConfiguration.init(json:)) }
        set { self[property: "publicIPAddressConfiguration"] = newValue?.json }
    }

    public var loadBalancerBackendAddressPools: [SubResource] {
        get { children("loadBalancerBackendAddressPools") }
        set { setChildren("loadBalancerBackendAddressPools", newValue) }
    }
}

/// The public IP each instance gets for an IP configuration, drawn from a prefix.
public struct VMSSPublicIPAddressConfiguration: ARMObject {
    public var json: AzureJSON
    public init(json: AzureJSON) { self.json = json }

    public init(name: String, publicIPPrefixID: String) {
        json = ["name": .string(name)]
        self.publicIPPrefixID = publicIPPrefixID
    }

    public var publicIPPrefixID: String? {
        get { reference("publicIPPrefix") }
        set { setReference("publicIPPrefix", newValue) }
    }
}

/// One instance of a scale set, with its own copy of the network configuration.
public struct VirtualMachineScaleSetVM: ARMResource {
    public var json: AzureJSON
    public init(json: AzureJSON) { self.json = json }

    public var instanceID: String? { json["instanceId"]?.stringValue }

    /// `properties.osProfile.computerName`: the node name the daemon matches.
    public var computerName: String? { self[property: "osProfile"]?["computerName"]?.stringValue }
    public var hasOSProfile: Bool { self[property: "osProfile"] != nil }

    /// `properties.networkProfileConfiguration.networkInterfaceConfigurations`; `nil` when the instance has none.
    public var networkInterfaceConfigurations: [VMSSNetworkInterfaceConfiguration]? {
        get {
            self[property: "networkProfileConfiguration"]?["networkInterfaceConfigurations"]?.arrayValue?
                .map(VMSSNetworkInterfaceConfiguration.init(json:))
        }
        set {
            var configuration = self[property: "networkProfileConfiguration"] ?? .object([:])
            configuration["networkInterfaceConfigurations"] = newValue.map { .array($0.map(\.json)) }
            self[property: "networkProfileConfiguration"] = configuration
        }
    }

    /// The body of the instance update (§4.5): only the NIC configurations.
    public func networkConfigurationUpdate() -> AzureJSON {
        ["properties": ["networkProfileConfiguration": [
            "networkInterfaceConfigurations": .array((networkInterfaceConfigurations ?? []).map(\.json)),
        ]]]
    }
}
