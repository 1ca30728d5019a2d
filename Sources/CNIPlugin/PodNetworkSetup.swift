import Firewall
import Netlink

/// The pod-side routing of upstream-cni §1.6, applied inside the pod's namespace: the route plan
/// of the gateway's mode, then ingress symmetry (mangle rules, fwmark rule, table 8738, loose
/// reverse-path filtering). Every change is journalled so a failed ADD can put the pod back.
struct PodNetworkSetup {
    let namespaces: PodNamespaces
    let iptables: IPTables.Executables
    let journal: RollbackJournal

    private var pod: NetworkNamespace { namespaces.pod }
    private var links: NetlinkHandle { namespaces.podLinks }

    func apply(assignment: GatewayAssignment, excludedCIDRs: [IPNetwork], gatewayName: String,
               timer: inout StepTimer) async throws(CNIError) -> PodRoutePlan {
        let eth0 = try link(EgressPlugin.podInterface)
        let wg0 = try link(EgressPlugin.tunnelInterface)
        let eth0Routes = try kernel { try links.routes(table: RouteTable.main, linkIndex: eth0.index) }
        let plan = try PodRoutePlan.make(eth0Routes: eth0Routes, eth0Index: eth0.index, wg0Index: wg0.index,
                                         mode: assignment.defaultRoute, gatewayExceptions: assignment.exceptionCIDRs,
                                         excludedCIDRs: excludedCIDRs, gateway: gatewayName)
        try applyRoutes(plan)
        timer.lap("routes")
        try await applyIngressSymmetry(plan, timer: &timer)
        return plan
    }

    // MARK: Routes

    private func applyRoutes(_ plan: PodRoutePlan) throws(CNIError) {
        let links = self.links
        // Journalled before the batch: a batch that fails half-way has still changed the rest.
        if !plan.deletions.isEmpty {
            // Direct routes first: the kernel refuses a gateway it cannot reach yet.
            let direct = plan.deletions.filter { $0.gateway == nil && $0.via == nil }
            let restoreOrder = direct + plan.deletions.filter { $0.gateway != nil || $0.via != nil }
            journal.record("restore \(plan.deletions.count) routes of eth0 in \(pod)") {
                try links.replaceRoutes(restoreOrder)
            }
            try kernel { try links.deleteRoutes(plan.deletions) }
        }
        // A replace may overwrite a route of another link to the same destination; keep those
        // to put back after removing ours.
        let destinations = Set(plan.additions.map(\.destination))
        let overwritten = try kernel { try links.routes(table: RouteTable.main, family: .ipv4) }
            .filter { destinations.contains($0.destination) }
        journal.record("delete the \(plan.additions.count) routes ADD added in \(pod)") {
            for route in plan.additions.reversed() {
                do { try links.deleteRoute(route) } catch NetlinkError.notFound {}
            }
            if !overwritten.isEmpty { try links.replaceRoutes(overwritten) }
        }
        try kernel { try links.replaceRoutes(plan.additions) }
    }

    // MARK: Ingress symmetry

    /// The policy rule and table first, then the mangle rules and `rp_filter`: the same state as
    /// upstream's order, with the steps that run programs (most likely to fail) late.
    private func applyIngressSymmetry(_ plan: PodRoutePlan, timer: inout StepTimer) async throws(CNIError) {
        let links = self.links, pod = self.pod
        // Without a priority the kernel would add a second identical rule rather than refuse it.
        let mark = PodRules.ingressMark, table = PodRoutePlan.ingressTable
        let existing = try kernel { try links.rules(family: .ipv4) }
        let present = existing.contains { rule in
            rule.fwmark == mark && (rule.fwmask ?? 0xffff_ffff) == 0xffff_ffff && rule.table == table && rule.action == .toTable
        }
        if !present {
            let rule = Rule(table: table, fwmark: mark)
            try kernel { try links.addRule(rule) }
            journal.record("delete \(rule) in \(pod)") { try links.deleteRule(rule) }
        }

        let previous = try kernel { try links.routes(table: table, family: .ipv4) }.filter { $0.destination == nil }
        try kernel { try links.replaceRoute(plan.ingressDefault) }
        journal.record("restore table \(table)'s default route in \(pod)") {
            if previous.isEmpty {
                do { try links.deleteRoute(plan.ingressDefault) } catch NetlinkError.notFound {}
            } else {
                try links.replaceRoutes(previous)
            }
        }

        timer.lap("policy rule and table \(table)")

        let firewall = IPTables(namespace: pod, executables: iptables)
        do {
            let changes = try await firewall.apply(PodRules.ingressSymmetry(mark: PodRules.ingressMark, interface: EgressPlugin.podInterface))
            var added: [RequiredRule] = []
            for table in changes.tables {
                for case .append(let chain, let rule) in table.operations {
                    added.append(try RequiredRule(table: table.table, chain: chain, rule: rule, placement: .last))
                }
            }
            if !added.isEmpty {
                let addedState = try FirewallState(requiredRules: added)
                journal.record("remove the \(added.count) mangle rules ADD added in \(pod)") {
                    try await firewall.remove(addedState)
                }
            }
        } catch {
            throw .failed("add the ingress-symmetry mangle rules in \(pod)", error)
        }
        timer.lap("mangle rules")

        for key in ["net.ipv4.conf.all.rp_filter", "net.ipv4.conf.\(EgressPlugin.podInterface).rp_filter"] {
            do {
                let old = try pod.readSysctl(key)
                guard old != "2" else { continue }
                try pod.writeSysctl(key, "2")
                journal.record("restore \(key)=\(old) in \(pod)") { try pod.writeSysctl(key, old) }
            } catch {
                throw .failed("set \(key)=2 in \(pod)", error)
            }
        }
        timer.lap("rp_filter")
    }

    // MARK: Helpers

    private func link(_ name: String) throws(CNIError) -> Link {
        do {
            return try links.link(named: name)
        } catch {
            throw .failed("find \(name) in \(pod)", error)
        }
    }

    /// Runs a netlink step, turning its error into a CNI error that keeps the operation's text
    /// (which names the route or rule and the namespace).
    private func kernel<T>(_ body: () throws -> T) throws(CNIError) -> T {
        do {
            return try body()
        } catch {
            throw CNIError(code: .internalFailure, message: "failed to set up pod routes: \(error)")
        }
    }
}
