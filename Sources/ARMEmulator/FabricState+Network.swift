import Foundation

/// Microsoft.Network resources: what a PUT must contain, and what ARM fills in.
extension FabricState {
    /// The elements of an array property; each must be an object with a unique, non-empty `name`.
    func namedChildren(_ body: ARMValue, _ key: String, owner: String) throws(ARMError) -> [ARMValue] {
        guard let value = body[path: "properties", key], !value.isNull else { return [] }
        guard let elements = value.arrayValue else { throw .invalidFormat("properties.\(key)", "must be an array") }
        var seen: Set<String> = []
        for (index, element) in elements.enumerated() {
            guard element.objectValue != nil else { throw .invalidFormat("properties.\(key)[\(index)]", "must be an object") }
            guard let name = element["name"]?.stringValue, !name.isEmpty else {
                throw .missingProperty("properties.\(key)[\(index)].name", of: owner)
            }
            guard seen.insert(name.lowercased()).inserted else {
                throw ARMError(status: 400, code: "InvalidRequestFormat",
                               message: "Cannot parse the request: \(owner) has two \(key) named \(name).")
            }
        }
        return elements
    }

    /// The child of the previous body with the same name (for keeping its dynamic address).
    func previousChild(_ existing: ARMValue?, _ key: String, _ name: String) -> ARMValue? {
        existing?[path: "properties", key]?.arrayValue?.first { sameName($0, name) }
    }

    /// A `{"id": …}` reference whose target must exist; returns the reference reduced to its `id`.
    func reference(_ value: ARMValue?, at path: String, owner: String, exists: (String) -> Bool) throws(ARMError) -> ARMValue? {
        guard let value, !value.isNull else { return nil }
        guard let id = value.referenceID else { throw .invalidFormat(path, "must be an object with an id") }
        guard exists(id) else { throw .invalidReference(id, by: owner) }
        return ["id": .string(id)]
    }

    /// Whether `id` names a backend pool of a stored load balancer.
    func backendPoolExists(_ id: String) -> Bool { loadBalancerChild(id, "backendAddressPools") != nil }

    func loadBalancerChild(_ id: String, _ key: String) -> ARMValue? {
        let parts = id.split(separator: "/").map(String.init)
        guard parts.count >= 2, parts[parts.count - 2].caseInsensitiveCompare(key) == .orderedSame else { return nil }
        let lbKey = ("/" + parts.dropLast(2).joined(separator: "/")).lowercased()
        return resources[lbKey]?.body[path: "properties", key]?.arrayValue?.first { sameName($0, parts.last!) }
    }

    func resourceExists(_ id: String, kinds: Set<ResourceKind>) -> Bool {
        guard let parsed = ResourceID(id), kinds.contains(parsed.kind) else { return false }
        return resources[parsed.key] != nil
    }

    // MARK: Load balancers

