import Azure

// The operator's views read from ARM JSON and written back into it. A write starts from the JSON as read and sets
// only the members the view names, so ARM's other members (and children's) are sent back unchanged; children are
// matched by name, case-insensitively, as ARM compares names.

extension AzureJSON {
    fileprivate func property(_ key: String) -> AzureJSON? { self["properties"]?[key] }

    fileprivate mutating func setProperty(_ key: String, _ value: AzureJSON?) {
        var properties = self["properties"] ?? .object([:])
        properties[key] = value
        self["properties"] = properties
    }

    fileprivate func reference(_ key: String) -> String? { property(key)?["id"]?.stringValue }
    fileprivate mutating func setReference(_ key: String, _ id: String?) { setProperty(key, id.map { ["id": .string($0)] }) }
    fileprivate var name: String { self["name"]?.stringValue ?? "" }
    fileprivate var children: [AzureJSON] { arrayValue ?? [] }

    /// The item of `items` with this name, or a new `{name}` item.
    fileprivate static func base(named name: String, in items: [AzureJSON]) -> AzureJSON {
        items.first { $0.name.lowercased() == name.lowercased() } ?? ["name": .string(name)]
    }
}

extension Optional where Wrapped == Int32 {
    fileprivate var json: AzureJSON? { map { .integer(Int64($0)) } }
}

extension AzureJSON {
    fileprivate var int32: Int32? { intValue.map { Int32(clamping: $0) } }
}

extension LoadBalancer {
    init(arm json: AzureJSON) {
        self.init(
            name: json.name, location: json["location"]?.stringValue ?? "", hasProperties: json["properties"] != nil,
            frontends: (json.property("frontendIPConfigurations")?.children ?? []).map { item in
                Frontend(name: item.name, id: item["id"]?.stringValue, hasProperties: item["properties"] != nil,
                         privateIPAddress: item.property("privateIPAddress")?.stringValue,
                         privateIPAddressVersion: item.property("privateIPAddressVersion")?.stringValue,
                         privateIPAllocationMethod: item.property("privateIPAllocationMethod")?.stringValue,
                         subnetID: item.reference("subnet"))
            },
            backends: (json.property("backendAddressPools")?.children ?? []).map {
                BackendPool(name: $0.name, id: $0["id"]?.stringValue,
                            hasMembers: !($0.property("backendIPConfigurations")?.children ?? []).isEmpty)
            },
            rules: (json.property("loadBalancingRules")?.children ?? []).map { item in
                Rule(name: item.name, hasProperties: item["properties"] != nil,
                     transportProtocol: item.property("protocol")?.stringValue,
                     enableFloatingIP: item.property("enableFloatingIP")?.boolValue,
                     frontendID: item.reference("frontendIPConfiguration"), backendID: item.reference("backendAddressPool"),
                     probeID: item.reference("probe"), frontendPort: item.property("frontendPort")?.int32,
                     backendPort: item.property("backendPort")?.int32)
            },
            probes: (json.property("probes")?.children ?? []).map { item in
                Probe(name: item.name, hasProperties: item["properties"] != nil,
                      transportProtocol: item.property("protocol")?.stringValue, port: item.property("port")?.int32,
                      requestPath: item.property("requestPath")?.stringValue,
                      probeThreshold: item.property("probeThreshold")?.int32,
                      intervalInSeconds: item.property("intervalInSeconds")?.int32)
            })
    }

    /// `base` (the load balancer as read) with this view's children written into it.
    func merged(into base: AzureJSON) -> AzureJSON {
        var json = base
        json["name"] = .string(name)
        if json["location"] == nil || json["location"] == .null { json["location"] = .string(location) }
        let frontendItems = json.property("frontendIPConfigurations")?.children ?? []
        json.setProperty("frontendIPConfigurations", .array(frontends.map { frontend in
            var item = AzureJSON.base(named: frontend.name, in: frontendItems)
            if let id = frontend.id { item["id"] = .string(id) }
            if let address = frontend.privateIPAddress { item.setProperty("privateIPAddress", .string(address)) }
            if let version = frontend.privateIPAddressVersion { item.setProperty("privateIPAddressVersion", .string(version)) }
            if let method = frontend.privateIPAllocationMethod { item.setProperty("privateIPAllocationMethod", .string(method)) }
            if let subnet = frontend.subnetID { item.setReference("subnet", subnet) }
            return item
        }))
        let backendItems = json.property("backendAddressPools")?.children ?? []
        json.setProperty("backendAddressPools", .array(backends.map { backend in
            var item = AzureJSON.base(named: backend.name, in: backendItems)
            if let id = backend.id { item["id"] = .string(id) }
            return item
        }))
        let ruleItems = json.property("loadBalancingRules")?.children ?? []
        json.setProperty("loadBalancingRules", .array(rules.map { rule in
            var item = AzureJSON.base(named: rule.name, in: ruleItems)
            item.setProperty("protocol", rule.transportProtocol.map(AzureJSON.string))
            item.setProperty("enableFloatingIP", rule.enableFloatingIP.map(AzureJSON.bool))
            item.setReference("frontendIPConfiguration", rule.frontendID)
            item.setReference("backendAddressPool", rule.backendID)
            item.setReference("probe", rule.probeID)
            item.setProperty("frontendPort", rule.frontendPort.json)
            item.setProperty("backendPort", rule.backendPort.json)
            return item
        }))
        let probeItems = json.property("probes")?.children ?? []
        json.setProperty("probes", .array(probes.map { probe in
            var item = AzureJSON.base(named: probe.name, in: probeItems)
            item.setProperty("protocol", probe.transportProtocol.map(AzureJSON.string))
            item.setProperty("port", probe.port.json)
            item.setProperty("requestPath", probe.requestPath.map(AzureJSON.string))
            item.setProperty("probeThreshold", probe.probeThreshold.json)
            item.setProperty("intervalInSeconds", probe.intervalInSeconds.json)
            return item
        }))
        return json
    }
}

