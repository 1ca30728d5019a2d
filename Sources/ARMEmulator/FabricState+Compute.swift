import Foundation

/// Microsoft.Compute resources: scale-set models, their instances (whose network configuration changes only when
/// the instance itself is updated), the NICs and public IPs derived from instances, and standalone VMs.
extension FabricState {
    static let modelNICPath = ["properties", "virtualMachineProfile", "networkProfile", "networkInterfaceConfigurations"]
    static let instanceNICPath = ["properties", "networkProfileConfiguration", "networkInterfaceConfigurations"]

    func materializeScaleSet(_ id: ResourceID, _ body: ARMValue, existing: ARMValue?) throws(ARMError) -> ARMValue {
        var scaleSet = body
        try validateNICConfigurations(body[path: Self.modelNICPath], at: Self.modelNICPath.joined(separator: "."), owner: id.path)
        scaleSet[path: "properties", "uniqueId"] = existing?[path: "properties", "uniqueId"]
            ?? body[path: "properties", "uniqueId"] ?? .string(UUID().uuidString.lowercased())
        return scaleSet
    }

    func materializeScaleSetVM(_ id: ResourceID, _ body: ARMValue, existing: ARMValue?) throws(ARMError) -> ARMValue {
        // Instances come from the scale set's capacity, never from a PUT.
        guard let existing else { throw .notFound(id) }
        var instance = body
        try validateNICConfigurations(body[path: Self.instanceNICPath], at: Self.instanceNICPath.joined(separator: "."),
                                      owner: id.path)
        instance["instanceId"] = existing["instanceId"]
        instance[path: "properties", "osProfile"] = existing[path: "properties", "osProfile"]
        return instance
    }

    /// Compute's checks of NIC configurations, the same for a model and an instance.
    func validateNICConfigurations(_ value: ARMValue?, at path: String, owner: String) throws(ARMError) {
        guard let value, !value.isNull else { return }
        guard let nics = value.arrayValue else { throw .invalidFormat(path, "must be an array") }
        let primaryNICs = nics.filter { $0[path: "properties", "primary"]?.boolValue == true }.count
        if nics.count > 1, primaryNICs != 1 {
            throw .invalidParameter("\(owner) must have exactly one primary network interface configuration; it has \(primaryNICs).")
        }
        for (nicIndex, nic) in nics.enumerated() {
            let nicPath = "\(path)[\(nicIndex)]"
            guard nic.objectValue != nil, let nicName = nic["name"]?.stringValue, !nicName.isEmpty else {
                throw .invalidParameter("Required parameter '\(nicPath).name' is missing (null).")
            }
            let configurations = nic[path: "properties", "ipConfigurations"]?.arrayValue ?? []
            guard !configurations.isEmpty else {
                throw .invalidParameter("Network interface configuration \(nicName) of \(owner) needs at least one IP configuration.")
            }
            let primaries = configurations.filter { $0[path: "properties", "primary"]?.boolValue == true }.count
            if configurations.count > 1, primaries != 1 {
                throw .invalidParameter("Network interface configuration \(nicName) of \(owner) must have exactly one primary "
                    + "IP configuration; it has \(primaries).")
            }
            var names: Set<String> = []
            for (index, configuration) in configurations.enumerated() {
                let configurationPath = "\(nicPath).properties.ipConfigurations[\(index)]"
                guard let name = configuration["name"]?.stringValue, !name.isEmpty else {
                    throw .invalidParameter("Required parameter '\(configurationPath).name' is missing (null).")
                }
                guard names.insert(name.lowercased()).inserted else {
                    throw .invalidParameter("IP configuration name \(name) is used twice in \(nicName) of \(owner).")
                }
                let user = "\(owner) ipConfiguration \(name)"
                guard let subnet = configuration[path: "properties", "subnet", "id"]?.stringValue else {
                    throw .invalidParameter("Required parameter '\(configurationPath).properties.subnet' is missing (null).")
                }
                _ = try subnetPrefix(subnet, by: user)
                for pool in configuration[path: "properties", "loadBalancerBackendAddressPools"]?.arrayValue ?? [] {
                    _ = try reference(pool, at: "\(configurationPath).loadBalancerBackendAddressPools", owner: user,
                                      exists: backendPoolExists)
                }
                if let publicConfiguration = configuration[path: "properties", "publicIPAddressConfiguration"],
                   !publicConfiguration.isNull
                {
                    guard !(publicConfiguration["name"]?.stringValue ?? "").isEmpty else {
                        throw .invalidParameter("Required parameter '\(configurationPath).publicIPAddressConfiguration.name' is missing (null).")
                    }
                    _ = try reference(publicConfiguration[path: "properties", "publicIPPrefix"], at: "publicIPPrefix", owner: user,
                                      exists: { resourceExists($0, kinds: [.publicIPPrefix]) })
                }
            }
        }
    }

