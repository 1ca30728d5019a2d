/// The gateway's internal load balancer and its children.
public struct LoadBalancer: ARMResource {
    public var json: AzureJSON
    public init(json: AzureJSON) { self.json = json }

    /// A new Standard internal load balancer with no children.
    public init(name: String, location: String) {
        json = ["name": .string(name), "location": .string(location), "sku": ["name": "Standard", "tier": "Regional"],
                "properties": .object([:])]
    }

    public var frontendIPConfigurations: [FrontendIPConfiguration] {
        get { children("frontendIPConfigurations") }
        set { setChildren("frontendIPConfigurations", newValue) }
    }

    public var backendAddressPools: [BackendAddressPool] {
        get { children("backendAddressPools") }
        set { setChildren("backendAddressPools", newValue) }
    }

    public var loadBalancingRules: [LoadBalancingRule] {
        get { children("loadBalancingRules") }
        set { setChildren("loadBalancingRules", newValue) }
    }

    public var probes: [Probe] {
        get { children("probes") }
        set { setChildren("probes", newValue) }
    }
}

/// A frontend: a private address in a subnet.
public struct FrontendIPConfiguration: ARMObject {
    public var json: AzureJSON
    public init(json: AzureJSON) { self.json = json }

    public init(name: String, subnetID: String) {
        json = ["name": .string(name)]
        self[property: "privateIPAllocationMethod"] = "Dynamic"
        self.subnetID = subnetID
    }

    public var privateIPAddress: String? { self[property: "privateIPAddress"]?.stringValue }
    public var privateIPAllocationMethod: String? { self[property: "privateIPAllocationMethod"]?.stringValue }

    public var subnetID: String? {
        get { reference("subnet") }
        set { setReference("subnet", newValue) }
    }
}

/// A backend pool, which NIC and scale-set IP configurations join by reference.
public struct BackendAddressPool: ARMObject {
    public var json: AzureJSON
    public init(json: AzureJSON) { self.json = json }
    public init(name: String) { json = ["name": .string(name)] }
}

/// A load-balancing rule (the gateway uses UDP with floating IP, one per gateway configuration).
public struct LoadBalancingRule: ARMObject {
    public var json: AzureJSON
    public init(json: AzureJSON) { self.json = json }
    public init(name: String) { json = ["name": .string(name), "properties": .object([:])] }

    public var `protocol`: String? {
        get { self[property: "protocol"]?.stringValue }
        set { self[property: "protocol"] = newValue.map(AzureJSON.string) }
    }

    public var frontendPort: Int? {
        get { self[property: "frontendPort"]?.intValue }
        set { self[property: "frontendPort"] = newValue.map { .integer(Int64($0)) } }
    }

    public var backendPort: Int? {
        get { self[property: "backendPort"]?.intValue }
        set { self[property: "backendPort"] = newValue.map { .integer(Int64($0)) } }
    }

    public var enableFloatingIP: Bool {
        get { self[property: "enableFloatingIP"]?.boolValue ?? false }
        set { self[property: "enableFloatingIP"] = .bool(newValue) }
    }

    public var frontendIPConfigurationID: String? {
        get { reference("frontendIPConfiguration") }
        set { setReference("frontendIPConfiguration", newValue) }
    }

    public var backendAddressPoolID: String? {
        get { reference("backendAddressPool") }
        set { setReference("backendAddressPool", newValue) }
    }

    public var probeID: String? {
        get { reference("probe") }
        set { setReference("probe", newValue) }
    }
}

/// A health probe (the gateway's is HTTP on the daemon's probe port).
public struct Probe: ARMObject {
    public var json: AzureJSON
    public init(json: AzureJSON) { self.json = json }
    public init(name: String) { json = ["name": .string(name), "properties": .object([:])] }

    public var `protocol`: String? {
        get { self[property: "protocol"]?.stringValue }
        set { self[property: "protocol"] = newValue.map(AzureJSON.string) }
    }

    public var port: Int? {
        get { self[property: "port"]?.intValue }
        set { self[property: "port"] = newValue.map { .integer(Int64($0)) } }
    }

    public var requestPath: String? {
        get { self[property: "requestPath"]?.stringValue }
        set { self[property: "requestPath"] = newValue.map(AzureJSON.string) }
    }

    public var intervalInSeconds: Int? {
        get { self[property: "intervalInSeconds"]?.intValue }
        set { self[property: "intervalInSeconds"] = newValue.map { .integer(Int64($0)) } }
    }

    public var numberOfProbes: Int? {
        get { self[property: "numberOfProbes"]?.intValue }
        set { self[property: "numberOfProbes"] = newValue.map { .integer(Int64($0)) } }
    }
}
