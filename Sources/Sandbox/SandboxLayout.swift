import Netlink

/// Which kind of emulated machine a node is.
public enum NodeRole: String, Codable, Sendable, Hashable {
    case worker
    case gateway
}

/// One emulated node: a network namespace whose `eth0` sits on the VNet with a primary IP.
public struct NodeLayout: Sendable, Hashable {
    /// The Kubernetes node name (`worker-0`, `gateway-1`).
    public let name: String
    public let role: NodeRole
    /// The node's network namespace name under /var/run/netns.
    public let namespace: String
    /// The node's port in the fabric namespace (the other end of the node's `eth0`).
    public let fabricPort: String
    /// The primary IP of the node's NIC, in ``SandboxLayout/vnet``.
    public let primaryIP: IPAddress
    /// The pod CIDR a worker's bridge plugin allocates from (nil on gateway nodes, which run no pods).
    public let podCIDR: IPNetwork?
    /// The firewall mark and routing table the load balancer uses to send a flow to this node.
    public let backendMark: UInt32
}

/// Every name and address of one sandbox run: a pure function of the run ID and the node counts,
/// so `up`, `down`, `status` and the tests agree on them without asking the kernel.
///
/// The VNet is modelled as Azure builds it, as a routed fabric rather than a shared Ethernet: the
/// fabric namespace has one port per node and answers every ARP request itself (proxy ARP), as the
/// Azure host does. On a plain bridge every gateway holding the ILB frontend on `eth0` would answer
/// ARP for it, and the load balancer could not choose.
public struct SandboxLayout: Sendable, Hashable {
    /// Names of every kernel object start with this (`egsb-1a2b`), so leftovers are easy to find.
    public let prefix: String
    public let runID: String
    /// The first part of ``prefix`` (`egsb` for the CLI, another for tests so they never meet a user's run).
    public let namePrefix: String
    public let nodes: [NodeLayout]
    /// Whether a veth connects the host namespace to the fabric (for kubectl and the API server).
    public let hostControlLink: Bool

    public static let vnet = IPNetwork("10.224.0.0/16")!
    /// The fabric's own address on the VNet: every node's default gateway (Azure's `.1`).
    public static let fabricAddress = IPAddress("10.224.0.1")!
    /// The host's address on the control link, where the API server and IMDS listen.
    public static let controlAddress = IPAddress("10.224.255.254")!
    /// Azure's health-probe source address (the "WireServer" address), held by the fabric.
    public static let probeSource = IPAddress("168.63.129.16")!
    /// IMDS, as every Azure VM reaches it.
    public static let imdsAddress = IPAddress("169.254.169.254")!
    /// The link between the fabric and the Internet namespace (TEST-NET-2).
    public static let edgeFabricAddress = IPAddress("198.51.100.1")!
    public static let edgeInternetAddress = IPAddress("198.51.100.2")!
    /// The echo server's address on the Internet (TEST-NET-3).
    public static let echoAddress = IPAddress("203.0.113.80")!
    public static let echoPort: UInt16 = 80
    /// The fabric's port towards the Internet namespace, and the dummy link that holds ILB frontends.
    public static let edgePort = "inet"
    public static let frontendLink = "lb0"
    public static let controlPort = "host"
    /// Routing tables 1000+i send a flow to node i; their marks are 0x5a000+i.
    static let backendTableBase: UInt32 = 1000
    static let backendMarkBase: UInt32 = 0x5a000

    /// A layout with `workers` worker and `gateways` gateway nodes.
    public init(runID: String, namePrefix: String = "egsb", workers: Int = 2, gateways: Int = 2,
                hostControlLink: Bool = true) throws(SandboxError) {
        guard !runID.isEmpty, runID.count <= 6, runID.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) else {
            throw .invalidConfiguration(field: "runID", value: runID, reason: "1 to 6 ASCII letters or digits")
        }
        guard !namePrefix.isEmpty, namePrefix.count <= 4 else {
            throw .invalidConfiguration(field: "namePrefix", value: namePrefix, reason: "1 to 4 characters (link names have 15)")
        }
        guard (1...50).contains(workers) else {
            throw .invalidConfiguration(field: "workers", value: "\(workers)", reason: "between 1 and 50")
        }
        guard (1...50).contains(gateways) else {
            throw .invalidConfiguration(field: "gateways", value: "\(gateways)", reason: "between 1 and 50")
        }
        self.runID = runID
        self.namePrefix = namePrefix
        self.prefix = "\(namePrefix)-\(runID)"
        self.hostControlLink = hostControlLink
        var nodes: [NodeLayout] = []
        // Azure reserves .0 to .3 of a subnet; workers take 10.224.0.4+, gateways 10.224.1.4+.
        for i in 0..<workers {
            nodes.append(NodeLayout(
                name: "worker-\(i)", role: .worker, namespace: "\(prefix)-worker-\(i)", fabricPort: "w\(i)",
                primaryIP: IPAddress("10.224.0.\(4 + i)")!, podCIDR: IPNetwork("10.244.\(i).0/24")!,
                backendMark: Self.backendMarkBase + UInt32(nodes.count)))
        }
        for i in 0..<gateways {
            nodes.append(NodeLayout(
                name: "gateway-\(i)", role: .gateway, namespace: "\(prefix)-gateway-\(i)", fabricPort: "g\(i)",
                primaryIP: IPAddress("10.224.1.\(4 + i)")!, podCIDR: nil,
                backendMark: Self.backendMarkBase + UInt32(nodes.count)))
        }
        self.nodes = nodes
    }

    /// The namespace that routes the VNet, runs the load balancer and NATs at the Internet edge.
    public var fabricNamespace: String { "\(prefix)-vnet" }
    /// The namespace that plays the Internet; it holds the echo server's address.
    public var internetNamespace: String { "\(prefix)-inet" }
    /// The host end of the control link (`egsb1a2b`: a link name, so without the dash).
    public var hostLink: String { prefix.replacingOccurrences(of: "-", with: "") }

    public var workers: [NodeLayout] { nodes.filter { $0.role == .worker } }
    public var gateways: [NodeLayout] { nodes.filter { $0.role == .gateway } }

    public func node(named name: String) -> NodeLayout? { nodes.first { $0.name == name } }
    public func node(withPrimaryIP address: IPAddress) -> NodeLayout? { nodes.first { $0.primaryIP == address } }

    /// The routing table of a backend mark.
    static func table(forMark mark: UInt32) -> UInt32 { backendTableBase + (mark - backendMarkBase) }

    /// Every namespace of the run, fabric and Internet first.
    public var namespaces: [String] { [fabricNamespace, internetNamespace] + nodes.map(\.namespace) }
}

extension String {
    func replacingOccurrences(of target: Character, with replacement: String) -> String {
        split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}
