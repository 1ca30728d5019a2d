import EgressGatewayAPI
@testable import Operator
import Testing

/// The load balancer computation (spec §3.4–§3.8, §8.1 items 8–10, 13, 14), without Azure.
@Suite("Load balancer plan")
struct LoadBalancerPlanTests {
    static let cloud = CloudTarget(subscriptionID: "sub", resourceGroup: "rg", location: "eastus",
                                   vnetName: "vnet", subnetName: "subnet")
    static let target = LoadBalancerTarget(poolID: "pool-uid", ruleName: "lb-uid", probePath: "/gw/sgc-uid",
                                           probePort: 8082, cloud: cloud)
    static let subnet = "/subscriptions/sub/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/vnet/subnets/subnet"
    static let lbID = "/subscriptions/sub/resourceGroups/rg/providers/Microsoft.Network/loadBalancers/kubeegressgateway-ilb"

    /// The LB as Azure returns it after the first PUT.
    static func provisioned(ip: String = "10.0.0.4", port: Int32 = 6000) -> LoadBalancer {
        LoadBalancer(
            name: "kubeegressgateway-ilb", location: "eastus",
            frontends: [.init(name: "pool-uid", id: "\(lbID)/frontendIPConfigurations/pool-uid", privateIPAddress: ip,
                              privateIPAddressVersion: "IPv4", privateIPAllocationMethod: "Dynamic", subnetID: subnet)],
            backends: [.init(name: "pool-uid", id: "\(lbID)/backendAddressPools/pool-uid")],
            rules: [.init(name: "lb-uid", transportProtocol: "Udp", enableFloatingIP: true,
                          frontendID: "\(lbID)/frontendIPConfigurations/pool-uid",
                          backendID: "\(lbID)/backendAddressPools/pool-uid", probeID: "\(lbID)/probes/lb-uid",
                          frontendPort: port, backendPort: port)],
            probes: [.init(name: "lb-uid", transportProtocol: "Http", port: 8082, requestPath: "/gw/sgc-uid",
                           probeThreshold: 1, intervalInSeconds: 5)])
    }

