import Kube

/// What one gateway node has set up, written by its gateway daemon: one object per node, named after the node,
/// in the daemon's namespace, owned by the Node. Informational: no component reads it.
public struct GatewayStatus: KubernetesObject, Hashable {
    public static let resource = ResourceDescriptor(
        group: EgressGateway.group, version: EgressGateway.version, kind: "GatewayStatus",
        plural: "gatewaystatuses", namespaced: true)

    public var metadata = ObjectMeta()
    public var spec = GatewayStatusSpec()
    /// Always `{}`; kept so that fields a newer version adds survive.
    public var status = EmptyStatus()
    public var unknownFields: [String: JSONValue] = [:]

    public init() {}

    public init(metadata: ObjectMeta, spec: GatewayStatusSpec) {
        self.metadata = metadata
        self.spec = spec
    }

    public static let codingFields: [CodingField<GatewayStatus>] = objectFields() + [
        .always("spec", \.spec),
        .always("status", \.status),
    ]
}

public typealias GatewayStatusList = KubernetesList<GatewayStatus>

public struct GatewayStatusSpec: PreservingCodable, Hashable, SchemaDescribed {
    /// One entry per SGC whose WireGuard interface is up on the node.
    public var readyGatewayConfigurations: [GatewayConfiguration] = []
    /// One entry per pod peer configured on the node, keyed by public key.
    public var readyPeerConfigurations: [PeerConfiguration] = []
    public var unknownFields: [String: JSONValue] = [:]

    public init() {}

    public init(readyGatewayConfigurations: [GatewayConfiguration], readyPeerConfigurations: [PeerConfiguration]) {
        self.readyGatewayConfigurations = readyGatewayConfigurations
        self.readyPeerConfigurations = readyPeerConfigurations
    }

    public static let codingFields: [CodingField<GatewayStatusSpec>] = [
        .omitEmpty("readyGatewayConfigurations", \.readyGatewayConfigurations, schema: .array(
            "Gateway configurations whose WireGuard interface is ready on the node.", of: GatewayConfiguration.schema)),
        .omitEmpty("readyPeerConfigurations", \.readyPeerConfigurations, schema: .array(
            "Pod peers configured on the node.", of: PeerConfiguration.schema)),
    ]

    public static let schema = JSONSchema.object("What the gateway node has set up.", fields: codingFields)
}

/// One ready gateway configuration on a node.
public struct GatewayConfiguration: PreservingCodable, Hashable, SchemaDescribed {
    /// `namespace/name` of the SGC.
    public var staticGatewayConfiguration = ""
    /// The WireGuard interface, `wg-<port>`.
    public var interfaceName = ""
    public var unknownFields: [String: JSONValue] = [:]

    public init() {}

    public init(staticGatewayConfiguration: String, interfaceName: String) {
        self.staticGatewayConfiguration = staticGatewayConfiguration
        self.interfaceName = interfaceName
    }

    public static let codingFields: [CodingField<GatewayConfiguration>] = [
        .omitEmpty("staticGatewayConfiguration", \.staticGatewayConfiguration, schema: .string(
            "The StaticGatewayConfiguration, as namespace/name.")),
        .omitEmpty("interfaceName", \.interfaceName, schema: .string("The WireGuard interface.")),
    ]

    public static let schema = JSONSchema.object("A gateway configuration ready on the node.", fields: codingFields)
}

/// One pod peer configured on a gateway node.
public struct PeerConfiguration: PreservingCodable, Hashable, SchemaDescribed {
    /// `namespace/name` of the PodEndpoint.
    public var podEndpoint = ""
    public var interfaceName = ""
    /// The pod's WireGuard public key, which identifies the peer.
    public var publicKey = ""
    public var unknownFields: [String: JSONValue] = [:]

    public init() {}

    public init(podEndpoint: String, interfaceName: String, publicKey: String) {
        self.podEndpoint = podEndpoint
        self.interfaceName = interfaceName
        self.publicKey = publicKey
    }

    public static let codingFields: [CodingField<PeerConfiguration>] = [
        .omitEmpty("podEndpoint", \.podEndpoint, schema: .string("The PodEndpoint, as namespace/name.")),
        .omitEmpty("interfaceName", \.interfaceName, schema: .string("The WireGuard interface.")),
        .omitEmpty("publicKey", \.publicKey, schema: .string("WireGuard public key of the pod.")),
    ]

    public static let schema = JSONSchema.object("A pod peer configured on the node.", fields: codingFields)
}

/// The empty status of GatewayStatus and PodEndpoint: `{}` on the wire, with any newer members preserved.
public struct EmptyStatus: PreservingCodable, Hashable, SchemaDescribed {
    public var unknownFields: [String: JSONValue] = [:]

    public init() {}

    public static let codingFields: [CodingField<EmptyStatus>] = []

    public static let schema = JSONSchema.object("Unused; always empty.", fields: codingFields)
}
