import ARMEmulator
import Netlink
import Testing
@testable import Sandbox

/// ARM state → the data plane the sandbox applies: a pure function of the resources as ARM answers them.
@Suite struct FabricDerivationTests {
    let layout = try! SandboxLayout(runID: "t1", workers: 1, gateways: 2)

    func fixture() throws -> ARMFixture {
        let cloud = SandboxCloud(layout: layout)
        var configuration = ARMEmulator.Configuration()
        configuration.publicAddressPool = SandboxCloud.publicAddressPool
        let arm = ARMEmulator(configuration: configuration)
        try arm.apply(cloud.seed)
        return ARMFixture(cloud: cloud, arm: arm)
    }

    func derive(_ fixture: ARMFixture, imdsPort: UInt16? = nil) -> FabricDerivation {
        FabricDerivation(ARMSnapshot(fixture.arm), layout: layout, imdsPort: imdsPort)
    }

    @Test func theSeedAloneAsksForNothingButIMDS() throws {
        let derivation = derive(try fixture(), imdsPort: 8089)
        #expect(derivation.state == FabricState(imdsPort: 8089))
        #expect(derivation.ignored.isEmpty)
    }

    @Test func publicModeDeliversSecondaryIPsToTheirNodesNATsThemAndBalancesTheRule() throws {
        let fixture = try fixture()
        try fixture.createPrefix()
        try fixture.createLoadBalancer()
        try fixture.updateModel(publicIPs: true)
        try fixture.updateInstance(0, publicIPs: true)
        try fixture.updateInstance(1, publicIPs: true)
        let derivation = derive(fixture)
        #expect(derivation.ignored.isEmpty)
        let gateways = layout.gateways.map(\.primaryIP)
        // The worker holds 10.224.0.4, the frontend took the next free address, then the instances' ipconfigs.
        let secondaries = derivation.state.secondaryIPs
        #expect(secondaries.map(\.node) == gateways)
        #expect(secondaries.map(\.address.description) == ["10.224.0.6", "10.224.0.7"])
        #expect(derivation.state.publicIPs.map(\.privateAddress) == secondaries.map(\.address))
        #expect(Set(derivation.state.publicIPs.map(\.publicAddress.description)) == ["192.0.2.0", "192.0.2.1"])
        #expect(derivation.state.loadBalancerRules == [
            LoadBalancerRule(frontend: IPAddress("10.224.0.5")!, transport: .udp, port: 6000, backends: gateways,
                             probe: HealthProbe(port: 8082, path: "/gw/\(fixture.uid)", intervalSeconds: 1, threshold: 1)),
        ])
    }

    @Test func privateModeDeliversSecondaryIPsWithoutPublicIPs() throws {
        let fixture = try fixture()
        try fixture.createLoadBalancer()
        try fixture.updateInstance(0, publicIPs: false)
        let state = derive(fixture).state
        #expect(state.secondaryIPs.map(\.node) == [layout.gateways[0].primaryIP])
        #expect(state.publicIPs.isEmpty)
        #expect(state.loadBalancerRules.first?.backends == [layout.gateways[0].primaryIP])
    }

    @Test func aModelChangeReachesTheDataPlaneOnlyThroughTheInstanceUpdate() throws {
        let fixture = try fixture()
        try fixture.createPrefix()
        try fixture.createLoadBalancer()
        try fixture.updateModel(publicIPs: true)
        let beforeUpdate = derive(fixture).state
        #expect(beforeUpdate.secondaryIPs.isEmpty && beforeUpdate.publicIPs.isEmpty)
        #expect(beforeUpdate.loadBalancerRules.first?.backends == [])

        try fixture.updateInstance(1, publicIPs: true)
        #expect(derive(fixture).state.secondaryIPs.map(\.node) == [layout.gateways[1].primaryIP])
        try fixture.resetInstance(1)
        #expect(derive(fixture).state.secondaryIPs.isEmpty)
    }

    @Test func rulesTheSandboxCannotCarryAreIgnoredWithTheReason() throws {
        let fixture = try fixture()
        try fixture.createLoadBalancer(floatingIP: false)
        let derivation = derive(fixture)
        #expect(derivation.state.loadBalancerRules.isEmpty)
        #expect(derivation.ignored == ["load-balancing rule \(fixture.loadBalancerID)/loadBalancingRules/\(fixture.uid): not floating IP"])
    }

    @Test func nicsOfMachinesOutsideTheLayoutAreIgnored() throws {
        let other = try SandboxLayout(runID: "t1", workers: 1, gateways: 1)
        let fixture = try fixture()
        let derivation = FabricDerivation(ARMSnapshot(fixture.arm), layout: other)
        #expect(derivation.ignored.count == 1)
        #expect(derivation.ignored.first?.contains("primary IP 10.224.1.5 is no sandbox node's") == true)
    }

    @Test func everythingEgressgwMadeIsListedUntilItIsGone() throws {
        let fixture = try fixture()
        #expect(ARMSnapshot(fixture.arm).egressgwResources().isEmpty)
        try fixture.createPrefix()
        try fixture.createLoadBalancer()
        try fixture.updateModel(publicIPs: true)
        try fixture.updateInstance(0, publicIPs: true)
        let found = ARMSnapshot(fixture.arm).egressgwResources()
        #expect(found.contains("load balancer \(fixture.loadBalancerID)"))
        #expect(found.contains("public IP prefix \(fixture.prefixID)"))
        #expect(found.contains { $0.hasPrefix("ipconfig \(fixture.ipConfigurationName) of scale-set model ") })
        #expect(found.contains { $0.hasPrefix("ipconfig \(fixture.ipConfigurationName) of instance ") && $0.hasSuffix("/virtualMachines/0") })
        #expect(found.contains { $0.hasPrefix("ipconfig \(fixture.ipConfigurationName) of NIC ") })
        #expect(found.contains { $0.hasPrefix("backend pool reference \(fixture.poolID) on ipconfig ipconfig1 of instance ") })
        #expect(found.contains { $0.hasPrefix("public IP ") && $0.contains("/publicIPAddresses/\(fixture.ipConfigurationName)") })
    }
}
