import Firewall
import Netlink
import WireGuard

/// One run of ``GatewayDataPath/cleanup(active:)``: removes what the active gateways do not
/// need. Each step that fails is reported and skipped; the others still run.
struct GatewayCleanup {
    let dataPath: GatewayDataPath
    let active: [ActiveGateway]
    let log: ChangeLog

    private var node: GatewayNode { dataPath.node }
    private var activePorts: Set<UInt16> { Set(active.map(\.port)) }

    /// What the blocking part removed and what failed there.
    struct KernelResult: Sendable {
        var removedGateways: [RemovedGateway] = []
        var removedSecondaryIPs: [IPAddress] = []
        var failures: [GatewayDataPathError] = []
    }

    func run() async -> CleanupReport {
        var report = CleanupReport()
        var gatewayNat: TableSnapshot?
        if node.gatewayNamespace.exists {
            do {
                gatewayNat = try await dataPath.gatewayIPTables().snapshot(of: .nat)
            } catch {
                report.failures.append(.failed(operation: "read the nat table of \(dataPath.gatewayPlace)", cause: error))
            }
        }
        let keptIPs = secondaryIPsToKeep(gatewayNat: gatewayNat)
        do {
            let result = try await dataPath.blocking { self.removeKernelObjects(keeping: keptIPs) }
            report.removedGateways = result.removedGateways
            report.removedSecondaryIPs = result.removedSecondaryIPs
            report.failures += result.failures
        } catch {
            report.failures.append(error)
        }
        if let failure = await removeHostChains(keeping: keptIPs) { report.failures.append(failure) }
        if gatewayNat != nil, let failure = await removeGatewayChains() { report.failures.append(failure) }
        for failure in report.failures { log.warning("cleanup: \(failure)") }
        return report
    }

    /// The secondary IPs of the active gateways. One whose IP the caller does not know keeps the
    /// IP its source-NAT chain names; when even that is unknown the answer is nil, and nothing is
    /// removed by IP (better to leave an address than to cut a live gateway's).
    private func secondaryIPsToKeep(gatewayNat: TableSnapshot?) -> Set<IPAddress>? {
        var addresses: Set<IPAddress> = []
        for gateway in active {
            if let address = gateway.secondaryIP {
                addresses.insert(address)
            } else if let address = gatewayNat.flatMap({ Self.sourceNATAddress(port: gateway.port, in: $0) }) {
                addresses.insert(address)
            } else {
                log.warning("cleanup: secondary IP of \"\(gateway.linkName)\" unknown; no address, host route or host chain is removed")
                return nil
            }
        }
        return addresses
    }

    /// The `--to-source` of `EGRESS-GATEWAY-SNAT-<port>`.
    static func sourceNATAddress(port: UInt16, in snapshot: TableSnapshot) -> IPAddress? {
        let chain = GatewayRules.gatewayChainPrefix + "SNAT-\(port)"
        for rule in snapshot.chain(chain)?.rules ?? [] {
            let arguments = rule.normalized
            if let index = arguments.firstIndex(of: "--to-source"), index + 1 < arguments.count,
               let address = IPAddress(arguments[index + 1]) {
                return address
            }
        }
        return nil
    }

    // MARK: Links, addresses and routes

