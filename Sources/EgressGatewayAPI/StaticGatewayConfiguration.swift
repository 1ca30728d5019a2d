import Kube

/// The user-facing request for a static egress gateway: pods annotated with its name leave the cluster from the
/// egress IPs it provisions. Its status tells the CNI plugin and the gateway daemon where the gateway is.
public struct StaticGatewayConfiguration: KubernetesObject, Hashable {
    public static let resource = ResourceDescriptor(
        group: EgressGateway.group, version: EgressGateway.version, kind: "StaticGatewayConfiguration",
        plural: "staticgatewayconfigurations", namespaced: true)

    public var metadata = ObjectMeta()
    public var spec = StaticGatewayConfigurationSpec()
    /// Always written, with at least `gatewayServerProfile: {}`, as the Go type writes it.
    public var status = StaticGatewayConfigurationStatus()
    public var unknownFields: [String: JSONValue] = [:]

    public init() {}

    public init(metadata: ObjectMeta, spec: StaticGatewayConfigurationSpec,
                status: StaticGatewayConfigurationStatus = StaticGatewayConfigurationStatus()) {
        self.metadata = metadata
        self.spec = spec
        self.status = status
    }

    public static let codingFields: [CodingField<StaticGatewayConfiguration>] = objectFields() + [
        .always("spec", \.spec),
        .always("status", \.status),
    ]
}

public typealias StaticGatewayConfigurationList = KubernetesList<StaticGatewayConfiguration>

public struct StaticGatewayConfigurationSpec: GatewayTargetSpec, PreservingCodable, Hashable, SchemaDescribed {
    public var gatewayNodepoolName = ""
    public var gatewayVmssProfile = GatewayVmssProfile()
    /// Decoded as `staticEgressGateway` when absent (the CRD default), and always written.
    public var defaultRoute = DefaultRoute.staticEgressGateway
    /// Decoded as `true` when absent (the CRD default), and always written.
    public var provisionPublicIps = true
    public var publicIpPrefixId = ""
    /// Destinations that bypass the gateway (CIDRs).
    public var excludeCidrs: [String] = []
    public var unknownFields: [String: JSONValue] = [:]

    public init() {}

    public init(gatewayNodepoolName: String = "", gatewayVmssProfile: GatewayVmssProfile = GatewayVmssProfile(),
                defaultRoute: DefaultRoute = .staticEgressGateway, provisionPublicIps: Bool = true,
                publicIpPrefixId: String = "", excludeCidrs: [String] = []) {
        self.gatewayNodepoolName = gatewayNodepoolName
        self.gatewayVmssProfile = gatewayVmssProfile
        self.defaultRoute = defaultRoute
        self.provisionPublicIps = provisionPublicIps
        self.publicIpPrefixId = publicIpPrefixId
        self.excludeCidrs = excludeCidrs
    }

    public static let codingFields: [CodingField<StaticGatewayConfigurationSpec>] = targetFields() + [
        .always("defaultRoute", \.defaultRoute, schema: .string(
            "Where pods' default route goes: through the gateway (staticEgressGateway) or the normal Azure network"
                + " (azureNetworking).", enum: DefaultRoute.allowed.map(\.rawValue),
            default: DefaultRoute.staticEgressGateway.rawValue)),
        .omitEmpty("excludeCidrs", \.excludeCidrs, schema: .array(
            "Destination CIDRs that bypass the gateway.", of: .string("A destination CIDR."))),
    ]

    /// The upstream schema, plus CEL rules for the cross-field checks the Go operator makes in code.
    public static let schema = JSONSchema.object(
        "The gateway pool and egress IPs requested.", fields: codingFields, required: ["provisionPublicIps"]
    ).validated(by: StaticGatewayConfigurationRules.all)
}

public struct StaticGatewayConfigurationStatus: PreservingCodable, Hashable, SchemaDescribed {
    /// Public mode: the prefix CIDR (`1.2.3.4/31`). Private mode: the gateway IPs joined by commas, without `/32`.
    public var egressIpPrefix = ""
    public var gatewayServerProfile = GatewayServerProfile()
    /// `metadata.generation` of the spec this status describes (additive: the Go version does not write it).
    public var observedGeneration: Int64 = 0
    /// `Ready` and future conditions (additive: the Go version does not write them).
    public var conditions: [Condition] = []
    public var unknownFields: [String: JSONValue] = [:]

    public init() {}

    public init(egressIpPrefix: String, gatewayServerProfile: GatewayServerProfile) {
        self.egressIpPrefix = egressIpPrefix
        self.gatewayServerProfile = gatewayServerProfile
    }

    /// Whether the gateway daemon and the CNI plugin can use the configuration: the egress prefix, the gateway
    /// IP and port, its public key and the key Secret reference are all known (the Go daemon's readiness test).
    public var isProvisioned: Bool {
        !egressIpPrefix.isEmpty && !gatewayServerProfile.ip.isEmpty && gatewayServerProfile.port != 0
            && !gatewayServerProfile.publicKey.isEmpty && gatewayServerProfile.privateKeySecretRef != nil
    }

    public static let codingFields: [CodingField<StaticGatewayConfigurationStatus>] = [
        .omitEmpty("egressIpPrefix", \.egressIpPrefix, schema: .string(
            "Egress source: the public IP prefix CIDR, or the gateway private IPs joined by commas.")),
        .always("gatewayServerProfile", \.gatewayServerProfile, schema: GatewayServerProfile.schema),
        .omitEmpty("observedGeneration", \.observedGeneration, schema: .integer(
            "The metadata.generation this status was computed from.", format: "int64", minimum: 0)),
        .omitEmpty("conditions", \.conditions, schema: Condition.listSchema),
    ]

    public static let schema = JSONSchema.object("Where the gateway serves this configuration.", fields: codingFields)
}

/// The gateway side of the WireGuard tunnel: where pods connect and which key they expect.
public struct GatewayServerProfile: PreservingCodable, Hashable, SchemaDescribed {
    /// The internal load balancer's frontend IPv4.
    public var ip = ""
    /// The WireGuard port, equal on the LB frontend and the gateway nodes (6000–6999).
    public var port: Int32 = 0
    /// The gateway's WireGuard public key (base64, 44 characters).
    public var publicKey = ""
    /// The Secret holding the gateway's private key (`apiVersion: v1, kind: Secret, name, namespace`).
    public var privateKeySecretRef: ObjectReference?
    public var unknownFields: [String: JSONValue] = [:]

    public init() {}

    public init(ip: String, port: Int32, publicKey: String, privateKeySecretRef: ObjectReference?) {
        self.ip = ip
        self.port = port
        self.publicKey = publicKey
        self.privateKeySecretRef = privateKeySecretRef
    }

    public static let codingFields: [CodingField<GatewayServerProfile>] = [
        .omitEmpty("ip", \.ip, schema: .string("Frontend IP of the gateway load balancer.")),
        .omitEmpty("port", \.port, schema: .integer("WireGuard port of the gateway.")),
        .omitEmpty("publicKey", \.publicKey, schema: .string("WireGuard public key of the gateway.")),
        .optional("privateKeySecretRef", \.privateKeySecretRef, schema: ObjectReference.schema.described(
            "The Secret that holds the gateway's WireGuard private key.")),
    ]

    public static let schema = JSONSchema.object(
        "The gateway end of the WireGuard tunnel.", fields: codingFields)
}