    @Test("a missing LB is built whole: new frontend without IP or ID, backend, rule at 6000, probe /gw/<sgc uid>")
    func newLoadBalancer() throws {
        #expect(LoadBalancerPlan.needsFrontend(nil, target: Self.target))
        let plan = try LoadBalancerPlan.provision(nil, target: Self.target, subnetID: Self.subnet)
        #expect(plan.changed && plan.port == 6000 && plan.frontendIP == nil)
        let lb = plan.loadBalancer
        #expect(lb.name == "kubeegressgateway-ilb" && lb.location == "eastus")
        #expect(lb.frontends == [.init(name: "pool-uid", privateIPAddressVersion: "IPv4",
                                       privateIPAllocationMethod: "Dynamic", subnetID: Self.subnet)])
        #expect(lb.backends == [.init(name: "pool-uid")])
        #expect(lb.rules == [.init(name: "lb-uid", transportProtocol: "Udp", enableFloatingIP: true,
                                   frontendID: "\(Self.lbID)/frontendIPConfigurations/pool-uid",
                                   backendID: "\(Self.lbID)/backendAddressPools/pool-uid",
                                   probeID: "\(Self.lbID)/probes/lb-uid", frontendPort: 6000, backendPort: 6000)])
        #expect(lb.probes == [.init(name: "lb-uid", transportProtocol: "Http", port: 8082, requestPath: "/gw/sgc-uid",
                                    probeThreshold: 1, intervalInSeconds: 5)])
    }

    @Test("an unchanged LB is not written")
    func unchanged() throws {
        let plan = try LoadBalancerPlan.provision(Self.provisioned(), target: Self.target, subnetID: nil)
        #expect(!plan.changed && plan.frontendIP == "10.0.0.4" && plan.port == 6000)
        #expect(!LoadBalancerPlan.needsFrontend(Self.provisioned(), target: Self.target))
    }

    @Test("a rule with the wrong protocol is replaced and keeps its port (Go moves it to the lowest free port)")
    func wrongRuleProtocol() throws {
        var lb = Self.provisioned(port: 6003)
        lb.rules[0].transportProtocol = "Tcp"
        let plan = try LoadBalancerPlan.provision(lb, target: Self.target, subnetID: nil)
        #expect(plan.changed && plan.port == 6003)
        #expect(plan.loadBalancer.rules.map(\.transportProtocol) == ["Udp"])
    }

    @Test("a probe with the wrong path, protocol or port, or without properties, is replaced", arguments: [
        LoadBalancer.Probe(name: "lb-uid", transportProtocol: "Http", port: 8082, requestPath: "/gw/other",
                           probeThreshold: 1, intervalInSeconds: 5),
        LoadBalancer.Probe(name: "lb-uid", transportProtocol: "Tcp", port: 8082, requestPath: "/gw/sgc-uid",
                           probeThreshold: 1, intervalInSeconds: 5),
        LoadBalancer.Probe(name: "lb-uid", transportProtocol: "Http", port: 9000, requestPath: "/gw/sgc-uid",
                           probeThreshold: 1, intervalInSeconds: 5),
        LoadBalancer.Probe(name: "lb-uid", hasProperties: false),
    ])
    func wrongProbe(probe: LoadBalancer.Probe) throws {
        var lb = Self.provisioned()
        lb.probes = [probe]
        let plan = try LoadBalancerPlan.provision(lb, target: Self.target, subnetID: nil)
        #expect(plan.changed)
        #expect(plan.loadBalancer.probes == Self.provisioned().probes)
    }

    @Test("a differently named rule on the same backend at 6000 makes the new rule take 6001")
    func portTaken() throws {
        var lb = Self.provisioned()
        lb.rules[0].name = "other-uid"
        lb.rules[0].probeID = "\(Self.lbID)/probes/other-uid"
        let plan = try LoadBalancerPlan.provision(lb, target: Self.target, subnetID: nil)
        #expect(plan.port == 6001)
    }

    @Test("a frontend without properties, IPv6, no version or no IP is refused", arguments: [
        LoadBalancer.Frontend(name: "pool-uid", hasProperties: false),
        LoadBalancer.Frontend(name: "pool-uid", privateIPAddress: "fd00::4", privateIPAddressVersion: "IPv6"),
        LoadBalancer.Frontend(name: "pool-uid", privateIPAddress: "10.0.0.4"),
        LoadBalancer.Frontend(name: "pool-uid", privateIPAddressVersion: "IPv4"),
    ])
    func malformedFrontend(frontend: LoadBalancer.Frontend) {
        var lb = Self.provisioned()
        lb.frontends = [frontend]
        #expect(throws: LoadBalancerError.unexpectedFrontend(name: "pool-uid")) {
            try LoadBalancerPlan.provision(lb, target: Self.target, subnetID: nil)
        }
        #expect(LoadBalancerError.unexpectedFrontend(name: "pool-uid").description
            == "found frontend(pool-uid) with unexpected configuration")
    }

    @Test("an LB without properties is refused")
    func noProperties() {
        let lb = LoadBalancer(name: "kubeegressgateway-ilb", location: "eastus", hasProperties: false)
        #expect(throws: LoadBalancerError.propertiesEmpty) {
            try LoadBalancerPlan.provision(lb, target: Self.target, subnetID: nil)
        }
        #expect(LoadBalancerError.propertiesEmpty.description == "lb property is empty")
    }

    @Test("port selection: rules without ports or outside 6000-6999 are invalid; 1000 used ports leave none")
    func portSelection() throws {
        let backend = Self.target.backendID
        #expect(throws: LoadBalancerError.invalidRulePort(rule: "r")) {
            try PortAllocation.select(for: backend, among: [.init(name: "r", backendID: backend)])
        }
        #expect(throws: LoadBalancerError.invalidRulePort(rule: "r")) {
            try PortAllocation.select(for: backend, among: [
                .init(name: "r", backendID: backend, frontendPort: 100, backendPort: 100)])
        }
        let all = (Int32(6000)..<7000).map {
            LoadBalancer.Rule(name: "r\($0)", backendID: backend.uppercased(), frontendPort: $0, backendPort: $0)
        }
        #expect(throws: LoadBalancerError.noAvailablePort(backend: backend)) {
            try PortAllocation.select(for: backend, among: all)
        }
        // Ports are per backend: another pool's rules do not count.
        #expect(try PortAllocation.select(for: "other", among: all) == 6000)
        #expect(try PortAllocation.select(for: backend, among: Array(all.dropFirst(5))) == 6000)
    }

    /// After an SGC moved to another pool (spec §8.2 item 10), the old pool's pair goes once nothing uses it.
    @Test("a pool's frontend and backend without rules go once the backend has no members; the rest stays")
    func pruneAbandonedPools() {
        var lb = Self.provisioned()
        lb.frontends.append(.init(name: "old-uid", id: "\(Self.lbID)/frontendIPConfigurations/old-uid",
                                  privateIPAddress: "10.0.0.5", privateIPAddressVersion: "IPv4",
                                  privateIPAllocationMethod: "Dynamic", subnetID: Self.subnet))
        lb.backends.append(.init(name: "old-uid", id: "\(Self.lbID)/backendAddressPools/old-uid", hasMembers: true))
        #expect(LoadBalancerPlan.pruneAbandonedPools(lb) == lb, "its backend still has members")
        lb.backends[1].hasMembers = false
        #expect(LoadBalancerPlan.pruneAbandonedPools(lb) == Self.provisioned())
        var foreign = lb.rules[0]
        foreign.name = "foreign"
        foreign.frontendID = lb.frontends[1].id
        foreign.backendID = nil
        lb.rules.append(foreign)
        #expect(LoadBalancerPlan.pruneAbandonedPools(lb) == lb, "a foreign rule uses the old frontend")
        #expect(LoadBalancerPlan.pruneAbandonedPools(Self.provisioned()) == Self.provisioned())
    }

    @Test("release: an LB holding only this configuration is deleted")
    func releaseDeletes() {
        #expect(LoadBalancerPlan.release(Self.provisioned(), targets: [Self.target]) == .delete)
    }

    @Test("release: a foreign rule on the same frontend keeps the frontend and backend")
    func releaseKeepsShared() {
        var lb = Self.provisioned()
        var foreign = lb.rules[0]
        foreign.name = "other-uid"
        foreign.frontendPort = 6001
        foreign.backendPort = 6001
        lb.rules.append(foreign)
        guard case .put(let released) = LoadBalancerPlan.release(lb, targets: [Self.target]) else {
            Issue.record("expected a PUT")
            return
        }
        #expect(released.rules.map(\.name) == ["other-uid"])
        #expect(released.probes.isEmpty)
        #expect(released.frontends == lb.frontends && released.backends == lb.backends)
    }

    /// Go dereferences the frontend of every remaining rule and crashes on one without it (spec §8.2 item 3).
    @Test("release: a foreign rule without a frontend does not crash and does not keep the frontend")
    func releaseRuleWithoutFrontend() {
        var lb = Self.provisioned()
        lb.frontends.append(.init(name: "other-pool", id: "\(Self.lbID)/frontendIPConfigurations/other-pool",
                                  privateIPAddress: "10.0.0.5", privateIPAddressVersion: "IPv4"))
        lb.rules.append(.init(name: "broken", hasProperties: false))
        guard case .put(let released) = LoadBalancerPlan.release(lb, targets: [Self.target]) else {
            Issue.record("expected a PUT")
            return
        }
        #expect(released.frontends.map(\.name) == ["other-pool"])
        #expect(released.backends.isEmpty)
    }

    @Test("release of an LB without this configuration's pieces changes nothing")
    func releaseUnchanged() {
        var lb = Self.provisioned()
        let other = LoadBalancerTarget(poolID: "pool-uid", ruleName: "gone-uid", probePath: "/gw/x", probePort: 8082,
                                       cloud: Self.cloud)
        lb.rules[0].name = "lb-uid"
        #expect(LoadBalancerPlan.release(lb, targets: [other]) == .unchanged)
    }

    /// The LB with `count` configurations on the pool of ``provisioned()``: rules and probes `lb-uid`, `lb-uid1`, ….
    static func shared(by count: Int) -> LoadBalancer {
        var lb = Self.provisioned()
        for index in 1..<count {
            var rule = lb.rules[0]
            rule.name = "lb-uid\(index)"
            rule.probeID = "\(Self.lbID)/probes/lb-uid\(index)"
            rule.frontendPort = 6000 + Int32(index)
            rule.backendPort = rule.frontendPort
            lb.rules.append(rule)
            var probe = lb.probes[0]
            probe.name = "lb-uid\(index)"
            lb.probes.append(probe)
        }
        return lb
    }

    static func target(_ index: Int, pool: String = "pool-uid") -> LoadBalancerTarget {
        LoadBalancerTarget(poolID: pool, ruleName: index == 0 ? "lb-uid" : "lb-uid\(index)", probePath: "/gw/x",
                           probePort: 8082, cloud: cloud)
    }

    @Test("release of every configuration of the LB together is one DELETE")
    func releaseBatchDeletes() {
        #expect(LoadBalancerPlan.release(Self.shared(by: 10), targets: (0..<10).map { Self.target($0) }) == .delete)
    }

    @Test("release of a batch while one configuration stays: one PUT without the batch's rules and probes, pool kept")
    func releaseBatchKeepsTheRemainingRulesPool() {
        let lb = Self.shared(by: 4)
        guard case .put(let released) = LoadBalancerPlan.release(lb, targets: (0..<3).map { Self.target($0) }) else {
            Issue.record("expected a PUT")
            return
        }
        #expect(released.rules.map(\.name) == ["lb-uid3"] && released.probes.map(\.name) == ["lb-uid3"])
        #expect(released.frontends == lb.frontends && released.backends == lb.backends)
    }

    @Test("release of the last configuration of one pool removes that pool's frontend and backend only")
    func releaseBatchAcrossPools() {
        var lb = Self.provisioned()
        lb.frontends.append(.init(name: "other-pool", id: "\(Self.lbID)/frontendIPConfigurations/other-pool",
                                  privateIPAddress: "10.0.0.5", privateIPAddressVersion: "IPv4"))
        lb.backends.append(.init(name: "other-pool", id: "\(Self.lbID)/backendAddressPools/other-pool"))
        var rule = lb.rules[0]
        rule.name = "other-rule"
        rule.frontendID = "\(Self.lbID)/frontendIPConfigurations/other-pool"
        rule.backendID = "\(Self.lbID)/backendAddressPools/other-pool"
        lb.rules.append(rule)
        guard case .put(let released) = LoadBalancerPlan.release(lb, targets: [Self.target(0)]) else {
            Issue.record("expected a PUT")
            return
        }
        #expect(released.frontends.map(\.name) == ["other-pool"] && released.backends.map(\.name) == ["other-pool"])
        #expect(released.rules.map(\.name) == ["other-rule"])
        // Both pools released together: nothing remains, the LB goes.
        #expect(LoadBalancerPlan.release(lb, targets: [
            Self.target(0),
            LoadBalancerTarget(poolID: "other-pool", ruleName: "other-rule", probePath: "/gw/y", probePort: 8082,
                               cloud: Self.cloud),
        ]) == .delete)
    }

    /// Go resolves the pool during deletion and keeps the finalizer forever once it is gone (spec §8.2 item 12).
    @Test("a target whose pool is gone loses its rule and probe; the frontend and backend stay, the LB is not deleted")
    func releaseWithoutPool() {
        let lb = Self.provisioned()
        let orphan = LoadBalancerTarget(poolID: "", ruleName: "lb-uid", probePath: "", probePort: 8082, cloud: Self.cloud)
        guard case .put(let released) = LoadBalancerPlan.release(lb, targets: [orphan]) else {
            Issue.record("expected a PUT")
            return
        }
        #expect(released.rules.isEmpty && released.probes.isEmpty)
        #expect(released.frontends == lb.frontends && released.backends == lb.backends)
    }

    @Test("a released configuration waits for siblings deleted with it, within the window only", arguments: [
        (pending: 0, elapsed: 0, expected: nil),
        (pending: 3, elapsed: 0, expected: 120),
        (pending: 3, elapsed: 100, expected: 20),
        (pending: 1, elapsed: 120, expected: nil),
        (pending: 1, elapsed: 500, expected: nil),
    ] as [(pending: Int, elapsed: Int64, expected: Int64?)])
    func releaseDelay(_ example: (pending: Int, elapsed: Int64, expected: Int64?)) {
        #expect(LoadBalancerPlan.releaseDelay(pendingSiblings: example.pending, deletedFor: .seconds(example.elapsed),
                                              window: .seconds(120)) == example.expected.map { .seconds($0) })
    }
}