    // MARK: Instances

    /// Adds `count` instances that copy the scale set's network model, each with its NICs and addresses.
    mutating func addInstances(to scaleSetID: ResourceID, count: Int) throws(ARMError) -> [ARMValue] {
        guard let scaleSet = resources[scaleSetID.key] else { throw .notFound(scaleSetID) }
        let existing = all(.scaleSetVM).filter { $0.id.parent == scaleSet.id }
        var next = (existing.compactMap { Int($0.id.name) }.max() ?? -1) + 1
        // A model without an OS profile (a specialized image) gives instances without one, and without computer names.
        let osProfile = scaleSet.body[path: "properties", "virtualMachineProfile", "osProfile"]
        let prefix = osProfile?["computerNamePrefix"]?.stringValue ?? scaleSet.id.name
        var created: [ARMValue] = []
        for _ in 0..<count {
            let id = ResourceID(subscription: scaleSet.id.subscription, resourceGroup: scaleSet.id.resourceGroup,
                                kind: .scaleSetVM, names: [scaleSet.id.name, String(next)])
            var body: ARMValue = [
                "instanceId": .string(String(next)),
                "location": scaleSet.body["location"] ?? "",
                "properties": [
                    "latestModelApplied": true,
                    "vmId": .string(UUID().uuidString.lowercased()),
                ],
            ]
            if let osProfile, !osProfile.isNull {
                body[path: "properties", "osProfile"] = [
                    "computerName": .string(prefix + Self.base36(next, width: 6)),
                    "adminUsername": osProfile["adminUsername"] ?? "azureuser",
                ]
            }
            body["tags"] = scaleSet.body["tags"]
            body["sku"] = scaleSet.body["sku"]
            body[path: Self.instanceNICPath] = scaleSet.body[path: Self.modelNICPath] ?? []
            stamp(&body, id: id, previous: nil)
            resources[id.key] = StoredResource(id: id, body: body, sequence: takeSequence())
            try syncInstanceNetwork(id)
            created.append(resources[id.key]!.body)
            next += 1
        }
        return created
    }

    /// Gives an instance a fixed computer name and its primary NIC's primary ipconfig a fixed address (seeding
    /// only: Azure has no static addresses for scale-set instances). The address stays with the ipconfig from
    /// then on, as any address does; it must be inside the subnet and free.
    mutating func pin(instance id: ResourceID, computerName: String?, primaryIP: String?) throws(ARMError) -> ARMValue {
        guard var instance = resources[id.key] else { throw .notFound(id) }
        if let computerName {
            instance.body[path: "properties", "osProfile", "computerName"] = .string(computerName)
            resources[id.key] = instance
        }
        if let primaryIP {
            guard let address = IPv4Address(primaryIP) else {
                throw .invalidParameter("Pinned primary IP \(primaryIP) of \(id) is not an IPv4 address.")
            }
            let nics = all(.scaleSetNIC).filter { $0.id.parent == id }
            guard var nic = nics.first(where: { $0.body[path: "properties", "primary"]?.boolValue == true }) ?? nics.first else {
                throw .invalidParameter("Instance \(id) has no network interface to pin \(primaryIP) on.")
            }
            var configurations = nic.body[path: "properties", "ipConfigurations"]?.arrayValue ?? []
            guard let index = configurations.firstIndex(where: { $0[path: "properties", "primary"]?.boolValue == true }) else {
                throw .invalidParameter("Network interface \(nic.id) has no primary IP configuration to pin \(primaryIP) on.")
            }
            let subnet = configurations[index][path: "properties", "subnet", "id"]?.stringValue ?? ""
            let owner = configurations[index]["id"]?.stringValue ?? nic.id.path
            let prefix = try subnetPrefix(subnet, by: owner)
            guard prefix.subnetHosts?.contains(address.value) == true else {
                throw ARMError(status: 400, code: "PrivateIPAddressNotInSubnet",
                               message: "IP address \(primaryIP) of \(owner) does not belong to subnet \(subnet) (\(prefix)).")
            }
            guard takenPrivateAddresses(excluding: nic.id.key)[subnet.lowercased(), default: []].contains(address.value) == false else {
                throw ARMError(status: 400, code: "PrivateIPAddressInUse",
                               message: "IP address \(primaryIP) of \(owner) is already in use in subnet \(subnet).")
            }
            configurations[index][path: "properties", "privateIPAddress"] = .string(address.description)
            nic.body[path: "properties", "ipConfigurations"] = .array(configurations)
            resources[nic.id.key] = nic
        }
        return decorate(resources[id.key]!)
    }

