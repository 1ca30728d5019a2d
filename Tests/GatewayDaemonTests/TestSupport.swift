import Foundation
import GatewayDaemon
import Netlink
import Synchronization
import Testing
import WireGuard

/// Conditions and unique names for the tests that build nodes out of namespaces.
enum Host {
    static let isRoot = getuid() == 0
    /// The kernel module or an installed userspace implementation.
    static let hasWireGuard = (try? WireGuardClient()) != nil

    private static let names = Atomic<Int>(0)
    private static let ports = Atomic<Int>(0)

    /// `egw-gw-<tag>-<pid>-<n>`: unique across concurrent tests and test runs.
    static func namespaceName(_ tag: String) -> String {
        "egw-gw-\(tag)-\(getpid())-\(names.add(1, ordering: .relaxed).newValue)"
    }

    /// A WireGuard port unique on the machine for this process: the link `wg-<port>` and, with
    /// a userspace implementation, its socket `/var/run/wireguard/wg-<port>.sock` are
    /// machine-wide names.
    static func port() -> UInt16 {
        let slot = ports.add(1, ordering: .relaxed).newValue % 40
        return UInt16(10_000 + (Int(getpid()) % 1_200) * 40 + slot)
    }

    /// A device name for a test's own (pod-side) WireGuard device, unique on the machine.
    static func deviceName() -> String { "wgp\(getpid() % 100_000)x\(names.add(1, ordering: .relaxed).newValue)" }
}

/// A gateway node built from namespaces, deleted by ``teardown()``:
///
/// ```
///  gateway netns (unique name, made by the library) ── host0 │ host-gateway ── node
///  node  eth0 10.0.0.5/24 ─── node0 10.0.0.1/24  vnet  inet0 192.0.2.1/24 ─── eth0 192.0.2.2/24  internet
/// ```
///
/// `vnet` plays the Azure fabric: it routes each ILB frontend and secondary IP to the node's
/// `eth0` (as the load balancer and the secondary IP configuration do) and forwards to the
/// Internet. Pods hang off `vnet` in their own namespaces.
final class TestNode {
    static let primaryIP = IPAddress("10.0.0.5")!
    static let ilbIP = IPAddress("10.0.0.100")!
    static let serverIP = IPAddress("192.0.2.2")!

    let tag: String
    let node: NetworkNamespace
    let vnet: NetworkNamespace
    let internet: NetworkNamespace
    let gatewayNamespaceName: String
    private(set) var pods: [NetworkNamespace] = []
    /// WireGuard device names a test used; ``teardown()`` waits for their processes to be gone.
    private(set) var devices: Set<String> = []

    var gateway: NetworkNamespace { NetworkNamespace(path: NetworkNamespace.runDirectory + "/" + gatewayNamespaceName) }

    init(_ tag: String) throws {
        self.tag = tag
        gatewayNamespaceName = Host.namespaceName("\(tag)-gw")
        node = try NetworkNamespace.create(named: Host.namespaceName("\(tag)-node"))
        var made = [node]
        do {
            vnet = try NetworkNamespace.create(named: Host.namespaceName("\(tag)-vnet"))
            made.append(vnet)
            internet = try NetworkNamespace.create(named: Host.namespaceName("\(tag)-inet"))
            made.append(internet)
            try Self.wire(node: node, vnet: vnet, internet: internet)
        } catch {
            for namespace in made { try? namespace.delete() }
            throw error
        }
    }

