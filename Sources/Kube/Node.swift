/// core/v1 Node, with the members the project reads; everything else is preserved.
public struct Node: KubernetesObject, Hashable {
    public static let resource = ResourceDescriptor.node

    public var metadata = ObjectMeta()
    public var spec = NodeSpec()
    public var status = NodeStatus()
    public var unknownFields: [String: JSONValue] = [:]

    public init() {}

    public init(metadata: ObjectMeta, spec: NodeSpec = NodeSpec(), status: NodeStatus = NodeStatus()) {
        self.metadata = metadata
        self.spec = spec
        self.status = status
    }

    public static let codingFields: [CodingField<Node>] = objectFields() + [
        .always("spec", \.spec),
        .always("status", \.status),
    ]
}

public struct NodeSpec: PreservingCodable, Hashable {
    /// The cloud provider's ID of the machine (`<provider>://<provider-specific id>`).
    public var providerID = ""
    public var taints: [Taint] = []
    public var unschedulable = false
    public var unknownFields: [String: JSONValue] = [:]

    public init() {}

    public init(providerID: String = "", taints: [Taint] = [], unschedulable: Bool = false) {
        self.providerID = providerID
        self.taints = taints
        self.unschedulable = unschedulable
    }

    public static let codingFields: [CodingField<NodeSpec>] = [
        .omitEmpty("providerID", \.providerID),
        .omitEmpty("taints", \.taints),
        .omitEmpty("unschedulable", \.unschedulable),
    ]
}

/// A node taint: pods without a matching toleration are kept off (or evicted from) the node.
public struct Taint: PreservingCodable, Hashable {
    public var key = ""
    public var value = ""
    /// `NoSchedule`, `PreferNoSchedule` or `NoExecute`.
    public var effect = ""
    public var timeAdded: Timestamp?
    public var unknownFields: [String: JSONValue] = [:]

    public init() {}

    public init(key: String, value: String = "", effect: String) {
        self.key = key
        self.value = value
        self.effect = effect
    }

    public static let codingFields: [CodingField<Taint>] = [
        .always("key", \.key),
        .omitEmpty("value", \.value),
        .always("effect", \.effect),
        .optional("timeAdded", \.timeAdded),
    ]
}

public struct NodeStatus: PreservingCodable, Hashable {
    public var addresses: [NodeAddress] = []
    public var unknownFields: [String: JSONValue] = [:]

    public init() {}

    public init(addresses: [NodeAddress]) { self.addresses = addresses }

    public static let codingFields: [CodingField<NodeStatus>] = [.omitEmpty("addresses", \.addresses)]

    /// The first address of `type` (`InternalIP`, `ExternalIP`, `Hostname`).
    public func address(ofType type: String) -> String? { addresses.first { $0.type == type }?.address }
}

public struct NodeAddress: PreservingCodable, Hashable {
    /// `InternalIP`, `ExternalIP`, `Hostname`, `InternalDNS` or `ExternalDNS`.
    public var type = ""
    public var address = ""
    public var unknownFields: [String: JSONValue] = [:]

    public init() {}

    public init(type: String, address: String) {
        self.type = type
        self.address = address
    }

    public static let codingFields: [CodingField<NodeAddress>] = [
        .always("type", \.type),
        .always("address", \.address),
    ]
}
