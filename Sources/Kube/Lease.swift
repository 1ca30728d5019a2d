/// coordination.k8s.io/v1 Lease, the lock of leader election.
public struct Lease: KubernetesObject, Hashable {
    public static let resource = ResourceDescriptor.lease

    public var metadata = ObjectMeta()
    public var spec = LeaseSpec()
    public var unknownFields: [String: JSONValue] = [:]

    public init() {}

    public init(metadata: ObjectMeta, spec: LeaseSpec = LeaseSpec()) {
        self.metadata = metadata
        self.spec = spec
    }

    public static let codingFields: [CodingField<Lease>] = objectFields() + [.always("spec", \.spec)]
}

/// Who holds a lease and until when. Times are `MicroTime` (microseconds), as the API stores them.
public struct LeaseSpec: PreservingCodable, Hashable {
    public var holderIdentity: String?
    public var leaseDurationSeconds: Int32?
    public var acquireTime: MicroTimestamp?
    public var renewTime: MicroTimestamp?
    /// How many times the lease changed holder.
    public var leaseTransitions: Int32?
    public var unknownFields: [String: JSONValue] = [:]

    public init() {}

    public init(holderIdentity: String?, leaseDurationSeconds: Int32?, acquireTime: MicroTimestamp? = nil,
                renewTime: MicroTimestamp? = nil, leaseTransitions: Int32? = nil) {
        self.holderIdentity = holderIdentity
        self.leaseDurationSeconds = leaseDurationSeconds
        self.acquireTime = acquireTime
        self.renewTime = renewTime
        self.leaseTransitions = leaseTransitions
    }

    public static let codingFields: [CodingField<LeaseSpec>] = [
        .optional("holderIdentity", \.holderIdentity),
        .optional("leaseDurationSeconds", \.leaseDurationSeconds),
        .optional("acquireTime", \.acquireTime),
        .optional("renewTime", \.renewTime),
        .optional("leaseTransitions", \.leaseTransitions),
    ]
}