    private static func wire(node: NetworkNamespace, vnet: NetworkNamespace, internet: NetworkNamespace) throws {
        for namespace in [node, vnet, internet] { try ip(namespace, "link", "set", "lo", "up") }
        try NetlinkHandle(namespace: node).addVeth(name: "eth0", peerName: "node0", peerNamespace: vnet)
        try NetlinkHandle(namespace: vnet).addVeth(name: "inet0", peerName: "eth0", peerNamespace: internet)
        try ip(node, "addr", "add", "10.0.0.5/24", "dev", "eth0")
        try ip(node, "link", "set", "eth0", "up")
        try ip(node, "route", "add", "default", "via", "10.0.0.1")
        try ip(vnet, "addr", "add", "10.0.0.1/24", "dev", "node0")
        try ip(vnet, "link", "set", "node0", "up")
        try ip(vnet, "addr", "add", "192.0.2.1/24", "dev", "inet0")
        try ip(vnet, "link", "set", "inet0", "up")
        try ip(internet, "addr", "add", "192.0.2.2/24", "dev", "eth0")
        try ip(internet, "link", "set", "eth0", "up")
        try ip(internet, "route", "add", "default", "via", "192.0.2.1")
        // The node forwards between its uplink and the gateway namespace (§2.6: assumed, not set,
        // by the daemon); the fabric forwards between everyone.
        try node.writeSysctl("net.ipv4.ip_forward", "1")
        try vnet.writeSysctl("net.ipv4.ip_forward", "1")
        try ip(vnet, "route", "add", "\(ilbIP)/32", "via", "10.0.0.5")
    }

    /// Gives the node a secondary IP the way Azure does: on its uplink (which the gateway takes
    /// it off again), and delivered to it by the fabric.
    func addSecondaryIP(_ address: IPAddress) throws {
        try ip(node, "addr", "add", "\(address)/24", "dev", "eth0")
        try ip(vnet, "route", "add", "\(address)/32", "via", "10.0.0.5")
    }

    func gatewayNode() throws -> GatewayNode {
        try GatewayNode(hostNamespace: node, gatewayNamespaceName: gatewayNamespaceName)
    }

    /// A configuration on a fresh port with a fresh key; its link is remembered for teardown.
    func configuration(uid: String, secondaryIP: IPAddress, ilbIP: IPAddress = TestNode.ilbIP,
                       peers: [GatewayPeer] = []) throws -> GatewayConfiguration {
        let configuration = try GatewayConfiguration(uid: uid, port: Host.port(), ilbIP: ilbIP, primaryIP: Self.primaryIP, secondaryIP: secondaryIP,
                                                     privateKey: try PrivateKey.generate(), peers: peers)
        use(device: configuration.linkName)
        return configuration
    }

    /// Remembers a device name the test uses, after checking that no userspace implementation
    /// already serves it (so the check after teardown means something).
    func use(device name: String) {
        #expect((try? userspaceProcessCount(for: name)) == 0, "wireguard-go already runs for \(name)")
        devices.insert(name)
    }

    /// A pod namespace with `eth0` 10.1.<n>.2/24 towards `vnet` (10.1.<n>.1), n counting pods.
    func addPod() throws -> NetworkNamespace {
        let pod = try NetworkNamespace.create(named: Host.namespaceName("\(tag)-pod"))
        pods.append(pod)
        let n = pods.count
        let vnetSide = "pod\(n)"
        try ip(pod, "link", "set", "lo", "up")
        try NetlinkHandle(namespace: pod).addVeth(name: "eth0", peerName: vnetSide, peerNamespace: vnet)
        try ip(pod, "addr", "add", "10.1.\(n).2/24", "dev", "eth0")
        try ip(pod, "link", "set", "eth0", "up")
        try ip(pod, "route", "add", "default", "via", "10.1.\(n).1")
        try ip(vnet, "addr", "add", "10.1.\(n).1/24", "dev", vnetSide)
        try ip(vnet, "link", "set", vnetSide, "up")
        return pod
    }

    /// Deletes every WireGuard link first (a userspace implementation exits with its link),
    /// then every namespace, then waits until no implementation serves a device the test used.
    /// Returns false when one is still running.
    @discardableResult
    func teardown() -> Bool {
        for namespace in [gateway] + pods + [node] where namespace.exists {
            guard let links = try? NetlinkHandle(namespace: namespace), let all = try? links.links() else { continue }
            for link in all where devices.contains(link.name) { try? links.deleteLink(named: link.name) }
        }
        for namespace in pods + [gateway, internet, vnet, node] where namespace.exists { try? namespace.delete() }
        return devices.allSatisfy { (try? noUserspaceProcess(for: $0)) ?? false }
    }
}

/// True once no wireguard-go process serves `device`; polls (bounded) because the process exits
/// asynchronously after its interface is deleted.
func noUserspaceProcess(for device: String) throws -> Bool {
    for _ in 0..<200 {
        if try userspaceProcessCount(for: device) == 0 { return true }
        usleep(25_000)
    }
    return false
}

