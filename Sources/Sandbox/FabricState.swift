import Netlink

/// What Azure's data plane is configured to do, as far as the sandbox emulates it: the value the
/// ``Fabric`` turns into kernel state. Derived from the ARM resources (NIC ipconfigs, public IPs,
/// the internal load balancer); nothing in it is a kernel object.
public struct FabricState: Sendable, Hashable {
    /// Secondary IP configurations: Azure delivers packets for these addresses to the NIC that holds them.
    public var secondaryIPs: [SecondaryIP]
    /// Public IPs associated with ipconfigs (public mode): 1:1 NAT at the Internet edge.
    public var publicIPs: [PublicIPAssociation]
    /// Internal load-balancer rules with their probes.
    public var loadBalancerRules: [LoadBalancerRule]
    /// Where IMDS requests (169.254.169.254:80) go: a port on the host's control address.
    public var imdsPort: UInt16?

    public init(secondaryIPs: [SecondaryIP] = [], publicIPs: [PublicIPAssociation] = [],
                loadBalancerRules: [LoadBalancerRule] = [], imdsPort: UInt16? = nil) {
        self.secondaryIPs = secondaryIPs
        self.publicIPs = publicIPs
        self.loadBalancerRules = loadBalancerRules
        self.imdsPort = imdsPort
    }

    /// Every probe of every rule towards every backend: what the prober must watch.
    public var probeTargets: Set<ProbeTarget> {
        Set(loadBalancerRules.flatMap { rule in rule.backends.map { ProbeTarget(backend: $0, probe: rule.probe) } })
    }
}

/// A secondary private IP of a node's NIC.
public struct SecondaryIP: Sendable, Hashable {
    public var address: IPAddress
    /// The primary IP of the NIC (node) holding it.
    public var node: IPAddress
    public init(address: IPAddress, node: IPAddress) {
        self.address = address
        self.node = node
    }
}

/// A public IP bound to a private ipconfig address.
public struct PublicIPAssociation: Sendable, Hashable {
    public var privateAddress: IPAddress
    public var publicAddress: IPAddress
    public init(privateAddress: IPAddress, publicAddress: IPAddress) {
        self.privateAddress = privateAddress
        self.publicAddress = publicAddress
    }
}

/// The transport of a load-balancing rule.
public enum TransportProtocol: String, Sendable, Hashable {
    case udp
    case tcp
}

/// An HTTP health probe: a backend is healthy while `GET path` on its primary IP and `port` answers 200.
public struct HealthProbe: Sendable, Hashable {
    public var port: UInt16
    public var path: String
    public var intervalSeconds: Int
    /// Consecutive results needed to change a backend's state (Azure's `probeThreshold`).
    public var threshold: Int

    public init(port: UInt16, path: String, intervalSeconds: Int = 5, threshold: Int = 1) {
        self.port = port
        self.path = path
        self.intervalSeconds = max(1, intervalSeconds)
        self.threshold = max(1, threshold)
    }
}

/// One rule of the internal load balancer, with floating IP: packets to `frontend:port` reach one
/// healthy backend unchanged (destination still the frontend), chosen by a hash of the flow.
public struct LoadBalancerRule: Sendable, Hashable {
    public var frontend: IPAddress
    public var transport: TransportProtocol
    public var port: UInt16
    /// Primary IPs of the backend pool's NICs.
    public var backends: [IPAddress]
    public var probe: HealthProbe

    public init(frontend: IPAddress, transport: TransportProtocol = .udp, port: UInt16, backends: [IPAddress], probe: HealthProbe) {
        self.frontend = frontend
        self.transport = transport
        self.port = port
        self.backends = backends
        self.probe = probe
    }
}

/// One backend as one probe sees it.
public struct ProbeTarget: Sendable, Hashable, CustomStringConvertible {
    public var backend: IPAddress
    public var probe: HealthProbe
    public init(backend: IPAddress, probe: HealthProbe) {
        self.backend = backend
        self.probe = probe
    }
    public var description: String { "http://\(backend):\(probe.port)\(probe.path)" }
}
