import EgressGatewayAPI

/// Writing the secondary ipconfigs of a gateway pool (spec §4.5 VMSS, §4.6 VM pools) for every configuration of the
/// pool at once: this configuration's as computed now, the siblings' as they already are on the pool (their own
/// passes check them), and, when provisioning, the siblings not there yet, so that one write serves a whole wave of
/// new SGCs. A sibling whose prefix cannot be had now waits for its own pass: a failure here never removes a
/// sibling's ipconfig.
extension GatewayVMConfigurationReconciler {
    /// The ipconfig name of a configuration, `egressgateway-<VMConfig uid>`.
    static func ipConfigurationName(_ vmConfiguration: GatewayVMConfiguration) -> String {
        EgressGateway.managedResourceName(gatewayVMConfigurationUID: vmConfiguration.metadata.uid)
    }

    /// Applies the pool's ipconfigs to the VMSS model and every instance; returns the node profiles for `own`
    /// (none without it: on deletion only the siblings' stay).
    func applyToScaleSet(group: String, name: String, pool: GatewayPool, own: GatewayIPConfiguration?,
                         siblings: [GatewayVMConfiguration], addingAbsent: Bool) async throws -> [GatewayVMProfile] {
        let backendID = settings.cloud.backendID(pool.id)
        guard let model = try await fabric.scaleSetInterfaces(resourceGroup: group, name: name) else {
            throw OperatorError.fabric("vmss(\(name)) has empty network profile")
        }
        let present = IPConfigurationPlan.managed(on: model)
        let addable = addingAbsent
            ? await addableSiblings(siblings.filter { present[Self.ipConfigurationName($0)] == nil }, pool: pool) : [:]
        var wanted = own.map { [$0] } ?? []
        for sibling in siblings {
            let ipconfig = Self.ipConfigurationName(sibling)
            if let existing = present[ipconfig] {
                wanted.append(GatewayIPConfiguration(existing))
            } else if let added = addable[ipconfig] {
                wanted.append(added)
            }
        }
        if let changed = try IPConfigurationPlan.apply(wanted, to: model, backendID: backendID, owner: "vmss(\(name))") {
            try await fabric.putScaleSetInterfaces(resourceGroup: group, name: name, changed)
        }
        var profiles: [GatewayVMProfile] = []
        for var instance in try await fabric.scaleSetInstances(resourceGroup: group, name: name) {
            let owner = "vmss(\(name)) instance(\(instance.instanceID))"
            // Nothing of ours can be on an instance without NICs, so deletion passes over it.
            if instance.interfaces.isEmpty, own != nil {
                throw OperatorError.fabric("\(owner) has empty network profile")
            }
            let changed = try IPConfigurationPlan.apply(wanted, to: instance.interfaces, backendID: backendID, owner: owner)
            let failed = instance.provisioningState?.lowercased() == "failed"
            let missingIP = own.map { instance.privateIPs[$0.name, default: ""].isEmpty } ?? false
            if changed != nil || failed || missingIP {
                instance = try await fabric.putScaleSetInstanceInterfaces(
                    resourceGroup: group, name: name, instanceID: instance.instanceID, changed ?? instance.interfaces)
            }
            guard let own else { continue }
            guard let computerName = instance.computerName else {
                throw OperatorError.fabric("\(owner) has empty os profile")
            }
            let primary = instance.interfaces.first(where: \.primary)?.ipConfigurations.first { $0.primary == true }
            let primaryIP = primary.flatMap { instance.privateIPs[$0.name] } ?? ""
            let secondaryIP = instance.privateIPs[own.name] ?? ""
            guard !primaryIP.isEmpty, !secondaryIP.isEmpty else {
                throw OperatorError.fabric(
                    "failed to find private IP from vmss(\(name)), instance(\(instance.instanceID)), ipConfig(\(own.name))")
            }
            profiles.append(GatewayVMProfile(nodeName: computerName, primaryIP: primaryIP, secondaryIP: secondaryIP))
        }
        return profiles
    }

