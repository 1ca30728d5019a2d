import EgressGatewayAPI

/// One secondary ipconfig the gateway pool must carry: for one GatewayVMConfiguration, named
/// `egressgateway-<VMConfig uid>`. In public mode a VMSS ipconfig takes its public IP from `prefixID`, a VM-pool
/// NIC's carries the public IP `publicIPAddressID`; private mode has neither.
public struct GatewayIPConfiguration: Sendable, Hashable {
    public var name: String
    public var prefixID: String?
    public var publicIPAddressID: String?

    public init(name: String, prefixID: String?, publicIPAddressID: String? = nil) {
        self.name = name
        self.prefixID = prefixID
        self.publicIPAddressID = publicIPAddressID
    }

    /// The ipconfig as `interfaces` already carry it.
    init(_ ipconfig: IPConfiguration) {
        self.init(name: ipconfig.name, prefixID: ipconfig.publicIPConfiguration?.prefixID,
                  publicIPAddressID: ipconfig.publicIPAddressID)
    }
}

/// Why a gateway VMSS model or instance cannot take the ipconfigs.
public enum IPConfigurationError: Error, Equatable, CustomStringConvertible {
    case primaryInterfaceNotFound(owner: String)
    case primaryIPConfigurationNotFound(owner: String)
    case noSubnet(owner: String)

    public var description: String {
        switch self {
        case .primaryInterfaceNotFound(let owner): "\(owner) primary network interface not found"
        case .primaryIPConfigurationNotFound(let owner): "\(owner) primary ipConfig not found"
        case .noSubnet(let owner): "no subnetID found for \(owner)"
        }
    }
}

/// The network interfaces of one gateway VMSS model or instance with exactly the wanted secondary ipconfigs, for
/// every GatewayVMConfiguration of the pool at once (spec §4.5). Computing the whole pool in one pass is what
/// batches: several SGCs on one VMSS need one model PUT and one PUT per instance, not one per SGC.
///
/// Every `egressgateway-` ipconfig not wanted is removed, so a configuration that moved to another pool (or whose
/// VMConfig is gone) leaves nothing behind on this one (spec §8.2 item 10). The backend pool reference stays on the
/// primary ipconfig exactly while some `egressgateway-` ipconfig remains.
public enum IPConfigurationPlan {
    /// The changed interfaces, or nil when they already are as wanted (then nothing is written).
    /// - Parameter owner: names the model or instance in errors, such as `vmss(gw)`.
    public static func apply(
        _ wanted: [GatewayIPConfiguration], to interfaces: [NetworkInterfaceConfiguration], backendID: String,
        owner: String
    ) throws(IPConfigurationError) -> [NetworkInterfaceConfiguration]? {
        var result = interfaces
        guard let nicIndex = result.firstIndex(where: \.primary) else {
            if wanted.isEmpty { return nil }
            throw .primaryInterfaceNotFound(owner: owner)
        }
        var nic = result[nicIndex]
        guard let primaryIndex = nic.ipConfigurations.firstIndex(where: { $0.primary == true }) else {
            if wanted.isEmpty && !nic.ipConfigurations.contains(where: isManaged) { return nil }
            throw .primaryIPConfigurationNotFound(owner: owner)
        }
        let wantedNames = Set(wanted.map(\.name))
        nic.ipConfigurations.removeAll { isManaged($0) && !wantedNames.contains($0.name) }
        if !wanted.isEmpty {
            // Go dereferences the primary subnet unchecked (spec §8.2 item 3).
            guard let subnetID = nic.ipConfigurations.first(where: { $0.primary == true })?.subnetID else {
                throw .noSubnet(owner: owner)
            }
            for item in wanted {
                let expected = IPConfiguration(
                    name: item.name, primary: false, privateIPAddressVersion: "IPv4", subnetID: subnetID,
                    publicIPConfiguration: item.prefixID.map { PublicIPConfiguration(name: item.name, prefixID: $0) },
                    publicIPAddressID: item.publicIPAddressID)
                if let index = nic.ipConfigurations.firstIndex(where: { $0.name == item.name }) {
                    if !matches(nic.ipConfigurations[index], expected) { nic.ipConfigurations[index] = expected }
                } else {
                    nic.ipConfigurations.append(expected)
                }
            }
        }
        let primary = nic.ipConfigurations.firstIndex(where: { $0.primary == true }) ?? primaryIndex
        let needsBackend = nic.ipConfigurations.contains(where: isManaged)
        let hasBackend = nic.ipConfigurations[primary].backendPoolIDs.contains { backendID.equalFold($0) }
        if needsBackend && !hasBackend {
            nic.ipConfigurations[primary].backendPoolIDs.append(backendID)
        } else if !needsBackend && hasBackend {
            nic.ipConfigurations[primary].backendPoolIDs.removeAll { backendID.equalFold($0) }
        }
        result[nicIndex] = nic
        return result == interfaces ? nil : result
    }

