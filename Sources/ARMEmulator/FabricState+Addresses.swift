/// Subnets, and the private and public addresses the fabric hands out.
extension FabricState {
    // MARK: Subnets (stored inside their virtual network, as ARM stores them)

    func subnet(_ id: ResourceID) throws(ARMError) -> StoredResource {
        guard let vnetID = id.parent else { throw .notFound(id) }
        guard let vnet = resources[vnetID.key] else { throw .notFound(vnetID) }
        guard let body = (vnet.body[path: "properties", "subnets"]?.arrayValue ?? []).first(where: { sameName($0, id.name) })
        else { throw .notFound(id) }
        return StoredResource(id: canonical(id), body: body, sequence: vnet.sequence)
    }

    func subnets(of vnet: ResourceID) -> [ARMValue] {
        resources[vnet.key]?.body[path: "properties", "subnets"]?.arrayValue ?? []
    }

    /// The IPv4 prefix of the subnet a reference names; `InvalidResourceReference` when there is no such subnet.
    func subnetPrefix(_ reference: String, by owner: String) throws(ARMError) -> IPv4Prefix {
        guard let id = ResourceID(reference), id.kind == .subnet, let subnet = try? subnet(id) else {
            throw .invalidReference(reference, by: owner)
        }
        let text = subnet.body[path: "properties", "addressPrefix"]?.stringValue
            ?? subnet.body[path: "properties", "addressPrefixes"]?.arrayValue?.first?.stringValue ?? ""
        guard let prefix = IPv4Prefix(text) else {
            throw ARMError(status: 400, code: "InvalidAddressPrefixFormat",
                           message: "Subnet \(reference) has no IPv4 address prefix (\"\(text)\").")
        }
        return prefix
    }

    func materializeVirtualNetwork(_ id: ResourceID, _ body: ARMValue) throws(ARMError) -> ARMValue {
        var vnet = body
        var subnets: [ARMValue] = []
        for (index, element) in (body[path: "properties", "subnets"]?.arrayValue ?? []).enumerated() {
            guard var subnet = element.objectValue.map(ARMValue.object), let name = subnet["name"]?.stringValue,
                  !name.isEmpty
            else { throw .invalidFormat("properties.subnets[\(index)].name", "is required") }
            let prefix = subnet[path: "properties", "addressPrefix"]?.stringValue
                ?? subnet[path: "properties", "addressPrefixes"]?.arrayValue?.first?.stringValue ?? ""
            guard IPv4Prefix(prefix) != nil else {
                throw ARMError(status: 400, code: "InvalidAddressPrefixFormat",
                               message: "Address prefix \"\(prefix)\" of subnet \(name) is not a valid IPv4 CIDR.")
            }
            subnet["id"] = .string(id.member("subnets", name))
            subnet["type"] = .string(ResourceKind.subnet.rawValue)
            subnet[path: "properties", "provisioningState"] = "Succeeded"
            subnets.append(subnet)
        }
        vnet[path: "properties", "subnets"] = .array(subnets)
        return vnet
    }

    // MARK: Private addresses

    /// The private addresses in use in each subnet (by lowercased subnet ID), apart from those of `excluded`.
    func takenPrivateAddresses(excluding excluded: String? = nil) -> [String: Set<UInt32>] {
        var taken: [String: Set<UInt32>] = [:]
        for resource in resources.values where resource.id.key != excluded {
            let children: [ARMValue]
            switch resource.id.kind {
            case .networkInterface, .scaleSetNIC: children = resource.body[path: "properties", "ipConfigurations"]?.arrayValue ?? []
            case .loadBalancer: children = resource.body[path: "properties", "frontendIPConfigurations"]?.arrayValue ?? []
            default: continue
            }
            for child in children {
                guard let subnet = child[path: "properties", "subnet", "id"]?.stringValue,
                      let address = child[path: "properties", "privateIPAddress"]?.stringValue.flatMap(IPv4Address.init)
                else { continue }
                taken[subnet.lowercased(), default: []].insert(address.value)
            }
        }
        return taken
    }