    func materializeLoadBalancer(_ id: ResourceID, _ body: ARMValue, existing: ARMValue?) throws(ARMError) -> ARMValue {
        var lb = body
        let owner = id.path
        if lb["sku"] == nil { lb["sku"] = ["name": "Basic", "tier": "Regional"] }
        var taken = takenPrivateAddresses(excluding: id.key)
        var frontends: [ARMValue] = []
        for var frontend in try namedChildren(body, "frontendIPConfigurations", owner: owner) {
            let name = frontend["name"]!.stringValue!
            let childOwner = id.member("frontendIPConfigurations", name)
            if let publicIP = try reference(frontend[path: "properties", "publicIPAddress"], at: "publicIPAddress",
                                            owner: childOwner, exists: { resourceExists($0, kinds: [.publicIPAddress]) })
            {
                frontend[path: "properties", "publicIPAddress"] = publicIP
            } else {
                try assignPrivateAddress(&frontend, previous: previousChild(existing, "frontendIPConfigurations", name),
                                         owner: childOwner, taken: &taken)
            }
            frontend[path: "properties", "loadBalancingRules"] = nil
            frontends.append(child(frontend, id: childOwner, type: "frontendIPConfigurations"))
        }
        var pools: [ARMValue] = []
        for var pool in try namedChildren(body, "backendAddressPools", owner: owner) {
            let childID = id.member("backendAddressPools", pool["name"]!.stringValue!)
            // Membership is read-only: it comes from the NICs and scale sets that name the pool.
            pool[path: "properties", "backendIPConfigurations"] = nil
            pool[path: "properties", "loadBalancingRules"] = nil
            pools.append(child(pool, id: childID, type: "backendAddressPools"))
        }
        var probes: [ARMValue] = []
        for var probe in try namedChildren(body, "probes", owner: owner) {
            let childID = id.member("probes", probe["name"]!.stringValue!)
            let proto = try oneOf(probe[path: "properties", "protocol"], ["Http", "Https", "Tcp"], "protocol", childID)
            probe[path: "properties", "protocol"] = .string(proto)
            _ = try port(probe[path: "properties", "port"], "port", childID, allowZero: false)
            if proto != "Tcp", (probe[path: "properties", "requestPath"]?.stringValue ?? "").isEmpty {
                throw .missingProperty("requestPath", of: childID)
            }
            if probe[path: "properties", "intervalInSeconds"] == nil { probe[path: "properties", "intervalInSeconds"] = 15 }
            if probe[path: "properties", "numberOfProbes"] == nil { probe[path: "properties", "numberOfProbes"] = 2 }
            if probe[path: "properties", "probeThreshold"] == nil { probe[path: "properties", "probeThreshold"] = 1 }
            probe[path: "properties", "loadBalancingRules"] = nil
            probes.append(child(probe, id: childID, type: "probes"))
        }
        func ownChild(_ list: [ARMValue], _ reference: String) -> Bool {
            list.contains { $0["id"]?.stringValue?.lowercased() == reference.lowercased() }
        }
        var rules: [ARMValue] = []
        for var rule in try namedChildren(body, "loadBalancingRules", owner: owner) {
            let childID = id.member("loadBalancingRules", rule["name"]!.stringValue!)
            let proto = try oneOf(rule[path: "properties", "protocol"], ["Tcp", "Udp", "All"], "protocol", childID)
            rule[path: "properties", "protocol"] = .string(proto)
            _ = try port(rule[path: "properties", "frontendPort"], "frontendPort", childID, allowZero: proto == "All")
            _ = try port(rule[path: "properties", "backendPort"], "backendPort", childID, allowZero: proto == "All")
            guard rule[path: "properties", "frontendIPConfiguration"] != nil else {
                throw .missingProperty("frontendIPConfiguration", of: childID)
            }
            rule[path: "properties", "frontendIPConfiguration"] = try reference(
                rule[path: "properties", "frontendIPConfiguration"], at: "frontendIPConfiguration", owner: childID,
                exists: { ownChild(frontends, $0) })
            rule[path: "properties", "backendAddressPool"] = try reference(
                rule[path: "properties", "backendAddressPool"], at: "backendAddressPool", owner: childID,
                exists: { ownChild(pools, $0) })
            rule[path: "properties", "probe"] = try reference(
                rule[path: "properties", "probe"], at: "probe", owner: childID, exists: { ownChild(probes, $0) })
            for (key, value) in [("idleTimeoutInMinutes", ARMValue.integer(4)), ("enableFloatingIP", false),
                                 ("enableTcpReset", false), ("disableOutboundSnat", false), ("loadDistribution", "Default")]
            where rule[path: "properties", key] == nil {
                rule[path: "properties", key] = value
            }
            rules.append(child(rule, id: childID, type: "loadBalancingRules"))
        }
        // A pool that NICs or scale sets still name cannot disappear with this PUT.
        for old in existing?[path: "properties", "backendAddressPools"]?.arrayValue ?? [] {
            guard let oldID = old["id"]?.stringValue, !ownChild(pools, oldID) else { continue }
            if let user = backendPoolUsers(oldID).first {
                throw ARMError(status: 400, code: "InUseBackendAddressPoolCannotBeDeleted",
                               message: "Backend address pool \(oldID) cannot be removed from the load balancer "
                                   + "since it is in use by \(user).")
            }
        }
        lb[path: "properties", "frontendIPConfigurations"] = .array(frontends)
        lb[path: "properties", "backendAddressPools"] = .array(pools)
        lb[path: "properties", "probes"] = .array(probes)
        lb[path: "properties", "loadBalancingRules"] = .array(rules)
        if lb[path: "properties", "resourceGuid"] == nil {
            lb[path: "properties", "resourceGuid"] = .string(existing?[path: "properties", "resourceGuid"]?.stringValue
                ?? UUID().uuidString.lowercased())
        }
        return lb
    }

