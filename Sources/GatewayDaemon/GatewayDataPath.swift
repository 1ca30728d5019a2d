import Firewall
import Logging
import Netlink
import Synchronization
import WireGuard

/// Makes a gateway node's kernel state match its desired state: the layout of the original
/// kube-egress-gateway daemon (one gateway namespace, a `wg-<port>` WireGuard link per gateway,
/// the `host-gateway`/`host0` veth, the ILB address on the uplink, the routes and nat chains),
/// so a node that daemon set up is adopted without churn.
///
/// Every call reads the kernel first and writes only what differs; the returned
/// ``DataPathChanges`` lists the writes, so applying the same state twice writes nothing the
/// second time. Calls on one data path run one at a time, in the order they were made: the
/// gateway and peer reconcilers can share it without racing each other on a link or a chain.
///
/// Kernel work runs on dedicated threads, never on the caller's; iptables programs run inside
/// the namespace they change.
public final class GatewayDataPath: Sendable {
    public let node: GatewayNode
    let logger: Logger
    private let gate = SerialGate()
    let peerIndex = Mutex(PeerIndex())

    public init(node: GatewayNode, logger: Logger = Logger(label: "egressgw.gateway.datapath")) {
        self.node = node
        self.logger = logger
    }

    /// Builds or repairs one gateway: the ILB address on the uplink (a /32 labelled
    /// `<uplink>:egress`), the secondary IP taken off the uplink and routed to the veth, the host
    /// nat chains, the gateway namespace (created when missing) with `wg-<port>` (created in the
    /// host namespace, aliased with the uid, moved, `fe80::1/64`, up, key and port), `host0` with
    /// the secondary IP, the routes to the node, `lo` up, IPv4 forwarding, and the gateway's nat
    /// chains.
    ///
    /// The configuration's peers are added when missing or when their allowed IPs differ, with
    /// their routes; peers the configuration does not list are left alone (removing them is
    /// ``removePeers(_:port:)``'s and ``removeStalePeers(expected:)``'s job), so an apply built
    /// from a slightly older list never drops a peer that was just added.
    @discardableResult
    public func apply(_ configuration: GatewayConfiguration) async throws(GatewayDataPathError) -> DataPathChanges {
        try await changing("apply gateway \"\(configuration.linkName)\"") { log in
            try await self.blocking { try self.ensureUplink(for: configuration, log) }
            try await self.ensureHostFirewall(adding: configuration.secondaryIP, log)
            try await self.blocking { try self.ensureGatewayNamespaceState(for: configuration, log) }
            try await self.ensureGatewayFirewall(for: configuration, log)
        }
    }

    /// Adds or updates `peers` on `wg-<port>` with one device configuration (allowed IPs
    /// replaced, no endpoint, no keepalive) and one batch of `<pod CIDR> dev wg-<port> scope link`
    /// routes. Nothing is read first, so the cost follows the batch, not the peers already on the
    /// link. The link must exist (``apply(_:)`` makes it).
    @discardableResult
    public func addPeers(_ peers: [GatewayPeer], port: UInt16) async throws(GatewayDataPathError) -> DataPathChanges {
        try await changing("add \(peers.count) peers to \"\(GatewayLayout.wireGuardLinkName(port: port))\"") { log in
            try await self.blocking { try self.addPeers(peers, port: port, log) }
        }
    }

    /// Removes `peers` (by public key) from `wg-<port>` with one device configuration, and their
    /// routes in one batch, at once. The pod CIDRs are what the caller last knew: the route of
    /// one that another peer owns by now (a new pod got the address) stays, and routes of
    /// addresses this data path has since given the removed peers go too. Like
    /// ``addPeers(_:port:)``, nothing is read, so the cost follows the batch.
    @discardableResult
    public func removePeers(_ peers: [GatewayPeer], port: UInt16) async throws(GatewayDataPathError) -> DataPathChanges {
        try await changing("remove \(peers.count) peers from \"\(GatewayLayout.wireGuardLinkName(port: port))\"") { log in
            try await self.blocking { try self.removePeers(peers, port: port, log) }
        }
    }

