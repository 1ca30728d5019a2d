import Firewall
import Netlink
import WireGuard

extension EgressPlugin {
    /// CHECK: compares the pod with what ADD made, as recorded in the chain's result
    /// (`prevResult`): `wg0` with its alias, state and addresses; the WireGuard device with its key
    /// and one gateway peer carrying `0.0.0.0/0` and `::/0`; every route ADD reported; the
    /// ingress-symmetry rule, table and mangle rules; `rp_filter`. All differences are reported
    /// together (code 100). A pod without the annotation has nothing to check.
    public func check(_ request: CNIRequest) async throws(CNIError) {
        let config = request.config
        guard let previous = config.prevResult else {
            throw CNIError(code: .invalidConfig, message: "invalid network config: CHECK needs prevResult, the result of the chain's ADD")
        }
        let arguments = try CNIArguments(parsing: request.environment.arguments)
        guard let gatewayName = try await gatewayName(of: arguments.pod, config) else { return }
        let namespaces = try PodNamespaces(podPath: request.environment.networkNamespace ?? "", host: options.hostNamespace)
        let pod = namespaces.pod, links = namespaces.podLinks
        let podName = arguments.pod.map(String.init(describing:)) ?? pod.path
        func mismatch(_ differences: [String]) -> CNIError {
            CNIError(code: .podNetworkMismatch,
                     message: "pod \(podName), gateway \(gatewayName): the pod network differs from what ADD made: "
                         + differences.joined(separator: "; "))
        }

        let wg0: Link, eth0: Link
        do {
            wg0 = try links.link(named: Self.tunnelInterface)
            eth0 = try links.link(named: Self.podInterface)
        } catch NetlinkError.notFound(let operation) {
            throw mismatch(["\(operation): not found"])
        } catch {
            throw .failed("CHECK: read the links of \(pod)", error)
        }
        var differences: [String] = []
        do {
            differences += try checkTunnel(wg0, previous: previous, request: request, namespaces: namespaces)
            differences += try checkRoutes(previous.routes, wg0: wg0, eth0: eth0, links: links)
            differences += try await checkIngressSymmetry(in: pod, links: links)
        } catch let error as CNIError {
            throw error
        } catch {
            throw .failed("CHECK: read the network of \(pod)", error)
        }
        guard differences.isEmpty else { throw mismatch(differences) }
    }

    private func checkTunnel(_ wg0: Link, previous: CNIResult, request: CNIRequest, namespaces: PodNamespaces) throws -> [String] {
        var differences: [String] = []
        let name = Self.tunnelInterface
        if let containerID = request.environment.containerID, let temporary = try? Self.temporaryName(containerID: containerID),
           wg0.alias != temporary {
            differences.append("\(name) has alias \(wg0.alias.map { "\"\($0)\"" } ?? "none"), expected \"\(temporary)\"")
        }
        if !wg0.isUp { differences.append("\(name) is down") }
        if let index = previous.interfaces.lastIndex(where: { $0.name == name && $0.sandbox == namespaces.pod.path }) {
            let present = Set(try namespaces.podLinks.addresses(family: .ipv6).filter { $0.linkIndex == wg0.index }.map(\.network))
            for ip in previous.ips where ip.interface == index && !present.contains(ip.address) {
                differences.append("\(name) lacks address \(ip.address)")
            }
        } else {
            differences.append("prevResult lists no \(name) in \(namespaces.pod.path)")
        }

        let device = try WireGuardClient(namespace: namespaces.pod, options: options.wireGuard).device(named: name)
        if device.privateKey == nil { differences.append("\(name) has no private key") }
        let everything: Set<IPNetwork> = [IPNetwork("0.0.0.0/0")!, IPNetwork("::/0")!]
        if device.peers.count != 1 {
            differences.append("\(name) has \(device.peers.count) peers, expected 1 (the gateway)")
        } else if let peer = device.peers.first {
            if Set(peer.allowedIPs) != everything {
                differences.append("\(name)'s peer allows \(peer.allowedIPs.map(\.description).joined(separator: ", ")), expected 0.0.0.0/0, ::/0")
            }
            if peer.endpoint == nil { differences.append("\(name)'s peer has no endpoint") }
        }
        return differences
    }

    /// The routes ADD reported: all of them when the default route goes into the tunnel (ADD
    /// replaced the list), else those into the tunnel (ADD appended them).
    private func checkRoutes(_ reported: [CNIResult.RouteEntry], wg0: Link, eth0: Link, links: NetlinkHandle) throws -> [String] {
        let tunnelGateway = PodRoutePlan.gatewayAddress
        let gatewayIsDefault = reported.contains { $0.destination.prefixLength == 0 && $0.gateway == tunnelGateway }
        let expected = gatewayIsDefault ? reported : reported.filter { $0.gateway == tunnelGateway }
        guard !expected.isEmpty else { return [] }
        let present = try links.routes(table: RouteTable.main, family: .ipv4)
        var differences: [String] = []
        for entry in expected {
            let destination = entry.destination.prefixLength == 0 ? nil : entry.destination.network
            let found = present.contains { route in
                guard route.destination == destination else { return false }
                switch entry.gateway {
                case .some(let gateway) where gateway == tunnelGateway:
                    return route.via == gateway && route.linkIndex == wg0.index
                case .some(let gateway):
                    return route.gateway == gateway && route.linkIndex == eth0.index
                case .none:
                    return route.gateway == nil && route.via == nil && route.linkIndex == eth0.index
                }
            }
            if !found {
                let device = entry.gateway == tunnelGateway ? Self.tunnelInterface : Self.podInterface
                let via = entry.gateway.map { $0.isIPv4 ? " via \($0)" : " via inet6 \($0)" } ?? ""
                differences.append("route \(entry.destination.network)\(via) dev \(device) is missing")
            }
        }
        return differences
    }

    private func checkIngressSymmetry(in pod: NetworkNamespace, links: NetlinkHandle) async throws -> [String] {
        var differences: [String] = []
        let mark = PodRules.ingressMark, table = PodRoutePlan.ingressTable
        let hasRule = try links.rules(family: .ipv4).contains { rule in
            rule.fwmark == mark && (rule.fwmask ?? 0xffff_ffff) == 0xffff_ffff && rule.table == table && rule.action == .toTable
        }
        if !hasRule { differences.append("ip rule fwmark 0x\(String(mark, radix: 16)) lookup \(table) is missing") }
        if try !links.routes(table: table, family: .ipv4).contains(where: { $0.destination == nil }) {
            differences.append("table \(table) has no default route")
        }
        let snapshot = try await IPTables(namespace: pod, executables: options.iptables).snapshot(of: .mangle)
        for required in try PodRules.ingressSymmetry(mark: mark, interface: Self.podInterface).requiredRules
        where !(snapshot.chain(required.chain)?.rules.contains(required.rule) ?? false) {
            differences.append("mangle rule -A \(required.chain) \(required.rule) is missing")
        }
        for key in ["net.ipv4.conf.all.rp_filter", "net.ipv4.conf.\(Self.podInterface).rp_filter"] {
            let value = try pod.readSysctl(key)
            if value != "2" { differences.append("\(key) is \(value), expected 2") }
        }
        return differences
    }
}
