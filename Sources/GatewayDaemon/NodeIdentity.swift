import Azure
import EgressGatewayAPI
import Kube
import Netlink

/// Who this gateway node is in Azure's eyes, as the instance metadata service describes it: what
/// decides whether a StaticGatewayConfiguration targets the node, and which entry of a
/// GatewayVMConfiguration's `gatewayVMProfiles` carries its IPs.
///
/// The Kubernetes node name plays no part here (it only names the GatewayStatus object), exactly
/// as in the Go daemon.
public struct NodeIdentity: Hashable, Sendable {
    /// `compute.osProfile.computerName`: what the operator writes as `nodeName` for VMSS pools.
    public let computerName: String
    /// `compute.vmScaleSetName`.
    public let vmScaleSetName: String
    /// `compute.resourceGroupName`.
    public let resourceGroupName: String
    /// `compute.tags` as the Go daemon reads it for pool matching: `k1:v1;k2:v2`, keys and values
    /// trimmed, parts that are not exactly one `key:value` pair dropped.
    public let tags: [String: String]
    /// The `aks-managed-nic-name` tag read the Go daemon's other way (untrimmed, last one wins):
    /// what the operator writes as `nodeName` for VM pools.
    public let nicName: String?

    public init(computerName: String, vmScaleSetName: String, resourceGroupName: String, tagText: String) {
        self.computerName = computerName
        self.vmScaleSetName = vmScaleSetName
        self.resourceGroupName = resourceGroupName
        tags = NodeTags(parsing: tagText).values
        nicName = NodeTags.nicName(in: tagText)
    }

    /// The identity in an instance metadata document.
    public init(_ instance: InstanceMetadata) {
        self.init(computerName: instance.compute.computerName, vmScaleSetName: instance.compute.vmScaleSetName,
                  resourceGroupName: instance.compute.resourceGroupName, tagText: instance.compute.tags)
    }

    /// Whether `gateway` targets this node: by pool name tag when it names a node pool, else by
    /// VMSS name and resource group (both case-insensitive, as Azure names are).
    public func isTargeted(by gateway: StaticGatewayConfiguration) -> Bool {
        let spec = gateway.spec
        if !spec.gatewayNodepoolName.isEmpty {
            guard let pool = tags[NodeTags.poolNameKey] else { return false }
            return pool.lowercased() == spec.gatewayNodepoolName.lowercased()
        }
        return spec.gatewayVmssProfile.vmssName.lowercased() == vmScaleSetName.lowercased()
            && spec.gatewayVmssProfile.vmssResourceGroup.lowercased() == resourceGroupName.lowercased()
    }

    /// The node's primary and secondary IP in `configuration` (the GatewayVMConfiguration of the
    /// same namespace and name as the gateway): the first profile whose `nodeName` is the
    /// computer name or the NIC name, compared exactly.
    public func addresses(in configuration: GatewayVMConfiguration?, of gateway: ObjectKey) throws(GatewayDaemonError) -> NodeAddresses {
        guard let configuration else { throw .vmProfileMissing(gateway: gateway, reason: "no GatewayVMConfiguration \(gateway)") }
        guard let status = configuration.status else {
            throw .vmProfileMissing(gateway: gateway, reason: "status is nil for GatewayVMConfiguration \(gateway)")
        }
        let profile = status.gatewayVMProfiles.first { $0.nodeName == computerName || (nicName != nil && $0.nodeName == nicName) }
        guard let profile, !profile.primaryIP.isEmpty, !profile.secondaryIP.isEmpty else {
            throw .vmProfileMissing(gateway: gateway, reason: "failed to find primary or secondary IP for node \(computerName)")
        }
        guard let primary = IPAddress(profile.primaryIP), primary.isIPv4 else {
            throw .invalidField(object: "GatewayVMConfiguration \(gateway)", field: "status.gatewayVMProfiles[].primaryIP",
                                value: profile.primaryIP, reason: "not an IPv4 address")
        }
        guard let secondary = IPAddress(profile.secondaryIP), secondary.isIPv4 else {
            throw .invalidField(object: "GatewayVMConfiguration \(gateway)", field: "status.gatewayVMProfiles[].secondaryIP",
                                value: profile.secondaryIP, reason: "not an IPv4 address")
        }
        return NodeAddresses(primaryIP: primary, secondaryIP: secondary)
    }
}

/// The node's IPs for one gateway, from its VM profile.
public struct NodeAddresses: Hashable, Sendable {
    public let primaryIP: IPAddress
    public let secondaryIP: IPAddress
}
