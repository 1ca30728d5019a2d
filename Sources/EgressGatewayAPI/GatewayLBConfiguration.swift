import Kube

/// The operator's internal load-balancer request of one SGC (same namespace and name, owned by it).
public struct GatewayLBConfiguration: KubernetesObject, Hashable {
    public static let resource = ResourceDescriptor(
        group: EgressGateway.group, version: EgressGateway.version, kind: "GatewayLBConfiguration",
        plural: "gatewaylbconfigurations", namespaced: true)

    public var metadata = ObjectMeta()
    public var spec = GatewayLBConfigurationSpec()
    /// Absent until the LB controller first writes it (a Go pointer).
    public var status: GatewayLBConfigurationStatus?
    public var unknownFields: [String: JSONValue] = [:]

    public init() {}

    public init(metadata: ObjectMeta, spec: GatewayLBConfigurationSpec, status: GatewayLBConfigurationStatus? = nil) {
        self.metadata = metadata
        self.spec = spec
        self.status = status
    }

    public static let codingFields: [CodingField<GatewayLBConfiguration>] = objectFields() + [
        .always("spec", \.spec),
        .optional("status", \.status),
    ]
}

public typealias GatewayLBConfigurationList = KubernetesList<GatewayLBConfiguration>

/// A copy of the SGC's gateway target.
public struct GatewayLBConfigurationSpec: GatewayTargetSpec, PreservingCodable, Hashable, SchemaDescribed {
    public var gatewayNodepoolName = ""
    public var gatewayVmssProfile = GatewayVmssProfile()
    public var provisionPublicIps = true
    public var publicIpPrefixId = ""
    public var unknownFields: [String: JSONValue] = [:]

    public init() {}

    /// The target of `source` (normally the owning SGC's spec).
    public init(copying source: some GatewayTargetSpec) {
        copyTarget(from: source)
    }

    public static let codingFields: [CodingField<GatewayLBConfigurationSpec>] = targetFields()

    public static let schema = JSONSchema.object(
        "The gateway target copied from the StaticGatewayConfiguration.", fields: codingFields,
        required: ["provisionPublicIps"])
}

public struct GatewayLBConfigurationStatus: PreservingCodable, Hashable, SchemaDescribed {
    /// The LB frontend IP the pods connect to.
    public var frontendIp = ""
    /// The LB rule port (frontend = backend).
    public var serverPort: Int32 = 0
    public var egressIpPrefix = ""
    public var observedGeneration: Int64 = 0
    public var conditions: [Condition] = []
    public var unknownFields: [String: JSONValue] = [:]

    public init() {}

    public init(frontendIp: String, serverPort: Int32, egressIpPrefix: String) {
        self.frontendIp = frontendIp
        self.serverPort = serverPort
        self.egressIpPrefix = egressIpPrefix
    }

    public static let codingFields: [CodingField<GatewayLBConfigurationStatus>] = [
        .omitEmpty("frontendIp", \.frontendIp, schema: .string("Frontend IP of the gateway load balancer.")),
        .omitEmpty("serverPort", \.serverPort, schema: .integer("Port of the load-balancing rule.")),
        .omitEmpty("egressIpPrefix", \.egressIpPrefix, schema: .string(
            "Egress source copied from the GatewayVMConfiguration.")),
        .omitEmpty("observedGeneration", \.observedGeneration, schema: .integer(
            "The metadata.generation this status was computed from.", format: "int64", minimum: 0)),
        .omitEmpty("conditions", \.conditions, schema: Condition.listSchema),
    ]

    public static let schema = JSONSchema.object("The load balancer serving the gateway.", fields: codingFields)
}
