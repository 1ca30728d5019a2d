import Kube

/// A pod's end of the WireGuard tunnel, written by the CNI manager: named after the pod, in its namespace,
/// controller-owned by the Pod. The gateway daemon adds it as a peer.
public struct PodEndpoint: KubernetesObject, Hashable {
    public static let resource = ResourceDescriptor(
        group: EgressGateway.group, version: EgressGateway.version, kind: "PodEndpoint", plural: "podendpoints",
        namespaced: true)

    public var metadata = ObjectMeta()
    public var spec = PodEndpointSpec()
    /// Always `{}`.
    public var status = EmptyStatus()
    public var unknownFields: [String: JSONValue] = [:]

    public init() {}

    public init(metadata: ObjectMeta, spec: PodEndpointSpec) {
        self.metadata = metadata
        self.spec = spec
    }

    public static let codingFields: [CodingField<PodEndpoint>] = objectFields() + [
        .always("spec", \.spec),
        .always("status", \.status),
    ]
}

public typealias PodEndpointList = KubernetesList<PodEndpoint>

public struct PodEndpointSpec: PreservingCodable, Hashable, SchemaDescribed {
    /// Name of the SGC the pod uses, in the pod's namespace.
    public var staticGatewayConfiguration = ""
    /// The pod's IPv4 as a host CIDR (`10.244.0.20/32`), the peer's allowed IP on the gateway.
    public var podIpAddress = ""
    /// The pod's WireGuard public key.
    public var podPublicKey = ""
    public var unknownFields: [String: JSONValue] = [:]

    public init() {}

    public init(staticGatewayConfiguration: String, podIpAddress: String, podPublicKey: String) {
        self.staticGatewayConfiguration = staticGatewayConfiguration
        self.podIpAddress = podIpAddress
        self.podPublicKey = podPublicKey
    }

    public static let codingFields: [CodingField<PodEndpointSpec>] = [
        .omitEmpty("staticGatewayConfiguration", \.staticGatewayConfiguration, schema: .string(
            "Name of the StaticGatewayConfiguration the pod uses, in the pod's namespace.")),
        .omitEmpty("podIpAddress", \.podIpAddress, schema: .string("IPv4 of the pod, as a /32 CIDR.")),
        .omitEmpty("podPublicKey", \.podPublicKey, schema: .string("WireGuard public key of the pod.")),
    ]

    public static let schema = JSONSchema.object("The pod end of the tunnel.", fields: codingFields)
}