    /// A child object with its ARM id, type and provisioning state.
    func child(_ value: ARMValue, id: String, type: String) -> ARMValue {
        var result = value
        result["id"] = .string(id)
        result["type"] = .string("Microsoft.Network/loadBalancers/\(type)")
        result[path: "properties", "provisioningState"] = "Succeeded"
        return result
    }

    func oneOf(_ value: ARMValue?, _ allowed: [String], _ name: String, _ owner: String) throws(ARMError) -> String {
        guard let value, !value.isNull else { throw .missingProperty(name, of: owner) }
        guard let text = value.stringValue, let match = allowed.first(where: { $0.caseInsensitiveCompare(text) == .orderedSame })
        else { throw .invalidFormat("\(owner) \(name)", "must be one of \(allowed.joined(separator: ", "))") }
        return match
    }

    func port(_ value: ARMValue?, _ name: String, _ owner: String, allowZero: Bool) throws(ARMError) -> Int64 {
        guard let value, !value.isNull else { throw .missingProperty(name, of: owner) }
        guard let number = value.integerValue, (allowZero ? 0 : 1)...65535 ~= number else {
            throw .invalidParameter("\(name) of \(owner) must be a port number, got \(value.jsonText).")
        }
        return number
    }

    // MARK: Network interfaces

    func materializeNetworkInterface(_ id: ResourceID, _ body: ARMValue, existing: ARMValue?) throws(ARMError) -> ARMValue {
        var nic = body
        let configurations = try namedChildren(body, "ipConfigurations", owner: id.path)
        guard !configurations.isEmpty else { throw .missingProperty("properties.ipConfigurations", of: id.path) }
        let primaries = configurations.filter { $0[path: "properties", "primary"]?.boolValue == true }.count
        guard configurations.count == 1 || primaries == 1 else {
            throw .invalidParameter("Network interface \(id) must have exactly one primary IP configuration; it has \(primaries).")
        }
        var taken = takenPrivateAddresses(excluding: id.key)
        var result: [ARMValue] = []
        for var configuration in configurations {
            let name = configuration["name"]!.stringValue!
            let childID = id.member("ipConfigurations", name)
            if configurations.count == 1 { configuration[path: "properties", "primary"] = true }
            try assignPrivateAddress(&configuration, previous: previousChild(existing, "ipConfigurations", name),
                                     owner: childID, taken: &taken)
            if let publicIP = try reference(configuration[path: "properties", "publicIPAddress"], at: "publicIPAddress",
                                            owner: childID, exists: { resourceExists($0, kinds: [.publicIPAddress]) })
            {
                if let user = publicIPUsers(publicIP.referenceID!).first(where: { !$0.lowercased().hasPrefix(id.key + "/") }) {
                    throw ARMError(status: 400, code: "PublicIPAddressInUse",
                                   message: "Public IP address \(publicIP.referenceID!) is already used by \(user).")
                }
                // ARM answers with the reference only, whatever object the client sent.
                configuration[path: "properties", "publicIPAddress"] = publicIP
            }
            var pools: [ARMValue] = []
            for (index, pool) in (configuration[path: "properties", "loadBalancerBackendAddressPools"]?.arrayValue ?? []).enumerated() {
                if let pool = try reference(pool, at: "loadBalancerBackendAddressPools[\(index)]", owner: childID,
                                            exists: backendPoolExists)
                {
                    pools.append(pool)
                }
            }
            configuration[path: "properties", "loadBalancerBackendAddressPools"] = pools.isEmpty ? nil : .array(pools)
            configuration["id"] = .string(childID)
            configuration["type"] = "Microsoft.Network/networkInterfaces/ipConfigurations"
            configuration[path: "properties", "provisioningState"] = "Succeeded"
            result.append(configuration)
        }
        nic[path: "properties", "ipConfigurations"] = .array(result)
        if nic[path: "properties", "macAddress"] == nil {
            nic[path: "properties", "macAddress"] = existing?[path: "properties", "macAddress"] ?? .string(Self.macAddress(for: id))
        }
        if nic[path: "properties", "resourceGuid"] == nil {
            nic[path: "properties", "resourceGuid"] = existing?[path: "properties", "resourceGuid"]
                ?? .string(UUID().uuidString.lowercased())
        }
        return nic
    }