    /// AKS computer names end in the instance ID in base 36, zero-padded to six digits.
    static func base36(_ value: Int, width: Int) -> String {
        let digits = String(value, radix: 36)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }

    /// Makes an instance's NICs (and the public IPs of its ipconfigs) match its network configuration: addresses
    /// stay with the ipconfig name, new ipconfigs get the lowest free address, removed ones free theirs.
    mutating func syncInstanceNetwork(_ instanceID: ResourceID) throws(ARMError) {
        guard var instance = resources[instanceID.key] else { return }
        let nicConfigurations = instance.body[path: Self.instanceNICPath]?.arrayValue ?? []
        var keep: Set<String> = []
        var references: [ARMValue] = []
        var taken = takenPrivateAddresses(excluding: nil)
        for nicConfiguration in nicConfigurations {
            let nicName = nicConfiguration["name"]?.stringValue ?? ""
            let nicID = ResourceID(subscription: instanceID.subscription, resourceGroup: instanceID.resourceGroup,
                                   kind: .scaleSetNIC, names: instanceID.names + [nicName])
            keep.insert(nicID.key)
            let previous = resources[nicID.key]
            // This NIC's own addresses are free to keep.
            for configuration in previous?.body[path: "properties", "ipConfigurations"]?.arrayValue ?? [] {
                if let subnet = configuration[path: "properties", "subnet", "id"]?.stringValue,
                   let address = configuration[path: "properties", "privateIPAddress"]?.stringValue.flatMap(IPv4Address.init)
                {
                    taken[subnet.lowercased()]?.remove(address.value)
                }
            }
            var ipConfigurations: [ARMValue] = []
            for source in nicConfiguration[path: "properties", "ipConfigurations"]?.arrayValue ?? [] {
                let name = source["name"]?.stringValue ?? ""
                let configurationID = nicID.member("ipConfigurations", name)
                var configuration: ARMValue = [
                    "name": .string(name), "id": .string(configurationID),
                    "properties": [
                        "primary": .bool(source[path: "properties", "primary"]?.boolValue ?? (nicConfiguration[path: "properties", "ipConfigurations"]?.arrayValue?.count == 1)),
                        "privateIPAddressVersion": source[path: "properties", "privateIPAddressVersion"] ?? "IPv4",
                        "subnet": source[path: "properties", "subnet"] ?? .null,
                        "provisioningState": "Succeeded",
                    ],
                ]
                try assignPrivateAddress(&configuration, previous: previousChild(previous?.body, "ipConfigurations", name),
                                         owner: configurationID, taken: &taken)
                configuration[path: "properties", "privateIPAllocationMethod"] = "Dynamic"
                if let pools = source[path: "properties", "loadBalancerBackendAddressPools"]?.arrayValue, !pools.isEmpty {
                    configuration[path: "properties", "loadBalancerBackendAddressPools"] =
                        .array(pools.compactMap(\.referenceID).map { ["id": .string($0)] })
                }
                if let publicConfiguration = source[path: "properties", "publicIPAddressConfiguration"], !publicConfiguration.isNull {
                    let addressID = try syncInstancePublicIP(configurationID: configurationID, nicID: nicID,
                                                             configurationName: name, publicConfiguration)
                    keep.insert(addressID.key)
                    configuration[path: "properties", "publicIPAddress"] = ["id": .string(addressID.path)]
                }
                ipConfigurations.append(configuration)
            }
            var nic: ARMValue = [
                "location": instance.body["location"] ?? "",
                "properties": [
                    "primary": .bool(nicConfiguration[path: "properties", "primary"]?.boolValue ?? (nicConfigurations.count == 1)),
                    "ipConfigurations": .array(ipConfigurations),
                    "macAddress": previous?.body[path: "properties", "macAddress"] ?? .string(Self.macAddress(for: nicID)),
                    "virtualMachine": ["id": .string(instanceID.path)],
                ],
            ]
            stamp(&nic, id: nicID, previous: previous?.body)
            resources[nicID.key] = StoredResource(id: nicID, body: nic, sequence: previous?.sequence ?? takeSequence())
            references.append(["id": .string(nicID.path),
                               "properties": ["primary": nic[path: "properties", "primary"] ?? false]])
        }
        // NICs and public IPs of configurations that are gone are released, as Azure releases them.
        let prefix = instanceID.key + "/"
        for key in resources.keys where key.hasPrefix(prefix) && !keep.contains(key) { resources[key] = nil }
        instance.body[path: "properties", "networkProfile"] = ["networkInterfaces": .array(references)]
        resources[instanceID.key] = instance
        refreshLatestModelApplied(scaleSet: instanceID.parent!)
    }

