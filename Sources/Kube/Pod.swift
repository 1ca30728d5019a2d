/// core/v1 Pod, with the members the project reads; everything else is preserved.
public struct Pod: KubernetesObject, Hashable {
    public static let resource = ResourceDescriptor.pod

    public var metadata = ObjectMeta()
    public var spec = PodSpec()
    public var status = PodStatus()
    public var unknownFields: [String: JSONValue] = [:]

    public init() {}

    public init(metadata: ObjectMeta, spec: PodSpec = PodSpec(), status: PodStatus = PodStatus()) {
        self.metadata = metadata
        self.spec = spec
        self.status = status
    }

    public static let codingFields: [CodingField<Pod>] = objectFields() + [
        .always("spec", \.spec),
        .always("status", \.status),
    ]
}

public struct PodSpec: PreservingCodable, Hashable {
    /// The node the pod is scheduled to; empty while pending.
    public var nodeName = ""
    public var hostNetwork = false
    public var containers: [Container] = []
    public var unknownFields: [String: JSONValue] = [:]

    public init() {}

    public init(nodeName: String = "", hostNetwork: Bool = false, containers: [Container] = []) {
        self.nodeName = nodeName
        self.hostNetwork = hostNetwork
        self.containers = containers
    }

    // `containers` is required by the API (no omitempty), so it is always written.
    public static let codingFields: [CodingField<PodSpec>] = [
        .omitEmpty("nodeName", \.nodeName),
        .omitEmpty("hostNetwork", \.hostNetwork),
        .always("containers", \.containers),
    ]
}

/// A container of a pod: only its name is modelled; image, ports and the rest are preserved.
public struct Container: PreservingCodable, Hashable {
    public var name = ""
    public var unknownFields: [String: JSONValue] = [:]

    public init() {}

    public init(name: String, unknownFields: [String: JSONValue] = [:]) {
        self.name = name
        self.unknownFields = unknownFields
    }

    public static let codingFields: [CodingField<Container>] = [.always("name", \.name)]
}

public struct PodStatus: PreservingCodable, Hashable {
    /// `Pending`, `Running`, `Succeeded`, `Failed` or `Unknown`.
    public var phase = ""
    /// The primary pod IP; empty until the network is set up.
    public var podIP = ""
    /// All pod IPs (dual stack), the first equal to `podIP`.
    public var podIPs: [PodIP] = []
    public var hostIP = ""
    public var unknownFields: [String: JSONValue] = [:]

    public init() {}

    public init(phase: String = "", podIP: String = "", podIPs: [PodIP] = [], hostIP: String = "") {
        self.phase = phase
        self.podIP = podIP
        self.podIPs = podIPs
        self.hostIP = hostIP
    }

    public static let codingFields: [CodingField<PodStatus>] = [
        .omitEmpty("phase", \.phase),
        .omitEmpty("hostIP", \.hostIP),
        .omitEmpty("podIP", \.podIP),
        .omitEmpty("podIPs", \.podIPs),
    ]
}

public struct PodIP: PreservingCodable, Hashable {
    public var ip = ""
    public var unknownFields: [String: JSONValue] = [:]

    public init() {}

    public init(_ ip: String) { self.ip = ip }

    public static let codingFields: [CodingField<PodIP>] = [.omitEmpty("ip", \.ip)]
}
