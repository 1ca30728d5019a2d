import EgressGatewayAPI

/// What one GatewayLBConfiguration needs from the load balancer: its pool's frontend and backend (named by the
/// pool ID), and its own rule and probe (named by the LB configuration's UID).
public struct LoadBalancerTarget: Sendable, Hashable {
    /// The gateway pool ID: the VMSS `uniqueId`, or the UUIDv3 of a VM pool's node pool name.
    public var poolID: String
    /// The GatewayLBConfiguration's UID: the rule and probe name.
    public var ruleName: String
    /// `/gw/<SGC uid>`.
    public var probePath: String
    public var probePort: Int32
    public var cloud: CloudTarget

    public init(poolID: String, ruleName: String, probePath: String, probePort: Int32, cloud: CloudTarget) {
        self.poolID = poolID
        self.ruleName = ruleName
        self.probePath = probePath
        self.probePort = probePort
        self.cloud = cloud
    }

    var frontendID: String { cloud.frontendID(poolID) }
    var backendID: String { cloud.backendID(poolID) }
    var probeID: String { cloud.probeID(ruleName) }

    /// The rule as the operator writes it, without ports (UDP, floating IP, this pool and probe; spec §3.4 f).
    var expectedRule: LoadBalancer.Rule {
        LoadBalancer.Rule(name: ruleName, transportProtocol: "Udp", enableFloatingIP: true, frontendID: frontendID,
                          backendID: backendID, probeID: probeID)
    }

    var expectedProbe: LoadBalancer.Probe {
        LoadBalancer.Probe(name: ruleName, transportProtocol: "Http", port: probePort, requestPath: probePath,
                           probeThreshold: 1, intervalInSeconds: 5)
    }
}

/// Why the load balancer cannot serve a GatewayLBConfiguration. The texts are the Go operator's, which its users
/// and tests know from the events.
public enum LoadBalancerError: Error, Equatable, CustomStringConvertible {
    case propertiesEmpty
    case unexpectedFrontend(name: String)
    case invalidRulePort(rule: String)
    case noAvailablePort(backend: String)
    case frontendIPMissing

    public var description: String {
        switch self {
        case .propertiesEmpty: "lb property is empty"
        case .unexpectedFrontend(let name): "found frontend(\(name)) with unexpected configuration"
        case .invalidRulePort(let rule): "selectPortForLBRule: found rule with invalid LB port (rule \(rule))"
        case .noAvailablePort(let backend): "selectPortForLBRule: No available ports (backend \(backend))"
        case .frontendIPMissing: "frontend ip not found even after updating lb"
        }
    }
}

/// The load balancer a GatewayLBConfiguration needs, computed from the one observed: pure, so that "no PUT when
/// nothing changed" is decided here and tested without Azure.
public enum LoadBalancerPlan {
    /// The result of ``provision(_:target:subnetID:)``.
    public struct Provisioned: Sendable, Hashable {
        public var loadBalancer: LoadBalancer
        /// Whether `loadBalancer` differs from the observed one (then it is PUT).
        public var changed: Bool
        /// The frontend's private IP, nil while Azure has not allocated it (a new frontend: read it from the PUT).
        public var frontendIP: String?
        public var port: Int32
    }

    /// Whether the pool's frontend is missing, so that the caller must look up the subnet for a new one.
    public static func needsFrontend(_ observed: LoadBalancer?, target: LoadBalancerTarget) -> Bool {
        !(observed?.frontends.contains { target.poolID.equalFold($0.name) } ?? false)
    }

    /// The load balancer with this configuration's frontend, backend, rule and probe in place. `observed` nil
    /// means there is none yet: a new one is built. `subnetID` is needed only when ``needsFrontend`` is true.
    public static func provision(_ observed: LoadBalancer?, target: LoadBalancerTarget,
                                 subnetID: String?) throws(LoadBalancerError) -> Provisioned {
        var lb = observed ?? LoadBalancer(name: target.cloud.loadBalancerName, location: target.cloud.location)
        guard lb.hasProperties else { throw .propertiesEmpty }
        var frontendIP: String?
        if let frontend = lb.frontends.first(where: { target.poolID.equalFold($0.name) }) {
            guard frontend.hasProperties, frontend.privateIPAddressVersion == "IPv4",
                let address = frontend.privateIPAddress
            else { throw .unexpectedFrontend(name: target.poolID) }
            frontendIP = address
        } else {
            lb.frontends.append(LoadBalancer.Frontend(
                name: target.poolID, privateIPAddressVersion: "IPv4", privateIPAllocationMethod: "Dynamic",
                subnetID: subnetID))
        }
        let hasBackend = lb.backends.contains { target.poolID.equalFold($0.name) && target.backendID.equalFold($0.id) }
        if !hasBackend { lb.backends.append(LoadBalancer.BackendPool(name: target.poolID)) }

        let expected = target.expectedRule
        var port: Int32
        if let index = lb.rules.firstIndex(where: { target.ruleName.equalFold($0.name) }),
            lb.rules[index].hasProperties, isSameRule(lb.rules[index], expected),
            let existingPort = lb.rules[index].frontendPort
        {
            port = existingPort
        } else {
            // A rule of this name that is not the expected one is replaced. Its port is kept when still free, since
            // clients know the gateway by it (Go takes the lowest free port, which may move it).
            var previousPort: Int32?
            if let index = lb.rules.firstIndex(where: { target.ruleName.equalFold($0.name) }) {
                previousPort = lb.rules.remove(at: index).frontendPort
            }
            port = try PortAllocation.select(for: target.backendID, among: lb.rules, preferring: previousPort)
            var rule = expected
            rule.frontendPort = port
            rule.backendPort = port
            lb.rules.append(rule)
        }

        let probe = target.expectedProbe
        if let index = lb.probes.firstIndex(where: { target.ruleName.equalFold($0.name) }) {
            // A probe without properties (which crashes the Go operator) is replaced like any other mismatch.
            if !isSameProbe(lb.probes[index], probe) {
                lb.probes.remove(at: index)
                lb.probes.append(probe)
            }
        } else {
            lb.probes.append(probe)
        }
        return Provisioned(loadBalancer: lb, changed: lb != observed, frontendIP: frontendIP, port: port)
    }

