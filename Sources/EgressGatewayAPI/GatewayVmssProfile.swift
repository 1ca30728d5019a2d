import Kube

/// A bring-your-own gateway VMSS (upstream / non-AKS mode), the alternative to `gatewayNodepoolName`.
///
/// The profile is "empty" when all three members are at their zero value; an absent `gatewayVmssProfile` and `{}`
/// decode to the same empty profile. It is always written, as `{}` when empty, exactly as the Go operator writes it.
public struct GatewayVmssProfile: PreservingCodable, Hashable, SchemaDescribed {
    /// Resource group of the VMSS, in the cloud config's subscription.
    public var vmssResourceGroup = ""
    public var vmssName = ""
    /// Prefix length of the public IP prefix used or created for the VMSS (0–31).
    public var publicIpPrefixSize: Int32 = 0
    public var unknownFields: [String: JSONValue] = [:]

    public init() {}

    public init(vmssResourceGroup: String, vmssName: String, publicIpPrefixSize: Int32) {
        self.vmssResourceGroup = vmssResourceGroup
        self.vmssName = vmssName
        self.publicIpPrefixSize = publicIpPrefixSize
    }

    /// Whether no member is set: the SGC then names a node pool instead.
    public var isEmpty: Bool { vmssResourceGroup.isEmpty && vmssName.isEmpty && publicIpPrefixSize == 0 }

    public static let codingFields: [CodingField<GatewayVmssProfile>] = [
        .omitEmpty("vmssResourceGroup", \.vmssResourceGroup, schema: .string(
            "Resource group of the gateway VMSS; it must be in the cluster's subscription.")),
        .omitEmpty("vmssName", \.vmssName, schema: .string("Name of the gateway VMSS.")),
        .omitEmpty("publicIpPrefixSize", \.publicIpPrefixSize, schema: .integer(
            "Prefix length of the public IP prefix used or created for this VMSS.", minimum: 0, maximum: 31)),
    ]

    public static let schema = JSONSchema.object(
        "A bring-your-own gateway VMSS, used instead of gatewayNodepoolName.", fields: codingFields)
}

/// Where a pod's default route goes (`spec.defaultRoute`); the CNI plugin acts on it, the operator ignores it.
/// Unknown values read from a server are kept as they are, and validation reports them.
public struct DefaultRoute: RawRepresentable, Codable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: String

    public init(rawValue: String) { self.rawValue = rawValue }

    /// Everything leaves through the gateway except `excludeCidrs` (the default).
    public static let staticEgressGateway = DefaultRoute(rawValue: "staticEgressGateway")
    /// The pod keeps its normal default route; only the gateway's own traffic uses the tunnel.
    public static let azureNetworking = DefaultRoute(rawValue: "azureNetworking")

    /// The values the CRD's enum allows, in schema order.
    public static let allowed: [DefaultRoute] = [.azureNetworking, .staticEgressGateway]

    public var description: String { rawValue }
}

/// The four spec members the SGC, its GatewayLBConfiguration and its GatewayVMConfiguration share: which gateway
/// pool to use and how egress IPs are provisioned. The operator copies them down the chain.
public protocol GatewayTargetSpec: Sendable {
    var gatewayNodepoolName: String { get set }
    var gatewayVmssProfile: GatewayVmssProfile { get set }
    var provisionPublicIps: Bool { get set }
    var publicIpPrefixId: String { get set }
}

extension GatewayTargetSpec {
    /// Copies the gateway target of `other` into this spec (the operator's SGC → LB → VM propagation).
    public mutating func copyTarget(from other: some GatewayTargetSpec) {
        gatewayNodepoolName = other.gatewayNodepoolName
        gatewayVmssProfile = other.gatewayVmssProfile
        provisionPublicIps = other.provisionPublicIps
        publicIpPrefixId = other.publicIpPrefixId
    }

    /// Whether both specs select the same gateway pool with the same IP provisioning.
    public func hasSameTarget(as other: some GatewayTargetSpec) -> Bool {
        gatewayNodepoolName == other.gatewayNodepoolName
            && gatewayVmssProfile.vmssResourceGroup == other.gatewayVmssProfile.vmssResourceGroup
            && gatewayVmssProfile.vmssName == other.gatewayVmssProfile.vmssName
            && gatewayVmssProfile.publicIpPrefixSize == other.gatewayVmssProfile.publicIpPrefixSize
            && provisionPublicIps == other.provisionPublicIps && publicIpPrefixId == other.publicIpPrefixId
    }
}

/// Schemas of the shared target members, so that the three CRDs describe them with the same words.
enum TargetSchema {
    static let gatewayNodepoolName = JSONSchema.string(
        "Name of the gateway node pool (the AKS agent pool name); exclusive with gatewayVmssProfile.")
    static let gatewayVmssProfile = GatewayVmssProfile.schema
    static let provisionPublicIps = JSONSchema.boolean(
        "Whether egress uses public IPs from a public IP prefix (true) or the gateway nodes' private IPs (false).",
        default: true)
    static let publicIpPrefixId = JSONSchema.string(
        "ARM ID of a bring-your-own public IP prefix; only with provisionPublicIps.")
}

extension GatewayTargetSpec where Self: PreservingCodable {
    /// Coding fields of the four shared members. `provisionPublicIps` is always written (Go has no `omitempty` on
    /// it) and `gatewayVmssProfile` is always written (a Go struct value).
    static func targetFields() -> [CodingField<Self>] {
        [
            .omitEmpty("gatewayNodepoolName", \.gatewayNodepoolName, schema: TargetSchema.gatewayNodepoolName),
            .always("gatewayVmssProfile", \.gatewayVmssProfile, schema: TargetSchema.gatewayVmssProfile),
            .always("provisionPublicIps", \.provisionPublicIps, schema: TargetSchema.provisionPublicIps),
            .omitEmpty("publicIpPrefixId", \.publicIpPrefixId, schema: TargetSchema.publicIpPrefixId),
        ]
    }
}
