import Foundation
import Yams

/// The starting state of the emulated subscription, written as YAML: resource groups with their virtual
/// networks, scale-set pools with N instances and standalone VM pools, tagged as AKS tags them.
///
/// ```yaml
/// subscription: 1f7e3c2a-0000-4000-8000-000000000001
/// location: eastus
/// resourceGroups:
///   - name: MC_rg_cluster_eastus
///     virtualNetworks:
///       - name: aks-vnet
///         addressPrefixes: [10.224.0.0/12]
///         subnets: [{name: aks-subnet, addressPrefix: 10.224.0.0/16}]
///     scaleSets:
///       - {name: aks-gw-12345678-vmss, pool: gwpool, gatewayPrefixLength: 31, subnet: aks-vnet/aks-subnet, instances: 2}
///     virtualMachines:
///       - {name: aks-gwvm-0, pool: gwvm, gatewayPrefixLength: 31, subnet: aks-vnet/aks-subnet}
/// ```
public struct Seed: Codable, Sendable, Equatable {
    public var subscription: String
    public var location: String
    public var resourceGroups: [ResourceGroup]

    public init(subscription: String, location: String, resourceGroups: [ResourceGroup]) {
        self.subscription = subscription
        self.location = location
        self.resourceGroups = resourceGroups
    }

    public struct ResourceGroup: Codable, Sendable, Equatable {
        public var name: String
        public var location: String?
        public var virtualNetworks: [VirtualNetwork]?
        public var scaleSets: [ScaleSet]?
        public var virtualMachines: [VirtualMachine]?

        public init(name: String, location: String? = nil, virtualNetworks: [VirtualNetwork]? = nil,
                    scaleSets: [ScaleSet]? = nil, virtualMachines: [VirtualMachine]? = nil)
        {
            self.name = name
            self.location = location
            self.virtualNetworks = virtualNetworks
            self.scaleSets = scaleSets
            self.virtualMachines = virtualMachines
        }
    }

    public struct VirtualNetwork: Codable, Sendable, Equatable {
        public var name: String
        public var addressPrefixes: [String]
        public var subnets: [Subnet]

        public init(name: String, addressPrefixes: [String], subnets: [Subnet]) {
            self.name = name
            self.addressPrefixes = addressPrefixes
            self.subnets = subnets
        }
    }

    public struct Subnet: Codable, Sendable, Equatable {
        public var name: String
        public var addressPrefix: String

        public init(name: String, addressPrefix: String) {
            self.name = name
            self.addressPrefix = addressPrefix
        }
    }

    /// A VMSS node pool.
    public struct ScaleSet: Codable, Sendable, Equatable {
        public var name: String
        /// The `aks-managed-poolName` tag.
        public var pool: String
        /// A gateway pool's `aks-managed-gatewayIPPrefixSize` tag; absent for ordinary pools.
        public var gatewayPrefixLength: Int?
        /// `VNET/SUBNET` in the same resource group.
        public var subnet: String
        public var instances: Int
        public var tags: [String: String]?
        /// What to give each instance, in order, instead of the generated computer name and the lowest free
        /// primary address: how the sandbox makes instances match the nodes it has already wired. When present
        /// it has one entry per instance.
        public var pinnedInstances: [PinnedInstance]?

        public init(name: String, pool: String, gatewayPrefixLength: Int? = nil, subnet: String, instances: Int,
                    tags: [String: String]? = nil, pinnedInstances: [PinnedInstance]? = nil)
        {
            self.name = name
            self.pool = pool
            self.gatewayPrefixLength = gatewayPrefixLength
            self.subnet = subnet
            self.instances = instances
            self.tags = tags
            self.pinnedInstances = pinnedInstances
        }
    }

    /// A scale-set instance's fixed computer name and NIC primary address (either may be left to the emulator).
    public struct PinnedInstance: Codable, Sendable, Equatable {
        public var computerName: String?
        public var primaryIP: String?

        public init(computerName: String? = nil, primaryIP: String? = nil) {
            self.computerName = computerName
            self.primaryIP = primaryIP
        }
    }

    /// A standalone VM with a pre-created NIC (an AKS "VirtualMachines" pool member).
    public struct VirtualMachine: Codable, Sendable, Equatable {
        public var name: String
        public var pool: String
        public var gatewayPrefixLength: Int?
        public var subnet: String
        public var tags: [String: String]?
    }

    /// Parses YAML (or JSON) text.
    public init(yaml text: String) throws(SeedError) {
        do {
            self = try YAMLDecoder().decode(Seed.self, from: text)
        } catch {
            throw .unreadable("\(error)")
        }
    }

    public init(contentsOfFile path: String) throws(SeedError) {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { throw .unreadable("cannot read \(path)") }
        try self.init(yaml: text)
    }
}

/// Why a seed cannot be applied; names the field and its value.
public enum SeedError: Error, Sendable, Equatable, CustomStringConvertible {
    case unreadable(String)
    case invalid(field: String, value: String, reason: String)
    case refused(field: String, ARMError)

