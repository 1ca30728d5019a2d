/// The operator's view of the internal load balancer: the members it reads and writes, by ARM JSON name. A
/// `GatewayFabric` maps it to and from ARM and keeps every member not listed here as it was read, so a PUT of a
/// changed view is "the object as read plus the changes" (spec §3.4 j).
public struct LoadBalancer: Sendable, Hashable {
    public var name: String
    public var location: String
    /// False when ARM answered without `properties` (the Go operator's "lb property is empty").
    public var hasProperties: Bool
    public var frontends: [Frontend]
    public var backends: [BackendPool]
    public var rules: [Rule]
    public var probes: [Probe]

    public init(name: String, location: String, hasProperties: Bool = true, frontends: [Frontend] = [],
                backends: [BackendPool] = [], rules: [Rule] = [], probes: [Probe] = []) {
        self.name = name
        self.location = location
        self.hasProperties = hasProperties
        self.frontends = frontends
        self.backends = backends
        self.rules = rules
        self.probes = probes
    }

    /// A `frontendIPConfigurations` item. Optional members are nil when ARM left them out.
    public struct Frontend: Sendable, Hashable {
        public var name: String
        public var id: String?
        public var hasProperties: Bool
        public var privateIPAddress: String?
        public var privateIPAddressVersion: String?
        public var privateIPAllocationMethod: String?
        public var subnetID: String?

        public init(name: String, id: String? = nil, hasProperties: Bool = true, privateIPAddress: String? = nil,
                    privateIPAddressVersion: String? = nil, privateIPAllocationMethod: String? = nil,
                    subnetID: String? = nil) {
            self.name = name
            self.id = id
            self.hasProperties = hasProperties
            self.privateIPAddress = privateIPAddress
            self.privateIPAddressVersion = privateIPAddressVersion
            self.privateIPAllocationMethod = privateIPAllocationMethod
            self.subnetID = subnetID
        }
    }

    /// A `backendAddressPools` item.
    public struct BackendPool: Sendable, Hashable {
        public var name: String
        public var id: String?
        /// Whether some NIC ipconfig is a member (ARM's read-only `backendIPConfigurations`): ARM refuses to remove
        /// a backend pool that still has members.
        public var hasMembers: Bool

        public init(name: String, id: String? = nil, hasMembers: Bool = false) {
            self.name = name
            self.id = id
            self.hasMembers = hasMembers
        }
    }

    /// A `loadBalancingRules` item.
    public struct Rule: Sendable, Hashable {
        public var name: String
        public var hasProperties: Bool
        public var transportProtocol: String?
        public var enableFloatingIP: Bool?
        public var frontendID: String?
        public var backendID: String?
        public var probeID: String?
        public var frontendPort: Int32?
        public var backendPort: Int32?

        public init(name: String, hasProperties: Bool = true, transportProtocol: String? = nil,
                    enableFloatingIP: Bool? = nil, frontendID: String? = nil, backendID: String? = nil,
                    probeID: String? = nil, frontendPort: Int32? = nil, backendPort: Int32? = nil) {
            self.name = name
            self.hasProperties = hasProperties
            self.transportProtocol = transportProtocol
            self.enableFloatingIP = enableFloatingIP
            self.frontendID = frontendID
            self.backendID = backendID
            self.probeID = probeID
            self.frontendPort = frontendPort
            self.backendPort = backendPort
        }
    }

    /// A `probes` item.
    public struct Probe: Sendable, Hashable {
        public var name: String
        public var hasProperties: Bool
        public var transportProtocol: String?
        public var port: Int32?
        public var requestPath: String?
        public var probeThreshold: Int32?
        public var intervalInSeconds: Int32?

        public init(name: String, hasProperties: Bool = true, transportProtocol: String? = nil, port: Int32? = nil,
                    requestPath: String? = nil, probeThreshold: Int32? = nil, intervalInSeconds: Int32? = nil) {
            self.name = name
            self.hasProperties = hasProperties
            self.transportProtocol = transportProtocol
            self.port = port
            self.requestPath = requestPath
            self.probeThreshold = probeThreshold
            self.intervalInSeconds = intervalInSeconds
        }
    }
}

extension String {
    /// ARM names and IDs compare case-insensitively.
    func equalFold(_ other: String?) -> Bool { other.map { lowercased() == $0.lowercased() } ?? false }
}
