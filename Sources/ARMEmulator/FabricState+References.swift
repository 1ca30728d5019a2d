/// References between resources: what ARM refuses to delete while in use, and the back-references it shows.
extension FabricState {
    /// Every NIC ipconfig (standalone and scale-set instance NICs) with its ID.
    func nicIPConfigurations() -> [(id: String, value: ARMValue)] {
        var result: [(String, ARMValue)] = []
        for resource in resources.values.sorted(by: { $0.sequence < $1.sequence })
        where resource.id.kind == .networkInterface || resource.id.kind == .scaleSetNIC {
            for configuration in resource.body[path: "properties", "ipConfigurations"]?.arrayValue ?? [] {
                result.append((configuration["id"]?.stringValue ?? "", configuration))
            }
        }
        return result
    }

    /// The ipconfigs of scale-set models, with the scale set that holds them.
    func scaleSetModelIPConfigurations() -> [(owner: ResourceID, value: ARMValue)] {
        all(.scaleSet).flatMap { scaleSet in
            let nics = scaleSet.body[path: "properties", "virtualMachineProfile", "networkProfile",
                                     "networkInterfaceConfigurations"]?.arrayValue ?? []
            return nics.flatMap { $0[path: "properties", "ipConfigurations"]?.arrayValue ?? [] }.map { (scaleSet.id, $0) }
        }
    }

    /// Who names a backend pool: NIC ipconfig IDs and scale sets.
    func backendPoolUsers(_ poolID: String) -> [String] {
        let key = poolID.lowercased()
        func names(_ configuration: ARMValue) -> Bool {
            (configuration[path: "properties", "loadBalancerBackendAddressPools"]?.arrayValue ?? [])
                .contains { $0.referenceID?.lowercased() == key }
        }
        var users = nicIPConfigurations().filter { names($0.value) }.map(\.id)
        for (owner, configuration) in scaleSetModelIPConfigurations() where names(configuration) && !users.contains(owner.path) {
            users.append(owner.path)
        }
        return users
    }

    /// The NIC ipconfigs and load-balancer frontends that use a public IP.
    func publicIPUsers(_ addressID: String) -> [String] {
        let key = addressID.lowercased()
        var users = nicIPConfigurations()
            .filter { $0.value[path: "properties", "publicIPAddress", "id"]?.stringValue?.lowercased() == key }.map(\.id)
        for lb in all(.loadBalancer) {
            for frontend in lb.body[path: "properties", "frontendIPConfigurations"]?.arrayValue ?? []
            where frontend[path: "properties", "publicIPAddress", "id"]?.stringValue?.lowercased() == key {
                users.append(frontend["id"]?.stringValue ?? lb.id.path)
            }
        }
        return users
    }

    /// Public IPs allocated from a prefix, and scale sets whose model draws from it.
    func prefixUsers(_ prefixID: String) -> [String] {
        let key = prefixID.lowercased()
        var users = publicAddresses().filter { $0.prefix == key }.sorted { $0.address < $1.address }.map(\.owner.path)
        for (owner, configuration) in scaleSetModelIPConfigurations()
        where configuration[path: "properties", "publicIPAddressConfiguration", "properties", "publicIPPrefix", "id"]?
            .stringValue?.lowercased() == key && !users.contains(owner.path)
        {
            users.append(owner.path)
        }
        return users
    }

    /// Refuses to delete a resource that others still reference, with ARM's codes.
    func checkNotInUse(_ resource: StoredResource) throws(ARMError) {
        let id = resource.id
        switch id.kind {
        case .publicIPAddress:
            if let user = publicIPUsers(id.path).first {
                throw ARMError(status: 400, code: "PublicIPAddressCannotBeDeleted",
                               message: "Public IP address \(id) can not be deleted since it is still allocated to "
                                   + "resource \(user). In order to delete the public IP, disassociate/detach the "
                                   + "Public IP address from the resource.")
            }
        case .publicIPPrefix:
            let users = prefixUsers(id.path)
            if !users.isEmpty {
                throw ARMError(status: 400, code: "InUsePublicIpPrefixCannotBeDeleted",
                               message: "Public IP prefix \(id) cannot be deleted since it is in use by "
                                   + users.joined(separator: ", ") + ".")
            }
        case .loadBalancer:
            for pool in resource.body[path: "properties", "backendAddressPools"]?.arrayValue ?? [] {
                guard let poolID = pool["id"]?.stringValue, let user = backendPoolUsers(poolID).first else { continue }
                let byScaleSet = ResourceID(user)?.kind == .scaleSet || user.lowercased().contains("/virtualmachinescalesets/")
                throw ARMError(status: 400,
                               code: byScaleSet ? "LoadBalancerInUseByVirtualMachineScaleSet" : "InUseBackendAddressPoolCannotBeDeleted",
                               message: "Load balancer \(id) cannot be deleted: its backend address pool \(poolID) is "
                                   + "in use by \(user).")
            }
        case .networkInterface:
            if let vm = resource.body[path: "properties", "virtualMachine", "id"]?.stringValue,
               resources[vm.lowercased()] != nil
            {
                throw ARMError(status: 400, code: "NicInUse",
                               message: "Network Interface \(id) is used by existing resource \(vm). In order to delete "
                                   + "the network interface, it must be dissociated from the resource.")
            }
        default:
            break
        }
    }

    /// The body with the read-only back-references ARM computes: pool members, the rules that use a frontend,
    /// pool or probe, the addresses drawn from a prefix, and the ipconfig that holds a public IP.
    func decorate(_ resource: StoredResource) -> ARMValue {
        var body = resource.body
        switch resource.id.kind {
        case .loadBalancer:
            let rules = body[path: "properties", "loadBalancingRules"]?.arrayValue ?? []
            func rulesUsing(_ member: String, _ childID: String?) -> ARMValue? {
                let users = rules.filter {
                    $0[path: "properties", member, "id"]?.stringValue?.lowercased() == childID?.lowercased()
                }.compactMap { $0["id"] }.map { ARMValue.object(["id": $0]) }
                return users.isEmpty ? nil : .array(users)
            }
            for (key, member) in [("frontendIPConfigurations", "frontendIPConfiguration"),
                                  ("backendAddressPools", "backendAddressPool"), ("probes", "probe")]
            {
                let children = (body[path: "properties", key]?.arrayValue ?? []).map { child -> ARMValue in
                    var child = child
                    let childID = child["id"]?.stringValue
                    child[path: "properties", "loadBalancingRules"] = rulesUsing(member, childID)
                    if key == "backendAddressPools", let childID {
                        let members = backendPoolUsers(childID).filter { ResourceID($0) == nil }
                            .map { ARMValue.object(["id": .string($0)]) }
                        child[path: "properties", "backendIPConfigurations"] = members.isEmpty ? nil : .array(members)
                    }
                    return child
                }
                body[path: "properties", key] = .array(children)
            }
        case .publicIPPrefix:
            let addresses = publicAddresses().filter { $0.prefix == resource.id.key }.sorted { $0.address < $1.address }
            body[path: "properties", "publicIPAddresses"] = addresses.isEmpty
                ? nil : .array(addresses.map { ["id": .string($0.owner.path)] })
        case .publicIPAddress, .scaleSetPublicIP:
            if let user = publicIPUsers(resource.id.path).first {
                body[path: "properties", "ipConfiguration"] = ["id": .string(user)]
            }
        default:
            break
        }
        return body
    }
}