    /// A stable, locally administered MAC address derived from the NIC's ID, in Azure's `00-0D-3A-…` spelling.
    static func macAddress(for id: ResourceID) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in id.key.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        let tail = (0..<3).map { String(format: "%02X", Int(hash >> UInt64(8 * $0) & 0xFF)) }
        return (["00", "0D", "3A"] + tail).joined(separator: "-")
    }

    // MARK: Public IP prefixes and addresses

    func materializePublicIPPrefix(_ id: ResourceID, _ body: ARMValue, existing: ARMValue?) throws(ARMError) -> ARMValue {
        var prefix = body
        guard let lengthValue = body[path: "properties", "prefixLength"], !lengthValue.isNull else {
            throw .missingProperty("properties.prefixLength", of: id.path)
        }
        guard let length = lengthValue.integerValue, (24...31).contains(length) else {
            throw .invalidParameter("Prefix length \(lengthValue.jsonText) of \(id) is not supported; IPv4 prefixes are /24 to /31.")
        }
        let version = body[path: "properties", "publicIPAddressVersion"]?.stringValue ?? "IPv4"
        guard version.caseInsensitiveCompare("IPv4") == .orderedSame else {
            throw .invalidParameter("Public IP prefix \(id): only IPv4 is emulated, got \(version).")
        }
        prefix[path: "properties", "publicIPAddressVersion"] = "IPv4"
        if prefix["sku"] == nil { prefix["sku"] = ["name": "Standard", "tier": "Regional"] }
        prefix[path: "properties", "publicIPAddresses"] = nil
        if let old = existing?[path: "properties", "ipPrefix"]?.stringValue, let oldPrefix = IPv4Prefix(old) {
            guard oldPrefix.length == Int(length) else {
                throw .invalidParameter("The prefix length of \(id) cannot change from \(oldPrefix.length) to \(length).")
            }
            prefix[path: "properties", "ipPrefix"] = .string(old)
        } else {
            guard let allocated = allocatePrefix(length: Int(length)) else {
                throw ARMError(status: 400, code: "PublicIPCountLimitReached",
                               message: "No /\(length) is left in the emulated public address pool for \(id).")
            }
            prefix[path: "properties", "ipPrefix"] = .string(allocated.description)
        }
        return prefix
    }

    func materializePublicIPAddress(_ id: ResourceID, _ body: ARMValue, existing: ARMValue?) throws(ARMError) -> ARMValue {
        var address = body
        if address["sku"] == nil { address["sku"] = ["name": "Standard", "tier": "Regional"] }
        let method = body[path: "properties", "publicIPAllocationMethod"]?.stringValue ?? "Static"
        if address["sku"]?["name"]?.stringValue?.caseInsensitiveCompare("Standard") == .orderedSame,
           method.caseInsensitiveCompare("Static") != .orderedSame
        {
            throw ARMError(status: 400, code: "StandardSkuPublicIPAddressesMustBeStatic",
                           message: "Standard sku publicIp \(id) must have AllocationMethod set to Static.")
        }
        address[path: "properties", "publicIPAllocationMethod"] = .string(method)
        address[path: "properties", "publicIPAddressVersion"] = "IPv4"
        address[path: "properties", "ipConfiguration"] = nil
        let prefix = try reference(body[path: "properties", "publicIPPrefix"], at: "properties.publicIPPrefix", owner: id.path,
                                   exists: { resourceExists($0, kinds: [.publicIPPrefix]) })
        address[path: "properties", "publicIPPrefix"] = prefix
        let prefixID = prefix?.referenceID
        if let existing, let old = existing[path: "properties", "ipAddress"] {
            let oldPrefix = existing[path: "properties", "publicIPPrefix", "id"]?.stringValue
            guard oldPrefix?.lowercased() == prefixID?.lowercased() else {
                throw .invalidParameter("The public IP prefix of \(id) cannot be changed.")
            }
            address[path: "properties", "ipAddress"] = old
            return address
        }
        guard let allocated = allocatePublicAddress(fromPrefix: prefixID, excluding: id.key) else {
            throw ARMError(status: 400, code: "PublicIpPrefixOutOfIpAddressesForPublicIp",
                           message: "Public IP prefix \(prefixID ?? "pool") has no free address left for \(id).")
        }
        address[path: "properties", "ipAddress"] = .string(allocated.description)
        return address
    }
}