extension NetworkInterfaceConfiguration {
    init(arm configuration: VMSSNetworkInterfaceConfiguration) {
        self.init(name: configuration.json.name, primary: configuration.primary,
                  ipConfigurations: Self.ipConfigurations(of: configuration.json))
    }

    /// A VM-pool NIC as one primary interface.
    init(nic: NetworkInterface) {
        self.init(name: nic.json.name, primary: true, ipConfigurations: Self.ipConfigurations(of: nic.json))
    }

    private static func ipConfigurations(of json: AzureJSON) -> [IPConfiguration] {
        (json.property("ipConfigurations")?.children ?? []).map { item in
            let publicIP = item.property("publicIPAddressConfiguration")
            return IPConfiguration(
                name: item.name, primary: item.property("primary")?.boolValue,
                privateIPAddressVersion: item.property("privateIPAddressVersion")?.stringValue,
                subnetID: item.reference("subnet"),
                publicIPConfiguration: publicIP.map { PublicIPConfiguration(name: $0.name, prefixID: $0.reference("publicIPPrefix")) },
                publicIPAddressID: item.reference("publicIPAddress"),
                backendPoolIDs: (item.property("loadBalancerBackendAddressPools")?.children ?? []).compactMap { $0["id"]?.stringValue },
                privateIPAddress: item.property("privateIPAddress")?.stringValue)
        }
    }

    /// `base` (the NIC configuration as read) with this view's ipconfigs written into it.
    func merged(into base: AzureJSON) -> AzureJSON {
        var json = base
        json["name"] = .string(name)
        json.setProperty("primary", .bool(primary))
        return mergedIPConfigurations(into: json)
    }

    /// `nic` (a VM-pool NIC as read) with this view's ipconfigs written into it; nothing else of the NIC changes.
    func mergedIPConfigurations(into nic: AzureJSON) -> AzureJSON {
        var json = nic
        let items = json.property("ipConfigurations")?.children ?? []
        json.setProperty("ipConfigurations", .array(ipConfigurations.map { ipconfig in
            var item = AzureJSON.base(named: ipconfig.name, in: items)
            item.setProperty("primary", ipconfig.primary.map(AzureJSON.bool))
            item.setProperty("privateIPAddressVersion", ipconfig.privateIPAddressVersion.map(AzureJSON.string))
            item.setReference("subnet", ipconfig.subnetID)
            if let publicIP = ipconfig.publicIPConfiguration {
                var publicItem = item.property("publicIPAddressConfiguration") ?? .object([:])
                publicItem["name"] = .string(publicIP.name)
                publicItem.setReference("publicIPPrefix", publicIP.prefixID)
                item.setProperty("publicIPAddressConfiguration", publicItem)
            } else {
                item.setProperty("publicIPAddressConfiguration", nil)
            }
            if ipconfig.publicIPAddressID != nil || item.property("publicIPAddress") != nil {
                item.setReference("publicIPAddress", ipconfig.publicIPAddressID)
            }
            let pools = ipconfig.backendPoolIDs.map { AzureJSON.object(["id": .string($0)]) }
            item.setProperty("loadBalancerBackendAddressPools", pools.isEmpty && item.property("loadBalancerBackendAddressPools") == nil
                ? nil : .array(pools))
            return item
        }))
        return json
    }
}

extension [NetworkInterfaceConfiguration] {
    /// The configurations as read (`base`) with these views written into them, matched by name.
    func merged(into base: [VMSSNetworkInterfaceConfiguration]) -> [VMSSNetworkInterfaceConfiguration] {
        let items = base.map(\.json)
        return map { VMSSNetworkInterfaceConfiguration(json: $0.merged(into: AzureJSON.base(named: $0.name, in: items))) }
    }
}

extension GatewayNetworkInterface {
    init(arm nic: NetworkInterface) {
        self.init(id: nic.id ?? "", name: nic.name ?? "", provisioningState: nic.provisioningState,
                  configuration: NetworkInterfaceConfiguration(nic: nic))
    }
}

extension PublicIPAddressSummary {
    init(arm address: PublicIPAddress) {
        self.init(id: address.id ?? "", name: address.name ?? "", prefixID: address.publicIPPrefixID)
    }
}

extension PublicIPPrefix {
    init(arm prefix: Azure.PublicIPPrefix) {
        self.init(id: prefix.id ?? "", name: prefix.name ?? "", ipPrefix: prefix.ipPrefix,
                  prefixLength: prefix.prefixLength.map { Int32(clamping: $0) },
                  publicIPAddressIDs: prefix.publicIPAddressIDs)
    }
}

extension CloudTarget {
    /// The coordinates of a cloud config, its defaults applied.
    public init(_ config: CloudConfig) {
        self.init(subscriptionID: config.subscriptionId, resourceGroup: config.resourceGroup, location: config.location,
                  loadBalancerResourceGroup: config.effectiveLoadBalancerResourceGroup,
                  loadBalancerName: config.effectiveLoadBalancerName, vnetResourceGroup: config.effectiveVNetResourceGroup,
                  vnetName: config.vnetName, subnetName: config.subnetName)
    }
}