/// `pgrep -f 'wireguard-go <device>$'`, counted.
func userspaceProcessCount(for device: String) throws -> Int {
    let output = try NetworkNamespace.process.execute("pgrep", ["-f", "wireguard-go \(device)$"])
    return output.stdout.split(separator: "\n").count
}

// MARK: Independent readers

/// Runs `ip <arguments>` inside `namespace` and fails if it fails.
func ip(_ namespace: NetworkNamespace, _ arguments: String...) throws {
    try namespace.executeChecked("ip", arguments)
}

/// `ip -j <arguments>` inside `namespace`, as JSON objects.
func ipJSON(_ namespace: NetworkNamespace, _ arguments: [String]) throws -> [[String: Any]] {
    let text = try namespace.executeChecked("ip", ["-j"] + arguments).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    guard !text.isEmpty else { return [] }
    let value = try JSONSerialization.jsonObject(with: Data(text.utf8))
    return try #require(value as? [[String: Any]], "ip -j \(arguments.joined(separator: " ")) printed \(text)")
}

/// One address as `ip -j addr` shows it.
struct ShownAddress: Hashable, CustomStringConvertible {
    var local: String
    var prefixLength: Int
    var label: String?
    var description: String { "\(local)/\(prefixLength)" + (label.map { " label \($0)" } ?? "") }
}

/// The addresses of `device` (`ip -j [-4|-6] addr show dev`), IPv4 only unless `family` says otherwise.
func shownAddresses(_ namespace: NetworkNamespace, _ device: String, family: String = "-4") throws -> [ShownAddress] {
    try ipJSON(namespace, [family, "addr", "show", "dev", device]).flatMap { link in
        (link["addr_info"] as? [[String: Any]] ?? []).compactMap { info in
            guard let local = info["local"] as? String, let length = info["prefixlen"] as? Int else { return nil }
            return ShownAddress(local: local, prefixLength: length, label: info["label"] as? String)
        }
    }
}

/// The `ip -j -d link show` entry of `device`, nil when there is none.
func shownLink(_ namespace: NetworkNamespace, _ device: String) throws -> [String: Any]? {
    try ipJSON(namespace, ["-d", "link", "show"]).first { $0["ifname"] as? String == device }
}

func linkIsUp(_ namespace: NetworkNamespace, _ device: String) throws -> Bool {
    guard let link = try shownLink(namespace, device) else { return false }
    return (link["flags"] as? [String] ?? []).contains("UP")
}

/// One route as `ip -j route` shows it, reduced to what the layout specifies.
struct ShownRoute: Hashable, CustomStringConvertible {
    var destination: String
    var gateway: String?
    var device: String
    var scope: String?
    var description: String {
        destination + (gateway.map { " via \($0)" } ?? "") + " dev \(device)" + (scope.map { " scope \($0)" } ?? "")
    }
}

/// `ip -j [-4|-6] route show table main`, optionally of one device.
func shownRoutes(_ namespace: NetworkNamespace, family: String = "-4", device: String? = nil) throws -> Set<ShownRoute> {
    let arguments = [family, "route", "show", "table", "main"] + (device.map { ["dev", $0] } ?? [])
    return Set(try ipJSON(namespace, arguments).map { route in
        ShownRoute(destination: route["dst"] as? String ?? "?", gateway: route["gateway"] as? String,
                   device: route["dev"] as? String ?? device ?? "?", scope: route["scope"] as? String)
    })
}

