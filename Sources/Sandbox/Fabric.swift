import Firewall
import Netlink

/// Applies a ``FabricPlan`` to the fabric namespace as a reconciler does: reads what is there,
/// writes only the difference. Routes it owns carry their own protocol number, so the static
/// wiring of the ``Topology`` is never touched.
public struct Fabric: Sendable {
    /// What one apply changed; empty when the kernel already matched.
    public struct Changes: Sendable, Hashable, CustomStringConvertible {
        public var routesAdded: [String] = []
        public var routesRemoved: [String] = []
        public var firewallTables: [String] = []
        public var chainsRemoved: Bool = false
        public var isEmpty: Bool { routesAdded.isEmpty && routesRemoved.isEmpty && firewallTables.isEmpty && !chainsRemoved }
        public var description: String {
            isEmpty ? "no change"
                : "routes +\(routesAdded) -\(routesRemoved), firewall tables \(firewallTables)\(chainsRemoved ? ", stale chains removed" : "")"
        }
    }

    /// `rtm_protocol` of the fabric's own routes (an unassigned number: no routing daemon uses it).
    static let routeProtocol = RouteProtocol(rawValue: 0x5b)

    public let namespace: NetworkNamespace

    public init(layout: SandboxLayout) throws(SandboxError) {
        namespace = try SandboxError.during("open the fabric namespace") { try NetworkNamespace.named(layout.fabricNamespace) }
    }

    /// Makes the fabric hold `plan`.
    @discardableResult
    public func apply(_ plan: FabricPlan) async throws(SandboxError) -> Changes {
        var changes = Changes()
        let links = try SandboxError.during("open netlink in \(namespace)") { try NetlinkHandle(namespace: namespace) }
        try SandboxError.during("reconcile the fabric's routes") {
            var indexes: [String: Int32] = [:]
            for link in try links.links() { indexes[link.name] = link.index }
            let desired = try plan.routes.map { planned in
                guard let index = indexes[planned.port] else {
                    throw SandboxError.invalidConfiguration(field: "fabric port", value: planned.port, reason: "no such link in \(namespace)")
                }
                return (planned, Route(destination: IPNetwork(host: planned.destination), gateway: planned.gateway,
                                       linkIndex: index, protocol: Self.routeProtocol))
            }
            let observed = try links.routes(table: RouteTable.main, family: .ipv4).filter { $0.protocol == Self.routeProtocol }
            for (planned, route) in desired where !observed.contains(where: { Self.same($0, route) }) {
                try links.replaceRoute(route)
                changes.routesAdded.append(planned.description)
            }
            for route in observed where !desired.contains(where: { Self.same(route, $0.1) }) {
                try links.deleteRoute(route)
                changes.routesRemoved.append(route.description)
            }
        }
        try await SandboxError.during("reconcile the fabric's firewall") {
            let iptables = IPTables(namespace: namespace)
            let applied = try await iptables.apply(plan.firewall)
            changes.firewallTables = applied.tables.filter { !$0.isEmpty }.map(\.table.rawValue)
            let removed = try await iptables.removeChains(withPrefix: FabricPlan.ruleChainPrefix, in: .mangle, keeping: plan.ruleChains)
            changes.chainsRemoved = !removed.isEmpty
        }
        return changes
    }

    private static func same(_ a: Route, _ b: Route) -> Bool {
        a.destination == b.destination && a.gateway == b.gateway && a.linkIndex == b.linkIndex
    }
}
