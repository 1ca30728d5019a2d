import EgressGatewayAPI

/// The gateway nodes one configuration targets: a VMSS, or an AKS "VirtualMachines" agent pool.
public struct GatewayPool: Sendable, Hashable {
    public enum Kind: Sendable, Hashable {
        case scaleSet(resourceGroup: String, name: String)
        case virtualMachines(nodepoolName: String)
    }

    public var kind: Kind
    /// The LB frontend and backend name: the VMSS `uniqueId`, or the UUIDv3 of the node pool name.
    public var id: String
    /// Prefix length from the pool's `aks-managed-gatewayIPPrefixSize` tag or the VMSS profile; nil when not given
    /// or not an integer.
    public var prefixLength: Int32?
    /// The pool's `aks-managed-gatewayIPPrefixSize` tag as written; nil when absent or for a VMSS profile. It tells
    /// an unusable tag (`0`, `abc`) from a missing one in the error.
    public var prefixSizeTag: String?

    public init(kind: Kind, id: String, prefixLength: Int32? = nil, prefixSizeTag: String? = nil) {
        self.kind = kind
        self.id = id
        self.prefixLength = prefixLength
        self.prefixSizeTag = prefixSizeTag
    }
}

/// Why no gateway pool was found; the texts are the Go operator's.
public enum GatewayPoolError: Error, Equatable, CustomStringConvertible {
    case notFound(nodepoolName: String)
    case scaleSetNotFound(resourceGroup: String, name: String)
    case missingUniqueID(nodepoolName: String, vmssName: String, vmssResourceGroup: String)

    public var description: String {
        switch self {
        case .notFound(let nodepool): "gateway agent pool not found (gatewayNodepoolName \(nodepool))"
        case .scaleSetNotFound(let group, let name): "gateway vmss \(group)/\(name) not found"
        case .missingUniqueID(let nodepool, let name, let group):
            "gateway node pool does not have UID. gatewayPoolName=\(nodepool), vmssName=\(name), vmssResourceGroup=\(group)"
        }
    }
}

/// Finds the gateway pool of a spec. Both controllers use this one function and so one order, VMSS first (Go's
/// LB and VM controllers disagree, spec §8.2 item 4, which splits a pool matching both).
public enum GatewayPoolResolver {
    public static let poolNameTag = "aks-managed-poolName"
    public static let prefixSizeTag = "aks-managed-gatewayIPPrefixSize"

    public static func resolve(_ spec: some GatewayTargetSpec, fabric: some GatewayFabric) async throws -> GatewayPool {
        let nodepool = spec.gatewayNodepoolName
        guard !nodepool.isEmpty else {
            let profile = spec.gatewayVmssProfile
            guard let vmss = try await fabric.scaleSet(resourceGroup: profile.vmssResourceGroup, name: profile.vmssName)
            else { throw GatewayPoolError.scaleSetNotFound(resourceGroup: profile.vmssResourceGroup, name: profile.vmssName) }
            return try pool(of: vmss, nodepool: "", prefixLength: profile.publicIpPrefixSize)
        }
        if let vmss = try await fabric.scaleSets().first(where: { nodepool.equalFold($0.tags[poolNameTag]) }) {
            var found = try pool(of: vmss, nodepool: nodepool, prefixLength: vmss.tags[prefixSizeTag].flatMap { Int32($0) })
            found.prefixSizeTag = vmss.tags[prefixSizeTag]
            return found
        }
        if let vm = try await fabric.virtualMachines().first(where: { nodepool.equalFold($0.tags[poolNameTag]) }) {
            return GatewayPool(kind: .virtualMachines(nodepoolName: nodepool),
                               id: EgressGateway.vmPoolID(nodepoolName: nodepool),
                               prefixLength: vm.tags[prefixSizeTag].flatMap { Int32($0) },
                               prefixSizeTag: vm.tags[prefixSizeTag])
        }
        throw GatewayPoolError.notFound(nodepoolName: nodepool)
    }

    /// The pool a configuration was provisioned on before, as ``GatewayPool/Kind/recorded`` names it; nil when it no
    /// longer exists (then nothing of ours is left on it).
    static func resolve(recorded kind: GatewayPool.Kind, fabric: some GatewayFabric) async throws -> GatewayPool? {
        switch kind {
        case .scaleSet(let group, let name):
            guard let vmss = try await fabric.scaleSet(resourceGroup: group, name: name) else { return nil }
            return try pool(of: vmss, nodepool: "", prefixLength: nil)
        case .virtualMachines(let nodepool):
            return GatewayPool(kind: kind, id: EgressGateway.vmPoolID(nodepoolName: nodepool))
        }
    }

    private static func pool(of vmss: ScaleSetSummary, nodepool: String, prefixLength: Int32?) throws -> GatewayPool {
        guard !vmss.uniqueID.isEmpty else {
            throw GatewayPoolError.missingUniqueID(nodepoolName: nodepool, vmssName: vmss.name,
                                                   vmssResourceGroup: vmss.resourceGroup)
        }
        return GatewayPool(kind: .scaleSet(resourceGroup: vmss.resourceGroup, name: vmss.name), id: vmss.uniqueID,
                           prefixLength: prefixLength)
    }
}

/// What identifies a spec's pool before it is resolved: the node pool name (case-insensitive), or the VMSS.
struct PoolKey: Hashable {
    var nodepool: String
    var resourceGroup: String
    var scaleSet: String

    init(_ spec: some GatewayTargetSpec) {
        nodepool = spec.gatewayNodepoolName.lowercased()
        resourceGroup = spec.gatewayVmssProfile.vmssResourceGroup.lowercased()
        scaleSet = spec.gatewayVmssProfile.vmssName
    }
}

extension GatewayPool.Kind {
    /// The pool as the VM controller records it on a GatewayVMConfiguration (`vmss/<resource group>/<name>` or
    /// `vms/<node pool>`), so that it can clean up there after the configuration moved to another pool.
    var recorded: String {
        switch self {
        case .scaleSet(let group, let name): "vmss/\(group)/\(name)"
        case .virtualMachines(let nodepool): "vms/\(nodepool)"
        }
    }

    init?(recorded text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        switch (parts.first, parts.count) {
        case ("vmss", 3) where !parts[1].isEmpty && !parts[2].isEmpty:
            self = .scaleSet(resourceGroup: parts[1], name: parts[2])
        case ("vms", 2) where !parts[1].isEmpty:
            self = .virtualMachines(nodepoolName: parts[1])
        default:
            return nil
        }
    }

    /// Equal pools: resource groups and node pool names compare case-insensitively, as Azure and AKS do.
    func isSame(as other: GatewayPool.Kind) -> Bool {
        switch (self, other) {
        case (.scaleSet(let group, let name), .scaleSet(let otherGroup, let otherName)):
            group.equalFold(otherGroup) && name.equalFold(otherName)
        case (.virtualMachines(let nodepool), .virtualMachines(let otherNodepool)):
            nodepool.equalFold(otherNodepool)
        default:
            false
        }
    }
}