/// `iptables-save -t nat` inside `namespace`, without comments and with counters zeroed, as a
/// sorted list of lines (chain order in the output differs between iptables flavours).
func natLines(_ namespace: NetworkNamespace) throws -> [String] {
    let text = try namespace.executeChecked("iptables-save", ["-t", "nat"]).stdout
    return text.split(separator: "\n").map(String.init).filter { !$0.hasPrefix("#") }
        .map { $0.replacingOccurrences(of: #"\[\d+:\d+\]"#, with: "[0:0]", options: .regularExpression) }
        .sorted()
}

/// What `iptables-save -t nat` shows for a namespace holding only `extra` beyond the built-ins.
func expectedNat(_ extra: [String]) -> [String] {
    (["*nat", ":PREROUTING ACCEPT [0:0]", ":INPUT ACCEPT [0:0]", ":OUTPUT ACCEPT [0:0]", ":POSTROUTING ACCEPT [0:0]",
      "COMMIT"] + extra).sorted()
}

/// The host's nat lines of the spec (§2.3) for the given secondary IPs.
func hostNat(_ secondaryIPs: [IPAddress]) -> [String] {
    guard !secondaryIPs.isEmpty else { return expectedNat([]) }
    var lines = [":EGRESS-GATEWAY-SNAT - [0:0]",
                 #"-A POSTROUTING -m comment --comment "kube-egress-gateway no MASQUERADE" -j EGRESS-GATEWAY-SNAT"#]
    for address in secondaryIPs {
        let chain = "EGRESS-" + address.description.replacingOccurrences(of: ".", with: "-")
        lines += [":\(chain) - [0:0]", "-A \(chain) -s \(address)/32 -j ACCEPT",
                  #"-A EGRESS-GATEWAY-SNAT -m comment --comment "kube-egress-gateway no sNAT packet from ip \#(address)" -j \#(chain)"#]
    }
    return expectedNat(lines)
}

/// The gateway namespace's nat lines of the spec (§2.3) for `(port, secondary IP)` pairs.
func gatewayNat(_ gateways: [(UInt16, IPAddress)]) -> [String] {
    expectedNat(gateways.flatMap { port, address in
        let hex = "0x" + String(port, radix: 16)
        return [
            ":EGRESS-GATEWAY-MARK-\(port) - [0:0]", ":EGRESS-GATEWAY-SNAT-\(port) - [0:0]",
            #"-A PREROUTING -m comment --comment "kube-egress-gateway mark packets from gateway link wg-\#(port)" -j EGRESS-GATEWAY-MARK-\#(port)"#,
            #"-A POSTROUTING -m comment --comment "kube-egress-gateway sNAT packets from gateway link wg-\#(port)" -j EGRESS-GATEWAY-SNAT-\#(port)"#,
            "-A EGRESS-GATEWAY-MARK-\(port) -i wg-\(port) -j CONNMARK --set-xmark \(hex)/0xffffffff",
            "-A EGRESS-GATEWAY-SNAT-\(port) -o host0 -m connmark --mark \(hex) -j SNAT --to-source \(address)",
        ]
    })
}

/// `wg show <device> dump`, run inside a namespace.
struct WGDump {
    struct PeerLine: Equatable {
        var presharedKey: String
        var endpoint: String
        var allowedIPs: Set<String>
        var persistentKeepalive: String
    }

    var privateKey: String
    var publicKey: String
    var listenPort: Int
    var firewallMark: String
    var peers: [String: PeerLine]

    static func read(_ device: String, in namespace: NetworkNamespace) throws -> WGDump {
        let text = try namespace.executeChecked("wg", ["show", device, "dump"]).stdout
        let lines = text.split(separator: "\n").map { $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init) }
        let header = try #require(lines.first)
        try #require(header.count == 4, "unexpected wg dump header \(header)")
        var peers: [String: PeerLine] = [:]
        for fields in lines.dropFirst() {
            try #require(fields.count == 8, "unexpected wg dump peer line \(fields)")
            peers[fields[0]] = PeerLine(presharedKey: fields[1], endpoint: fields[2],
                                        allowedIPs: fields[3] == "(none)" ? [] : Set(fields[3].split(separator: ",").map(String.init)),
                                        persistentKeepalive: fields[7])
        }
        return WGDump(privateKey: header[0], publicKey: header[1], listenPort: Int(header[2]) ?? -1,
                      firewallMark: header[3], peers: peers)
    }
}

/// `count` peers with fresh keys and addresses 10.244.<i / 250>.<i % 250 + 1>/32.
func makePeers(_ count: Int, startingAt first: Int = 0) throws -> [GatewayPeer] {
    try (first..<(first + count)).map { index in
        try GatewayPeer(publicKey: try PrivateKey.generate().publicKey,
                        podCIDR: IPNetwork("10.244.\(index / 250).\(index % 250 + 1)/32")!)
    }
}