    private func removeKernelObjects(keeping keptIPs: Set<IPAddress>?) -> KernelResult {
        var result = KernelResult()
        /// Runs a step, naming it if it fails (a logged write or a lookup names itself already).
        func attempt<T>(_ operation: String, _ body: () throws -> T) -> T? {
            do {
                return try body()
            } catch {
                result.failures.append(GatewayDataPathError.wrapping(error, operation: operation))
                return nil
            }
        }
        let hostPlace = dataPath.hostPlace
        let gatewayPlace = dataPath.gatewayPlace
        let hostLinks = attempt("open \(hostPlace)") { try NetlinkHandle(namespace: node.hostNamespace) }
        let gatewayLinks = node.gatewayNamespace.exists
            ? attempt("open \(gatewayPlace)") { try NetlinkHandle(namespace: node.gatewayNamespace) } : nil

        let host0 = gatewayLinks.flatMap { links in
            attempt("get \"\(GatewayLayout.gatewayVeth)\" in \(gatewayPlace)") {
                try dataPath.lookUpLink(GatewayLayout.gatewayVeth, in: links, place: gatewayPlace)
            } ?? nil
        }
        if let keptIPs, let gatewayLinks, let host0 {
            // IPv4 only: the kernel's IPv6 link-local on host0 is not ours to remove.
            let addresses = attempt("list addresses of \"\(host0.name)\" in \(gatewayPlace)") {
                try gatewayLinks.addresses(family: .ipv4).filter { $0.linkIndex == host0.index }
            } ?? []
            for address in addresses where !keptIPs.contains(address.network.address) {
                let done: Void? = attempt("delete address \(address.network) from \"\(host0.name)\" in \(gatewayPlace)") {
                    try log.write("\(gatewayPlace): delete orphaned address \(address.network) from \"\(host0.name)\"") {
                        try gatewayLinks.deleteAddress(address)
                    }
                }
                if done != nil { result.removedSecondaryIPs.append(address.network.address) }
            }
        }

        let hostEnd = hostLinks.flatMap { links in
            attempt("get \"\(GatewayLayout.hostVeth)\" in \(hostPlace)") {
                try dataPath.lookUpLink(GatewayLayout.hostVeth, in: links, place: hostPlace)
            } ?? nil
        }
        if let keptIPs, let hostLinks, let hostEnd {
            let routes = attempt("list routes of \"\(hostEnd.name)\" in \(hostPlace)") {
                try hostLinks.routes(table: RouteTable.main, family: .ipv4, linkIndex: hostEnd.index)
            } ?? []
            for route in routes where Self.isSecondaryIPRoute(route) && !keptIPs.contains(route.destination!.address) {
                _ = attempt("delete route \(RouteMatching.describe(route, device: hostEnd.name)) in \(hostPlace)") {
                    try log.write("\(hostPlace): delete orphaned route \(RouteMatching.describe(route, device: hostEnd.name))") {
                        try hostLinks.deleteRoute(route)
                    }
                }
            }
        }

        if let gatewayLinks {
            let wireGuard = attempt("open WireGuard in \(gatewayPlace)") {
                try WireGuardClient(namespace: node.gatewayNamespace, options: node.wireGuard)
            }
            let links = attempt("list links of \(gatewayPlace)") { try gatewayLinks.links() } ?? []
            for link in links {
                guard let port = GatewayLayout.port(ofLinkNamed: link.name), !activePorts.contains(port) else { continue }
                let done: Void? = attempt("delete link \"\(link.name)\" in \(gatewayPlace)") {
                    try log.write("\(gatewayPlace): delete orphaned WireGuard link \"\(link.name)\"") {
                        try WireGuardLinkSetup.delete(link.name, wireGuard: wireGuard, links: gatewayLinks)
                    }
                }
                if done != nil {
                    result.removedGateways.append(RemovedGateway(port: port, uid: link.alias))
                    dataPath.peerIndex.withLock { $0.forget(port: port) }
                }
            }
        }

        if let hostLinks, let keptILBs = frontendIPsToKeep() {
            let uplink = attempt("get uplink \"\(node.uplink)\" in \(hostPlace)") { try hostLinks.link(named: node.uplink) }
            let addresses = uplink.flatMap { uplink in
                attempt("list addresses of \"\(node.uplink)\" in \(hostPlace)") {
                    try hostLinks.addresses(family: .ipv4).filter { $0.linkIndex == uplink.index }
                }
            } ?? []
            for address in addresses where address.label == node.uplinkLabel && !keptILBs.contains(address.network.address) {
                _ = attempt("delete address \(address.network) from \"\(node.uplink)\" in \(hostPlace)") {
                    try log.write("\(hostPlace): delete ILB address \(address.network) label \(node.uplinkLabel) from \"\(node.uplink)\"") {
                        try hostLinks.deleteAddress(address)
                    }
                }
            }
        }
        return result
    }

    /// The ILB addresses to keep on the uplink; nil when an active gateway's is unknown, so none
    /// can be told to be stale.
    private func frontendIPsToKeep() -> Set<IPAddress>? {
        var addresses: Set<IPAddress> = []
        for gateway in active {
            guard let address = gateway.ilbIP else { return nil }
            addresses.insert(address)
        }
        return addresses
    }

    /// `<secondary IP>/32 dev host-gateway`: the host route into the gateway namespace.
    static func isSecondaryIPRoute(_ route: Route) -> Bool {
        route.destination?.prefixLength == 32 && route.gateway == nil && route.via == nil
            && route.type == .unicast && route.protocol != .kernel
    }

    // MARK: Chains

    /// Host chains `EGRESS-<ip>` of secondary IPs no active gateway has (found by name, not
    /// through `host0`, so chains whose address already left `host0` go too), and, when nothing
    /// is active, `EGRESS-GATEWAY-SNAT`; each with every jump to it.
    private func removeHostChains(keeping keptIPs: Set<IPAddress>?) async -> GatewayDataPathError? {
        let iptables = dataPath.hostIPTables()
        do {
            let snapshot = try await iptables.snapshot(of: .nat)
            var doomed: Set<String> = []
            if let keptIPs {
                for chain in snapshot.userChains {
                    if let address = GatewayLayout.secondaryIP(ofHostChain: chain.name), !keptIPs.contains(address) {
                        doomed.insert(chain.name)
                    }
                }
            }
            if active.isEmpty, snapshot.chain(GatewayRules.hostSNATChain) != nil { doomed.insert(GatewayRules.hostSNATChain) }
            guard !doomed.isEmpty else { return nil }
            log.record(try await iptables.removeChains(doomed, in: .nat), in: dataPath.hostPlace)
            return nil
        } catch {
            return .failed(operation: "remove orphaned nat chains of \(dataPath.hostPlace)", cause: error)
        }
    }

    /// Gateway-namespace chains `EGRESS-GATEWAY-MARK-<port>` / `-SNAT-<port>` of ports no active
    /// gateway has, whether or not their link is still there.
    private func removeGatewayChains() async -> GatewayDataPathError? {
        let iptables = dataPath.gatewayIPTables()
        do {
            let snapshot = try await iptables.snapshot(of: .nat)
            let doomed = Set(snapshot.userChains.map(\.name).filter { name in
                GatewayLayout.port(ofGatewayChain: name).map { !activePorts.contains($0) } ?? false
            })
            guard !doomed.isEmpty else { return nil }
            log.record(try await iptables.removeChains(doomed, in: .nat), in: dataPath.gatewayPlace)
            return nil
        } catch {
            return .failed(operation: "remove orphaned nat chains of \(dataPath.gatewayPlace)", cause: error)
        }
    }
}
