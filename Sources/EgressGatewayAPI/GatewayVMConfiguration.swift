import Kube

/// The operator's gateway-node request of one GatewayLBConfiguration (same namespace and name, owned by it):
/// secondary IP configurations on the gateway VMs and, in public mode, the public IP prefix.
public struct GatewayVMConfiguration: KubernetesObject, Hashable {
    public static let resource = ResourceDescriptor(
        group: EgressGateway.group, version: EgressGateway.version, kind: "GatewayVMConfiguration",
        plural: "gatewayvmconfigurations", namespaced: true)

    public var metadata = ObjectMeta()
    public var spec = GatewayVMConfigurationSpec()
    /// Absent until the VM controller first writes it (a Go pointer).
    public var status: GatewayVMConfigurationStatus?
    public var unknownFields: [String: JSONValue] = [:]

    public init() {}

    public init(metadata: ObjectMeta, spec: GatewayVMConfigurationSpec, status: GatewayVMConfigurationStatus? = nil) {
        self.metadata = metadata
        self.spec = spec
        self.status = status
    }

    public static let codingFields: [CodingField<GatewayVMConfiguration>] = objectFields() + [
        .always("spec", \.spec),
        .optional("status", \.status),
    ]
}

public typealias GatewayVMConfigurationList = KubernetesList<GatewayVMConfiguration>

/// A copy of the LB configuration's gateway target.
public struct GatewayVMConfigurationSpec: GatewayTargetSpec, PreservingCodable, Hashable, SchemaDescribed {
    public var gatewayNodepoolName = ""
    public var gatewayVmssProfile = GatewayVmssProfile()
    public var provisionPublicIps = true
    public var publicIpPrefixId = ""
    public var unknownFields: [String: JSONValue] = [:]

    public init() {}

    /// The target of `source` (normally the owning LB configuration's spec).
    public init(copying source: some GatewayTargetSpec) {
        copyTarget(from: source)
    }

    public static let codingFields: [CodingField<GatewayVMConfigurationSpec>] = targetFields()

    public static let schema = JSONSchema.object(
        "The gateway target copied from the GatewayLBConfiguration.", fields: codingFields,
        required: ["provisionPublicIps"])
}

public struct GatewayVMConfigurationStatus: PreservingCodable, Hashable, SchemaDescribed {
    /// Same meaning as the SGC's `status.egressIpPrefix`.
    public var egressIpPrefix = ""
    /// The gateway VMs and their IPs.
    public var gatewayVMProfiles: [GatewayVMProfile] = []
    public var observedGeneration: Int64 = 0
    public var conditions: [Condition] = []
    public var unknownFields: [String: JSONValue] = [:]

    public init() {}

    public init(egressIpPrefix: String, gatewayVMProfiles: [GatewayVMProfile] = []) {
        self.egressIpPrefix = egressIpPrefix
        self.gatewayVMProfiles = gatewayVMProfiles
    }

    public static let codingFields: [CodingField<GatewayVMConfigurationStatus>] = [
        .omitEmpty("egressIpPrefix", \.egressIpPrefix, schema: .string(
            "Egress source: the public IP prefix CIDR, or the gateway private IPs joined by commas.")),
        .omitEmpty("gatewayVMProfiles", \.gatewayVMProfiles, schema: .array(
            "The gateway VMs and their IPs.", of: GatewayVMProfile.schema)),
        .omitEmpty("observedGeneration", \.observedGeneration, schema: .integer(
            "The metadata.generation this status was computed from.", format: "int64", minimum: 0)),
        .omitEmpty("conditions", \.conditions, schema: Condition.listSchema),
    ]

    public static let schema = JSONSchema.object("The gateway VMs serving the configuration.", fields: codingFields)
}

/// One gateway VM. Note the JSON capitalisation `primaryIP` / `secondaryIP`.
public struct GatewayVMProfile: PreservingCodable, Hashable, SchemaDescribed {
    /// VMSS pools: the instance's computer name. VM pools: the NIC name (the daemon matches it through the
    /// `aks-managed-nic-name` VM tag).
    public var nodeName = ""
    public var primaryIP = ""
    /// The secondary IP the gateway sends egress traffic from.
    public var secondaryIP = ""
    public var unknownFields: [String: JSONValue] = [:]

    public init() {}

    public init(nodeName: String, primaryIP: String, secondaryIP: String) {
        self.nodeName = nodeName
        self.primaryIP = primaryIP
        self.secondaryIP = secondaryIP
    }

    public static let codingFields: [CodingField<GatewayVMProfile>] = [
        .omitEmpty("nodeName", \.nodeName, schema: .string(
            "The VMSS instance's computer name, or the NIC name for VM pools.")),
        .omitEmpty("primaryIP", \.primaryIP, schema: .string("Primary private IP of the gateway VM.")),
        .omitEmpty("secondaryIP", \.secondaryIP, schema: .string("Secondary private IP used for egress.")),
    ]

    public static let schema = JSONSchema.object("One gateway VM.", fields: codingFields)
}