    /// The periodic peer sweep: on each link of `expected` (port → the public keys that should be
    /// there), removes every other peer and every route of the link that no remaining peer's
    /// allowed IPs cover. A failing link does not stop the others; see the report's failures.
    public func removeStalePeers(expected: [UInt16: Set<PublicKey>]) async -> PeerCleanupReport {
        await gate.enter()
        let log = ChangeLog(logger: logger)
        var report = PeerCleanupReport()
        for port in expected.keys.sorted() {
            let keep = expected[port] ?? []
            do {
                let (removed, kept) = try await blocking { try self.removeStalePeers(port: port, keeping: keep, log) }
                if !removed.isEmpty { report.removed[port] = removed }
                report.kept[port] = kept
            } catch {
                let failure = GatewayDataPathError.wrapping(error, operation: "sweep peers of \"\(GatewayLayout.wireGuardLinkName(port: port))\"")
                log.warning("\(failure)")
                report.failures[port] = failure
            }
        }
        report.changes = log.changes
        await gate.leave()
        return report
    }

    /// Removes what no active gateway needs any more: `wg-<port>` links of other ports with their
    /// nat chains, `host0`'s IPv4 addresses of other secondary IPs with their host routes and host
    /// chains (host chains are found by name, so one whose address already left `host0` goes
    /// too), and, when nothing is active, the ILB address and the host's `EGRESS-GATEWAY-SNAT`.
    /// `host0`'s IPv6 addresses (its link-local) are never touched. A missing gateway namespace
    /// or `host0` only means there is less to remove; a failing step does not stop the others.
    public func cleanup(active: [ActiveGateway]) async -> CleanupReport {
        await gate.enter()
        let log = ChangeLog(logger: logger)
        var report = await GatewayCleanup(dataPath: self, active: active, log: log).run()
        report.changes = log.changes
        await gate.leave()
        return report
    }

    // MARK: Plumbing

    /// The host namespace as log lines and errors name it.
    var hostPlace: String { node.hostNamespace == .process ? "host netns" : node.hostNamespace.description }
    var gatewayPlace: String { node.gatewayNamespace.description }

    /// Runs one serialized call that changes the kernel and returns what it wrote.
    private func changing(_ operation: String, _ body: (ChangeLog) async throws -> Void) async throws(GatewayDataPathError) -> DataPathChanges {
        await gate.enter()
        let log = ChangeLog(logger: logger)
        do {
            try await body(log)
        } catch {
            await gate.leave()
            throw GatewayDataPathError.wrapping(error, operation: operation)
        }
        await gate.leave()
        return log.changes
    }

    /// Runs blocking kernel work on a dedicated thread (inside the host namespace, so anything it
    /// opens without naming a namespace lands there).
    func blocking<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws(GatewayDataPathError) -> T {
        do {
            return try await node.hostNamespace.run(body)
        } catch {
            throw GatewayDataPathError.wrapping(error, operation: "enter \(hostPlace)")
        }
    }

    func hostIPTables() -> IPTables { IPTables(namespace: node.hostNamespace, executables: node.iptables) }
    func gatewayIPTables() -> IPTables { IPTables(namespace: node.gatewayNamespace, executables: node.iptables) }
}

/// A first-come, first-served lock for async callers: each data-path call holds it from its
/// first read to its last write, so two calls never interleave their reads and writes.
actor SerialGate {
    private var busy = false
    private var waiting: [CheckedContinuation<Void, Never>] = []

    func enter() async {
        guard busy else {
            busy = true
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }

    /// Hands the lock to the longest waiter, or frees it.
    func leave() {
        if waiting.isEmpty {
            busy = false
        } else {
            waiting.removeFirst().resume()
        }
    }
}