    /// Gives an ipconfig-like child (NIC ipconfig, LB frontend) its private address as Azure does: the address
    /// it had under the same name stays, a static one must be free and inside the subnet, a dynamic one is the
    /// lowest free address. The subnet reference is reduced to `{id}`.
    func assignPrivateAddress(_ child: inout ARMValue, previous: ARMValue?, owner: String,
                              taken: inout [String: Set<UInt32>]) throws(ARMError)
    {
        let version = child[path: "properties", "privateIPAddressVersion"]?.stringValue ?? "IPv4"
        guard version.caseInsensitiveCompare("IPv4") == .orderedSame else {
            // No IPv6 address space is emulated; the configuration is stored without an address.
            child[path: "properties", "privateIPAddress"] = nil
            return
        }
        child[path: "properties", "privateIPAddressVersion"] = "IPv4"
        guard let subnetID = child[path: "properties", "subnet", "id"]?.stringValue else {
            throw .missingProperty("properties.subnet.id", of: owner)
        }
        let prefix = try subnetPrefix(subnetID, by: owner)
        child[path: "properties", "subnet"] = ["id": .string(subnetID)]
        let key = subnetID.lowercased()
        let requested = child[path: "properties", "privateIPAddress"]?.stringValue
        let method = child[path: "properties", "privateIPAllocationMethod"]?.stringValue ?? "Dynamic"
        var address: IPv4Address?
        if method.caseInsensitiveCompare("Static") == .orderedSame {
            guard let text = requested, let wanted = IPv4Address(text) else {
                throw .invalidParameter("A static private IP address is required for \(owner).")
            }
            guard let hosts = prefix.subnetHosts, hosts.contains(wanted.value) else {
                throw ARMError(status: 400, code: "PrivateIPAddressNotInSubnet",
                               message: "IP address \(text) of \(owner) does not belong to subnet \(subnetID) (\(prefix)).")
            }
            guard !taken[key, default: []].contains(wanted.value) else {
                throw ARMError(status: 400, code: "PrivateIPAddressInUse",
                               message: "IP address \(text) of \(owner) is already in use in subnet \(subnetID).")
            }
            address = wanted
            child[path: "properties", "privateIPAllocationMethod"] = "Static"
        } else {
            if let old = previous?[path: "properties", "privateIPAddress"]?.stringValue.flatMap(IPv4Address.init),
               previous?[path: "properties", "subnet", "id"]?.stringValue?.lowercased() == key,
               !taken[key, default: []].contains(old.value)
            {
                address = old
            } else if let hosts = prefix.subnetHosts {
                address = hosts.first { !taken[key, default: []].contains($0) }.map(IPv4Address.init)
            }
            guard address != nil else {
                throw ARMError(status: 400, code: "SubnetIsFull",
                               message: "Subnet \(subnetID) with address prefix \(prefix) does not have enough capacity "
                                   + "for 1 IP address (\(owner)).")
            }
            child[path: "properties", "privateIPAllocationMethod"] = "Dynamic"
        }
        child[path: "properties", "privateIPAddress"] = .string(address!.description)
        taken[key, default: []].insert(address!.value)
    }

    // MARK: Public addresses

    /// Every public IP address in use (standalone and scale-set instance ones) with the prefix it came from.
    func publicAddresses(excluding excluded: String? = nil) -> [(address: IPv4Address, prefix: String?, owner: ResourceID)] {
        resources.values.compactMap { resource in
            guard resource.id.kind == .publicIPAddress || resource.id.kind == .scaleSetPublicIP,
                  resource.id.key != excluded,
                  let address = resource.body[path: "properties", "ipAddress"]?.stringValue.flatMap(IPv4Address.init)
            else { return nil }
            return (address, resource.body[path: "properties", "publicIPPrefix", "id"]?.stringValue?.lowercased(), resource.id)
        }
    }

    /// The prefixes allocated so far.
    func allocatedPrefixes(excluding excluded: String? = nil) -> [IPv4Prefix] {
        all(.publicIPPrefix).filter { $0.id.key != excluded }
            .compactMap { $0.body[path: "properties", "ipPrefix"]?.stringValue.flatMap(IPv4Prefix.init) }
    }

    /// A free aligned block of `length` from the documentation ranges.
    func allocatePrefix(length: Int) -> IPv4Prefix? {
        let prefixes = allocatedPrefixes()
        let singles = publicAddresses().filter { $0.prefix == nil }.map(\.address)
        for range in publicAddressPool {
            for candidate in range.subprefixes(of: length)
            where !prefixes.contains(where: { $0.overlaps(candidate) }) && !singles.contains(where: candidate.contains) {
                return candidate
            }
        }
        return nil
    }

    /// The lowest free address of a prefix (every address of a public prefix is usable), or of the pool outside
    /// any prefix when `prefix` is nil.
    func allocatePublicAddress(fromPrefix prefixID: String?, excluding excluded: String?) -> IPv4Address? {
        let used = Set(publicAddresses(excluding: excluded).map(\.address.value))
        if let prefixID {
            guard let stored = resources[prefixID.lowercased()],
                  let prefix = stored.body[path: "properties", "ipPrefix"]?.stringValue.flatMap(IPv4Prefix.init)
            else { return nil }
            return (prefix.first.value...prefix.last.value).first { !used.contains($0) }.map(IPv4Address.init)
        }
        let prefixes = allocatedPrefixes()
        for range in publicAddressPool {
            if let free = (range.first.value...range.last.value).first(where: { value in
                !used.contains(value) && !prefixes.contains { $0.contains(IPv4Address(value)) }
            }) {
                return IPv4Address(free)
            }
        }
        return nil
    }
}

/// Whether a child object's `name` equals `name` ignoring case, as ARM matches names.
func sameName(_ value: ARMValue, _ name: String) -> Bool {
    value["name"]?.stringValue?.caseInsensitiveCompare(name) == .orderedSame
}