    static func isManaged(_ configuration: IPConfiguration) -> Bool {
        configuration.name.hasPrefix(EgressGateway.managedResourcePrefix)
    }

    /// The `egressgateway-` ipconfigs on the primary interface, by name.
    public static func managed(on interfaces: [NetworkInterfaceConfiguration]) -> [String: IPConfiguration] {
        let configurations = interfaces.first(where: \.primary)?.ipConfigurations.filter(isManaged) ?? []
        return Dictionary(configurations.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// The Go `different` test, inverted: primary flag, IP version, subnet, public IP configuration name and prefix,
    /// and a NIC's public IP by ID (Go compares its name, which ARM does not return: a perpetual NIC PUT, spec §8.2
    /// item 6). IDs compare case-insensitively; nothing else is compared.
    static func matches(_ actual: IPConfiguration, _ expected: IPConfiguration) -> Bool {
        func sameID(_ lhs: String?, _ rhs: String?) -> Bool {
            switch (lhs, rhs) {
            case (nil, nil): true
            case let (lhs?, rhs?): lhs.lowercased() == rhs.lowercased()
            default: false
            }
        }
        guard (actual.primary ?? false) == (expected.primary ?? false),
            actual.privateIPAddressVersion == expected.privateIPAddressVersion,
            sameID(actual.subnetID, expected.subnetID), sameID(actual.publicIPAddressID, expected.publicIPAddressID)
        else { return false }
        switch (actual.publicIPConfiguration, expected.publicIPConfiguration) {
        case (nil, nil): return true
        case let (actual?, expected?): return actual.name == expected.name && sameID(actual.prefixID, expected.prefixID)
        default: return false
        }
    }
}

/// Egress IP bookkeeping of a GatewayVMConfiguration.
public enum GatewayIPs {
    /// Private-mode `egressIpPrefix`: the secondary IPs in numeric order joined by commas, so that the string only
    /// changes when the set does (Go follows Azure's list order, spec §8.2 item 19).
    public static func egressList(_ addresses: [String]) -> String {
        addresses.filter { !$0.isEmpty }.sorted { numeric($0).lexicographicallyPrecedes(numeric($1)) }.joined(separator: ",")
    }

    /// The VM profiles of the current gateway nodes only, sorted by node name: stale entries of nodes that left
    /// the pool are dropped (Go never prunes them for VM pools, spec §8.2 item 7).
    public static func profiles(_ current: [GatewayVMProfile]) -> [GatewayVMProfile] {
        var byNode: [String: GatewayVMProfile] = [:]
        for profile in current where !profile.nodeName.isEmpty { byNode[profile.nodeName] = profile }
        return byNode.values.sorted { $0.nodeName < $1.nodeName }
    }

    private static func numeric(_ address: String) -> [Int] {
        address.split(separator: ".").map { Int($0) ?? 0 }
    }
}