    /// What releasing a configuration does to the load balancer.
    public enum Release: Sendable, Hashable {
        case unchanged
        case put(LoadBalancer)
        /// No frontend would remain: the whole load balancer goes.
        case delete
    }

    /// Removes the rules and probes of `targets` (configurations released together, so that a wave of deletions
    /// costs one write); then, for each of their pools whose frontend no remaining rule uses, the frontend and
    /// backend; when that leaves no frontend at all, the whole load balancer (spec §3.8).
    ///
    /// A target without a pool ID (its pool no longer exists, so its frontend cannot be named; spec §8.2 item 12,
    /// where Go keeps the finalizer forever) loses only its rule and probe.
    ///
    /// The caller releases only configurations whose VM configuration is gone: every VM configuration that may
    /// still reference a backend belongs to a configuration whose rule remains, and that rule keeps the pool.
    public static func release(_ observed: LoadBalancer, targets: [LoadBalancerTarget]) -> Release {
        var lb = observed
        let names = Set(targets.map { $0.ruleName.lowercased() })
        lb.rules.removeAll { names.contains($0.name.lowercased()) }
        lb.probes.removeAll { names.contains($0.name.lowercased()) }
        var removedFrontend = false
        var seenPools: Set<String> = []
        for target in targets where !target.poolID.isEmpty && seenPools.insert(target.poolID.lowercased()).inserted {
            // Rules without a frontend (a Go crash) do not keep the frontend alive.
            guard !lb.rules.contains(where: { target.frontendID.equalFold($0.frontendID) }) else { continue }
            lb.frontends.removeAll { target.frontendID.equalFold($0.id) || ($0.id == nil && target.poolID.equalFold($0.name)) }
            lb.backends.removeAll { target.backendID.equalFold($0.id) || ($0.id == nil && target.poolID.equalFold($0.name)) }
            removedFrontend = true
        }
        if removedFrontend && lb.frontends.isEmpty { return .delete }
        return lb == observed ? .unchanged : .put(lb)
    }

    /// Removes each pool's frontend and backend (the pair this operator names by the pool ID) that no rule uses any
    /// more and whose backend has no members: what a configuration that moved to another pool leaves behind once
    /// the VM controller has taken its ipconfigs off the old pool (Go leaves them forever, spec §8.2 item 10). A
    /// pair still holding members waits for a later pass; ARM would refuse the whole write.
    public static func pruneAbandonedPools(_ observed: LoadBalancer) -> LoadBalancer {
        var lb = observed
        let abandoned = lb.frontends.compactMap { frontend -> String? in
            guard let frontendID = frontend.id,
                let backend = lb.backends.first(where: { $0.name.equalFold(frontend.name) }), let backendID = backend.id,
                !backend.hasMembers,
                !lb.rules.contains(where: { frontendID.equalFold($0.frontendID) || backendID.equalFold($0.backendID) })
            else { return nil }
            return frontend.name.lowercased()
        }
        guard !abandoned.isEmpty else { return observed }
        lb.frontends.removeAll { abandoned.contains($0.name.lowercased()) }
        lb.backends.removeAll { abandoned.contains($0.name.lowercased()) }
        return lb
    }

    /// How long a configuration whose VM configuration is gone holds back its release while `pendingSiblings`
    /// other configurations, deleted with it, still wait for theirs: the last of them releases every one in one
    /// write. The wait ends `window` after this configuration's deletion started, so that a sibling stuck in
    /// deletion delays it by that much at most. nil: release now.
    public static func releaseDelay(pendingSiblings: Int, deletedFor elapsed: Duration,
                                    window: Duration) -> Duration? {
        guard pendingSiblings > 0, elapsed < window else { return nil }
        return window - elapsed
    }

    /// The Go `sameLBRuleConfig`: frontend, backend and probe IDs (case-insensitive), protocol and floating IP.
    /// Ports and everything else are ignored.
    static func isSameRule(_ rule: LoadBalancer.Rule, _ expected: LoadBalancer.Rule) -> Bool {
        func same(_ lhs: String?, _ rhs: String?) -> Bool {
            switch (lhs, rhs) {
            case (nil, nil): true
            case let (lhs?, rhs?): lhs.lowercased() == rhs.lowercased()
            default: false
            }
        }
        return same(rule.frontendID, expected.frontendID) && same(rule.backendID, expected.backendID)
            && same(rule.probeID, expected.probeID) && rule.transportProtocol == expected.transportProtocol
            && rule.enableFloatingIP == expected.enableFloatingIP
    }

    static func isSameProbe(_ probe: LoadBalancer.Probe, _ expected: LoadBalancer.Probe) -> Bool {
        probe.hasProperties && probe.requestPath == expected.requestPath && probe.port == expected.port
            && probe.transportProtocol == expected.transportProtocol
            && probe.probeThreshold == expected.probeThreshold
            && probe.intervalInSeconds == expected.intervalInSeconds
    }
}
