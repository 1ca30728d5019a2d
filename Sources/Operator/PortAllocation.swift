import EgressGatewayAPI

/// The WireGuard port of a new LB rule (spec §3.5): the lowest port of 6000–6999 that no other rule on the same
/// backend pool uses. Ports are unique per gateway pool, not per load balancer.
enum PortAllocation {
    /// `preferred` (a replaced rule's port) is taken when it is a WireGuard port no other rule uses.
    static func select(for backendID: String, among rules: [LoadBalancer.Rule],
                       preferring preferred: Int32? = nil) throws(LoadBalancerError) -> Int32 {
        var used = Set<Int32>()
        for rule in rules where backendID.equalFold(rule.backendID) {
            guard let front = rule.frontendPort, let back = rule.backendPort, front == back,
                EgressGateway.wireGuardPorts.contains(front)
            else { throw .invalidRulePort(rule: rule.name) }
            used.insert(front)
        }
        if let preferred, EgressGateway.wireGuardPorts.contains(preferred), !used.contains(preferred) {
            return preferred
        }
        guard let port = EgressGateway.wireGuardPorts.first(where: { !used.contains($0) }) else {
            throw .noAvailablePort(backend: backendID)
        }
        return port
    }
}
