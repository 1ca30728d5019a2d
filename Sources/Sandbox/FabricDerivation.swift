import ARMEmulator
import Netlink

/// What Azure's data plane does with an ARM state: the ``FabricState`` it calls for, and what in the state the
/// sandbox cannot carry (each with the resource and the reason), for the log.
public struct FabricDerivation: Sendable, Hashable {
    public var state: FabricState
    public var ignored: [String]

    /// Derives the data plane from `snapshot` for the nodes of `layout`: a pure function.
    ///
    /// - Every non-primary ipconfig of a NIC whose primary IP is a node's becomes a ``SecondaryIP`` delivered to
    ///   that node; an ipconfig with a public IP (public mode) adds a 1:1 ``PublicIPAssociation``.
    /// - Every rule of every load balancer becomes a ``LoadBalancerRule``: its frontend's private IP, protocol and
    ///   frontend port, the primary IPs of the NICs whose ipconfigs are in its backend pool, and its HTTP probe.
    ///   The sandbox forwards with floating IP only (what the operator configures); other rules are ignored.
    public init(_ snapshot: ARMSnapshot, layout: SandboxLayout, imdsPort: UInt16? = nil) {
        var ignored: [String] = []
        let nodeAddresses = Set(layout.nodes.map(\.primaryIP))
        let publicAddresses = Dictionary(snapshot.publicIPAddresses.compactMap { address -> (String, IPAddress)? in
            guard let id = address.lowercasedID, let ip = address[path: "properties", "ipAddress"]?.stringValue.flatMap(IPAddress.init)
            else { return nil }
            return (id, ip)
        }, uniquingKeysWith: { first, _ in first })

        var secondaries: [SecondaryIP] = []
        var associations: [PublicIPAssociation] = []
        /// Backend pool ID (lowercased) → node primary IPs of its members.
        var poolMembers: [String: Set<IPAddress>] = [:]
        for nic in snapshot.networkInterfaces {
            let nicID = nic["id"]?.stringValue ?? "?"
            let configurations = nic.children("ipConfigurations")
            let primary = configurations.first { $0[path: "properties", "primary"]?.boolValue == true }
                ?? (configurations.count == 1 ? configurations.first : nil)
            guard let primaryIP = primary?[path: "properties", "privateIPAddress"]?.stringValue.flatMap(IPAddress.init) else {
                ignored.append("NIC \(nicID): no primary private IPv4 address")
                continue
            }
            guard nodeAddresses.contains(primaryIP) else {
                ignored.append("NIC \(nicID): primary IP \(primaryIP) is no sandbox node's")
                continue
            }
            for configuration in configurations {
                let configurationID = configuration["id"]?.stringValue ?? nicID
                guard let address = configuration[path: "properties", "privateIPAddress"]?.stringValue.flatMap(IPAddress.init) else {
                    ignored.append("ipconfig \(configurationID): no private IPv4 address")
                    continue
                }
                if address != primaryIP { secondaries.append(SecondaryIP(address: address, node: primaryIP)) }
                if let publicID = configuration[path: "properties", "publicIPAddress"]?.lowercasedID {
                    if let publicAddress = publicAddresses[publicID] {
                        associations.append(PublicIPAssociation(privateAddress: address, publicAddress: publicAddress))
                    } else {
                        ignored.append("ipconfig \(configurationID): public IP \(publicID) has no address")
                    }
                }
                for pool in configuration.children("loadBalancerBackendAddressPools") {
                    if let poolID = pool.lowercasedID { poolMembers[poolID, default: []].insert(primaryIP) }
                }
            }
        }

        var rules: [LoadBalancerRule] = []
        var seen = Set<String>()
        for balancer in snapshot.loadBalancers {
            func child(_ key: String, _ reference: ARMValue?) -> ARMValue? {
                guard let id = reference?.lowercasedID else { return nil }
                return balancer.children(key).first { $0.lowercasedID == id }
            }
            for rule in balancer.children("loadBalancingRules") {
                let ruleID = rule["id"]?.stringValue ?? "?"
                let properties = rule["properties"] ?? [:]
                func skip(_ reason: String) { ignored.append("load-balancing rule \(ruleID): \(reason)") }
                guard properties["enableFloatingIP"]?.boolValue == true else { skip("not floating IP"); continue }
                guard let transport = properties["protocol"]?.stringValue.flatMap({ TransportProtocol(rawValue: $0.lowercased()) })
                else { skip("protocol \(properties["protocol"]?.stringValue ?? "none") is not Udp or Tcp"); continue }
                guard let port = properties["frontendPort"]?.integerValue.flatMap(UInt16.init(exactly:)), port > 0 else {
                    skip("no frontend port"); continue
                }
                guard let frontend = child("frontendIPConfigurations", properties["frontendIPConfiguration"])?[
                    path: "properties", "privateIPAddress"]?.stringValue.flatMap(IPAddress.init)
                else { skip("its frontend has no private IPv4 address"); continue }
                guard let probe = child("probes", properties["probe"]) else { skip("no probe"); continue }
                guard let healthProbe = Self.healthProbe(probe) else {
                    skip("probe \(probe["id"]?.stringValue ?? "?") is not an HTTP probe with a port and path"); continue
                }
                guard seen.insert("\(frontend)/\(transport)/\(port)").inserted else {
                    skip("another rule already serves \(frontend) \(transport.rawValue)/\(port)"); continue
                }
                let poolID = properties["backendAddressPool"]?.lowercasedID
                let backends = poolID.map { poolMembers[$0, default: []] } ?? []
                rules.append(LoadBalancerRule(frontend: frontend, transport: transport, port: port,
                                              backends: backends.sorted(), probe: healthProbe))
            }
        }

        state = FabricState(
            secondaryIPs: secondaries.sorted { $0.address < $1.address },
            publicIPs: associations.sorted { $0.privateAddress < $1.privateAddress },
            loadBalancerRules: rules.sorted { ($0.frontend, $0.transport.rawValue, $0.port) < ($1.frontend, $1.transport.rawValue, $1.port) },
            imdsPort: imdsPort)
        self.ignored = ignored
    }

    /// An HTTP(S) probe as the sandbox's prober runs it (plain HTTP either way); nil for TCP probes.
    static func healthProbe(_ probe: ARMValue) -> HealthProbe? {
        guard let properties = probe["properties"],
              let proto = properties["protocol"]?.stringValue?.lowercased(), proto == "http" || proto == "https",
              let port = properties["port"]?.integerValue.flatMap(UInt16.init(exactly:)), port > 0,
              let path = properties["requestPath"]?.stringValue, !path.isEmpty
        else { return nil }
        let interval = properties["intervalInSeconds"]?.integerValue.map(Int.init) ?? 5
        let threshold = (properties["probeThreshold"] ?? properties["numberOfProbes"])?.integerValue.map(Int.init) ?? 1
        return HealthProbe(port: port, path: path, intervalSeconds: interval, threshold: threshold)
    }
}
