import Firewall
import Netlink
import Testing
@testable import Sandbox

@Suite("FabricPlan")
struct FabricPlanTests {
    let layout = try! SandboxLayout(runID: "plan", namePrefix: "egst", workers: 1, gateways: 2, hostControlLink: false)

    func rule(backends: [NodeLayout]) -> LoadBalancerRule {
        LoadBalancerRule(frontend: IPAddress("10.224.0.200")!, port: 6000, backends: backends.map(\.primaryIP),
                         probe: HealthProbe(port: 8082, path: "/gw/uid", intervalSeconds: 5))
    }

    @Test("a rule hashes over healthy backends only, in address order")
    func hashesOverHealthyBackends() throws {
        let rule = rule(backends: layout.gateways)
        let healthy: Set = [ProbeTarget(backend: layout.gateways[1].primaryIP, probe: rule.probe)]
        let plan = try FabricPlan.desired(FabricState(loadBalancerRules: [rule]), healthy: healthy, layout: layout)
        let chain = try #require(plan.firewall.chains.first { $0.name == "LB-0ae000c8-u6000" })
        #expect(chain.rules.count == 2)
        #expect(chain.rules[0].arguments.contains("--hmark-mod"))
        #expect(chain.rules[1].arguments.contains("0x\(String(layout.gateways[1].backendMark, radix: 16))/0xffffffff"))
        #expect(plan.routes.contains(.init(destination: rule.frontend, gateway: nil, port: SandboxLayout.frontendLink)))
    }

    @Test("with no healthy backend the rule drops, as Azure does")
    func noHealthyBackendDrops() throws {
        let rule = rule(backends: layout.gateways)
        let plan = try FabricPlan.desired(FabricState(loadBalancerRules: [rule]), healthy: [], layout: layout)
        let chain = try #require(plan.firewall.chains.first { $0.name.hasPrefix("LB-") })
        #expect(chain.rules.map(\.arguments) == [["-j", "DROP"]])
    }

    @Test("a backend or secondary IP that is no sandbox node is refused, naming it")
    func unknownNodeIsRefused() {
        let state = FabricState(secondaryIPs: [SecondaryIP(address: IPAddress("10.224.9.9")!, node: IPAddress("10.9.9.9")!)])
        #expect { try FabricPlan.desired(state, healthy: [], layout: layout) } throws: { error in
            "\(error)".contains("10.9.9.9")
        }
    }

    @Test("public IPs become 1:1 DNAT and SNAT at the Internet edge")
    func publicIPsAreNATed() throws {
        let state = FabricState(
            secondaryIPs: [SecondaryIP(address: IPAddress("10.224.1.100")!, node: layout.gateways[0].primaryIP)],
            publicIPs: [PublicIPAssociation(privateAddress: IPAddress("10.224.1.100")!, publicAddress: IPAddress("20.1.2.3")!)])
        let plan = try FabricPlan.desired(state, healthy: [], layout: layout)
        let dnat = try #require(plan.firewall.chains.first { $0.name == "SANDBOX-PIP-DNAT" })
        let snat = try #require(plan.firewall.chains.first { $0.name == "SANDBOX-PIP-SNAT" })
        #expect(dnat.rules.map(\.arguments) == [["-d", "20.1.2.3/32", "-i", "inet", "-j", "DNAT", "--to-destination", "10.224.1.100"]])
        #expect(snat.rules.map(\.arguments) == [["-s", "10.224.1.100/32", "-o", "inet", "-j", "SNAT", "--to-source", "20.1.2.3"]])
        #expect(plan.routes == [.init(destination: IPAddress("10.224.1.100")!, gateway: layout.gateways[0].primaryIP, port: "g0")])
    }
}