    /// The public IP an instance ipconfig gets from its `publicIPAddressConfiguration`: kept while the prefix
    /// stays the same, drawn anew from the prefix otherwise.
    mutating func syncInstancePublicIP(configurationID: String, nicID: ResourceID, configurationName: String,
                                       _ publicConfiguration: ARMValue) throws(ARMError) -> ResourceID
    {
        let name = publicConfiguration["name"]?.stringValue ?? configurationName
        let addressID = ResourceID(subscription: nicID.subscription, resourceGroup: nicID.resourceGroup,
                                   kind: .scaleSetPublicIP, names: nicID.names + [configurationName, name])
        let prefixID = publicConfiguration[path: "properties", "publicIPPrefix", "id"]?.stringValue
        let previous = resources[addressID.key]
        if let previous, previous.body[path: "properties", "publicIPPrefix", "id"]?.stringValue?.lowercased() == prefixID?.lowercased() {
            return addressID
        }
        guard let address = allocatePublicAddress(fromPrefix: prefixID, excluding: addressID.key) else {
            throw ARMError(status: 400, code: "PublicIpPrefixOutOfIpAddressesForPublicIp",
                           message: "Public IP prefix \(prefixID ?? "pool") has no free address left for \(configurationID).")
        }
        var body: ARMValue = [
            "properties": [
                "ipAddress": .string(address.description), "publicIPAddressVersion": "IPv4",
                "publicIPAllocationMethod": "Static",
            ],
            "sku": ["name": "Standard", "tier": "Regional"],
        ]
        if let prefixID { body[path: "properties", "publicIPPrefix"] = ["id": .string(prefixID)] }
        stamp(&body, id: addressID, previous: previous?.body)
        resources[addressID.key] = StoredResource(id: addressID, body: body, sequence: previous?.sequence ?? takeSequence())
        return addressID
    }

    /// `latestModelApplied` of each instance: whether its network configuration is the model's.
    mutating func refreshLatestModelApplied(scaleSet: ResourceID) {
        guard let model = resources[scaleSet.key]?.body[path: Self.modelNICPath] else { return }
        for var instance in all(.scaleSetVM) where instance.id.parent == scaleSet {
            let matches = instance.body[path: Self.instanceNICPath]?.sameDocument(as: model) ?? false
            instance.body[path: "properties", "latestModelApplied"] = .bool(matches)
            resources[instance.id.key] = instance
        }
    }
}