    public var description: String {
        switch self {
        case .unreadable(let reason): "seed: \(reason)"
        case .invalid(let field, let value, let reason): "seed: \(field) \"\(value)\": \(reason)"
        case .refused(let field, let error): "seed: \(field): ARM refused it: \(error)"
        }
    }
}

/// A node the seed created, with what the sandbox needs to give it a network namespace and an IMDS identity.
public struct SeededNode: Sendable, Equatable, Codable {
    /// The name Kubernetes knows the node by: the computer name of a scale-set instance, the VM name otherwise.
    public var name: String
    public var pool: String
    public var isGateway: Bool
    /// Empty for a standalone VM.
    public var scaleSet: String
    /// The scale-set instance ID; empty for a standalone VM.
    public var instanceID: String
    public var resourceGroup: String
    public var resourceID: String
    public var nicName: String
    public var primaryIP: String
    /// The subnet prefix of the primary IP, `a.b.c.d/n`.
    public var subnetPrefix: String
    /// The tags IMDS reports for the node.
    public var tags: [String: String]
}

extension ARMEmulator {
    /// Creates what `seed` describes and returns its nodes, in seed order.
    @discardableResult
    public func apply(_ seed: Seed) throws(SeedError) -> [SeededNode] {
        var nodes: [SeededNode] = []
        for (groupIndex, group) in seed.resourceGroups.enumerated() {
            let field = "resourceGroups[\(groupIndex)]"
            let location = group.location ?? seed.location
            addResourceGroup(subscription: seed.subscription, name: group.name, location: location)
            let base = "/subscriptions/\(seed.subscription)/resourceGroups/\(group.name)/providers"
            func create(_ field: String, _ path: String, _ body: ARMValue) throws(SeedError) -> ARMValue {
                guard let id = ResourceID(path) else { throw .invalid(field: field, value: path, reason: "not a resource ID") }
                do { return try self.create(id, body) } catch { throw .refused(field: field, error) }
            }
            for (index, vnet) in (group.virtualNetworks ?? []).enumerated() {
                _ = try create("\(field).virtualNetworks[\(index)]", "\(base)/Microsoft.Network/virtualNetworks/\(vnet.name)", [
                    "location": .string(location),
                    "properties": [
                        "addressSpace": ["addressPrefixes": .array(vnet.addressPrefixes.map(ARMValue.string))],
                        "subnets": .array(vnet.subnets.map { ["name": .string($0.name), "properties": ["addressPrefix": .string($0.addressPrefix)]] }),
                    ],
                ])
            }
            func subnet(_ field: String, _ reference: String) throws(SeedError) -> (id: String, prefix: String) {
                let parts = reference.split(separator: "/").map(String.init)
                guard parts.count == 2,
                      let vnet = group.virtualNetworks?.first(where: { $0.name.caseInsensitiveCompare(parts[0]) == .orderedSame }),
                      let subnet = vnet.subnets.first(where: { $0.name.caseInsensitiveCompare(parts[1]) == .orderedSame })
                else { throw .invalid(field: field, value: reference, reason: "names no VNET/SUBNET of this resource group") }
                return ("\(base)/Microsoft.Network/virtualNetworks/\(vnet.name)/subnets/\(subnet.name)", subnet.addressPrefix)
            }
            func poolTags(_ pool: String, _ prefixLength: Int?, _ extra: [String: String]?) -> [String: String] {
                var tags = extra ?? [:]
                tags["aks-managed-poolName"] = pool
                if let prefixLength { tags["aks-managed-gatewayIPPrefixSize"] = String(prefixLength) }
                return tags
            }
            for (index, pool) in (group.scaleSets ?? []).enumerated() {
                let poolField = "\(field).scaleSets[\(index)]"
                guard pool.instances >= 0 else {
                    throw .invalid(field: "\(poolField).instances", value: String(pool.instances), reason: "must not be negative")
                }
                if let pins = pool.pinnedInstances, pins.count != pool.instances {
                    throw .invalid(field: "\(poolField).pinnedInstances", value: String(pins.count),
                                   reason: "needs one entry per instance (\(pool.instances))")
                }
                let (subnetID, prefix) = try subnet("\(poolField).subnet", pool.subnet)
                let tags = poolTags(pool.pool, pool.gatewayPrefixLength, pool.tags)
                let path = "\(base)/Microsoft.Compute/virtualMachineScaleSets/\(pool.name)"
                _ = try create(poolField, path, [
                    "location": .string(location), "tags": .object(tags.mapValues(ARMValue.string)),
                    "sku": ["name": "Standard_D2s_v3", "tier": "Standard", "capacity": .integer(Int64(pool.instances))],
                    "properties": [
                        "orchestrationMode": "Uniform", "upgradePolicy": ["mode": "Manual"],
                        "virtualMachineProfile": [
                            "osProfile": ["computerNamePrefix": .string(pool.name), "adminUsername": "azureuser"],
                            "networkProfile": ["networkInterfaceConfigurations": [[
                                "name": .string(pool.name),
                                "properties": [
                                    "primary": true, "enableIPForwarding": true,
                                    "ipConfigurations": [["name": "ipconfig1",
                                                          "properties": ["primary": true, "subnet": ["id": .string(subnetID)]]]],
                                ],
                            ]]],
                        ],
                    ],
                ])
                var instances: [ARMValue]
                do { instances = try addInstances(to: ResourceID(path)!, count: pool.instances) } catch {
                    throw .refused(field: "\(poolField).instances", error)
                }
                for (index, pin) in (pool.pinnedInstances ?? []).enumerated() {
                    guard let id = instances[index]["id"]?.stringValue.flatMap(ResourceID.init) else { continue }
                    do {
                        defer { notifyObservers() }
                        instances[index] = try state.withLock { (state: inout FabricState) throws(ARMError) -> ARMValue in
                            try state.atomically { (state: inout FabricState) throws(ARMError) -> ARMValue in
                                try state.pin(instance: id, computerName: pin.computerName, primaryIP: pin.primaryIP)
                            }
                        }
                    } catch {
                        throw .refused(field: "\(poolField).pinnedInstances[\(index)]", error)
                    }
                }
                for instance in instances {
                    let instanceID = instance["instanceId"]?.stringValue ?? ""
                    let nicPath = "\(path)/virtualMachines/\(instanceID)/networkInterfaces/\(pool.name)"
                    nodes.append(SeededNode(
                        name: instance[path: "properties", "osProfile", "computerName"]?.stringValue ?? "",
                        pool: pool.pool, isGateway: pool.gatewayPrefixLength != nil, scaleSet: pool.name,
                        instanceID: instanceID, resourceGroup: group.name, resourceID: instance["id"]?.stringValue ?? "",
                        nicName: pool.name, primaryIP: primaryIP(nicPath), subnetPrefix: prefix, tags: tags))
                }
            }
            for (index, vm) in (group.virtualMachines ?? []).enumerated() {
                let vmField = "\(field).virtualMachines[\(index)]"
                let (subnetID, prefix) = try subnet("\(vmField).subnet", vm.subnet)
                let nicName = "\(vm.name)-nic"
                let vmPath = "\(base)/Microsoft.Compute/virtualMachines/\(vm.name)"
                let nicPath = "\(base)/Microsoft.Network/networkInterfaces/\(nicName)"
                var tags = poolTags(vm.pool, vm.gatewayPrefixLength, vm.tags)
                var nicTags = ["aks-managed-poolName": vm.pool]
                if vm.gatewayPrefixLength != nil { nicTags["aks-managed-static-gateway-nic"] = "true" }
                _ = try create("\(vmField) NIC", nicPath, [
                    "location": .string(location), "tags": .object(nicTags.mapValues(ARMValue.string)),
                    "properties": [
                        "ipConfigurations": [["name": "ipconfig1", "properties": ["primary": true, "subnet": ["id": .string(subnetID)]]]],
                        "virtualMachine": ["id": .string(vmPath)],
                    ],
                ])
                _ = try create(vmField, vmPath, [
                    "location": .string(location), "tags": .object(tags.mapValues(ARMValue.string)),
                    "properties": [
                        "osProfile": ["computerName": .string(vm.name), "adminUsername": "azureuser"],
                        "networkProfile": ["networkInterfaces": [["id": .string(nicPath), "properties": ["primary": true]]]],
                    ],
                ])
                // The daemon finds its NIC's entry in the VMConfig status through this IMDS tag (spec §1.6).
                tags["aks-managed-nic-name"] = nicName
                nodes.append(SeededNode(
                    name: vm.name, pool: vm.pool, isGateway: vm.gatewayPrefixLength != nil, scaleSet: "", instanceID: "",
                    resourceGroup: group.name, resourceID: vmPath, nicName: nicName, primaryIP: primaryIP(nicPath),
                    subnetPrefix: prefix, tags: tags))
            }
        }
        return nodes
    }

    private func primaryIP(_ nicPath: String) -> String {
        guard let id = ResourceID(nicPath), let nic = resource(id) else { return "" }
        let configurations = nic[path: "properties", "ipConfigurations"]?.arrayValue ?? []
        let primary = configurations.first { $0[path: "properties", "primary"]?.boolValue == true } ?? configurations.first
        return primary?[path: "properties", "privateIPAddress"]?.stringValue ?? ""
    }
}

extension SeededNode {
    /// What IMDS tells this node about itself.
    public func imdsInstance(subscription: String, location: String, identities: [IMDSEmulator.ManagedIdentity] = [])
        -> IMDSEmulator.Instance
    {
        let prefix = IPv4Prefix(subnetPrefix)
        return IMDSEmulator.Instance(
            name: scaleSet.isEmpty ? name : "\(scaleSet)_\(instanceID)", computerName: name, subscriptionID: subscription,
            resourceGroup: resourceGroup, location: location, scaleSetName: scaleSet, resourceID: resourceID, tags: tags,
            privateIP: primaryIP, subnetAddress: prefix?.network.description ?? "", subnetPrefixLength: prefix?.length ?? 0,
            identities: identities)
    }
}