    /// Applies the pool's ipconfigs to every gateway NIC of a VM pool; returns the node profiles for `own`, named
    /// after the NICs. In public mode each NIC's ipconfig carries its own public IP from the prefix, created once
    /// and then only read (Go PUTs it on every pass). `releasingPublicIPsOf` names the prefix whose per-NIC public
    /// IPs go once the NIC no longer uses them (on deletion; Go leaks them, spec §8.2 items 5 and 8).
    func applyToNetworkInterfaces(nodepoolName: String, pool: GatewayPool, own: GatewayIPConfiguration?,
                                  siblings: [GatewayVMConfiguration], addingAbsent: Bool,
                                  releasingPublicIPsOf releasedPrefix: String? = nil) async throws -> [GatewayVMProfile] {
        let backendID = settings.cloud.backendID(pool.id)
        let nics = try await fabric.gatewayNetworkInterfaces(nodepoolName: nodepoolName)
        let absent = siblings.filter { sibling in
            nics.contains { IPConfigurationPlan.managed(on: [$0.configuration])[Self.ipConfigurationName(sibling)] == nil }
        }
        let addable = addingAbsent ? await addableSiblings(absent, pool: pool) : [:]
        var profiles: [GatewayVMProfile] = []
        for nic in nics {
            let present = IPConfigurationPlan.managed(on: [nic.configuration])
            var wanted: [GatewayIPConfiguration] = []
            if let own { wanted.append(try await bind(own, to: nic)) }
            for sibling in siblings {
                let ipconfig = Self.ipConfigurationName(sibling)
                if let existing = present[ipconfig] {
                    wanted.append(GatewayIPConfiguration(existing))
                } else if let added = addable[ipconfig], let bound = try? await bind(added, to: nic) {
                    wanted.append(bound)
                }
            }
            let changed = try IPConfigurationPlan.apply(wanted, to: [nic.configuration], backendID: backendID,
                                                        owner: "NIC(\(nic.id))")
            let failed = nic.provisioningState?.lowercased() == "failed"
            let missingIP = own.map { nic.privateIP(of: nil).isEmpty || nic.privateIP(of: $0.name).isEmpty } ?? false
            var current = nic
            if changed != nil || failed || missingIP {
                var updated = nic
                if let changed { updated.configuration = changed[0] }
                current = try await fabric.putGatewayNetworkInterface(updated)
            }
            if let releasedPrefix {
                try await fabric.deletePublicIPAddress(name: EgressGateway.publicIPName(prefixName: releasedPrefix,
                                                                                        nicName: nic.name))
            }
            guard let own else { continue }
            let primaryIP = current.privateIP(of: nil), secondaryIP = current.privateIP(of: own.name)
            guard !primaryIP.isEmpty, !secondaryIP.isEmpty else {
                throw OperatorError.fabric("failed to find private IP from nic(\(nic.id)), ipConfig(\(own.name))")
            }
            profiles.append(GatewayVMProfile(nodeName: nic.name, primaryIP: primaryIP, secondaryIP: secondaryIP))
        }
        return profiles
    }

    /// The ipconfig of `item` on one NIC: in public mode with the NIC's own public IP from the prefix.
    private func bind(_ item: GatewayIPConfiguration, to nic: GatewayNetworkInterface) async throws
        -> GatewayIPConfiguration
    {
        guard let prefixID = item.prefixID else { return item }
        let prefixName: String
        do {
            prefixName = try ARMResourceID(parsing: prefixID).name
        } catch {
            throw PublicIPPrefixError.malformedID(prefixID)
        }
        let name = EgressGateway.publicIPName(prefixName: prefixName, nicName: nic.name)
        var address = try await fabric.publicIPAddress(name: name)
        if address?.prefixID?.lowercased() != prefixID.lowercased() {
            address = try await fabric.createPublicIPAddress(name: name, prefixID: prefixID)
        }
        return GatewayIPConfiguration(name: item.name, prefixID: nil, publicIPAddressID: address?.id)
    }

    /// The ipconfigs of `siblings` from their prefixes, by name; those whose prefix cannot be had now are left out.
    /// The prefixes are read (and created) concurrently: each creation is a long-running operation, and a wave of
    /// new SGCs should wait for one, not for one after the other.
    private func addableSiblings(_ siblings: [GatewayVMConfiguration], pool: GatewayPool) async
        -> [String: GatewayIPConfiguration]
    {
        let cloud = settings.cloud, fabric = fabric
        return await withTaskGroup(of: GatewayIPConfiguration?.self) { group in
            for sibling in siblings {
                group.addTask {
                    let prefix: PublicIPPrefixPlan.Resolved?
                    do {
                        prefix = try await PublicIPPrefixPlan.ensure(for: sibling, pool: pool, cloud: cloud, fabric: fabric)
                    } catch {
                        return nil
                    }
                    return GatewayIPConfiguration(name: Self.ipConfigurationName(sibling), prefixID: prefix?.id)
                }
            }
            var result: [String: GatewayIPConfiguration] = [:]
            for await case let item? in group { result[item.name] = item }
            return result
        }
    }
}
