import EgressGatewayAPI
@testable import Operator
import Testing

/// The gateway-pool ipconfig computation (spec §4.5, §8.1 item 18, §8.2 items 3, 10, 19), without Azure.
@Suite("IP configuration plan")
struct IPConfigurationPlanTests {
    static let subnet = "/subscriptions/sub/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/subnets/s"
    static let backend = "/subscriptions/sub/resourceGroups/rg/providers/Microsoft.Network/loadBalancers/lb/backendAddressPools/pool"
    static let prefix = "/subscriptions/sub/resourceGroups/rg/providers/Microsoft.Network/publicIPPrefixes/egressgateway-vm1"

    static func nics(_ extra: [IPConfiguration] = [], backends: [String] = []) -> [NetworkInterfaceConfiguration] {
        [NetworkInterfaceConfiguration(name: "nic", primary: true, ipConfigurations: [
            IPConfiguration(name: "ipconfig1", primary: true, privateIPAddressVersion: "IPv4", subnetID: subnet,
                            backendPoolIDs: backends),
        ] + extra)]
    }

    static func secondary(_ name: String, prefix: String?) -> IPConfiguration {
        IPConfiguration(name: name, primary: false, privateIPAddressVersion: "IPv4", subnetID: subnet,
                        publicIPConfiguration: prefix.map { PublicIPConfiguration(name: name, prefixID: $0) })
    }

    @Test("a new ipconfig with its public IP configuration, and the backend reference on the primary ipconfig")
    func create() throws {
        let wanted = [GatewayIPConfiguration(name: "egressgateway-vm1", prefixID: Self.prefix)]
        let result = try #require(try IPConfigurationPlan.apply(wanted, to: Self.nics(), backendID: Self.backend,
                                                                owner: "vmss(gw)"))
        #expect(result == Self.nics([Self.secondary("egressgateway-vm1", prefix: Self.prefix)], backends: [Self.backend]))
    }

    @Test("already configured: nothing to write")
    func unchanged() throws {
        let nics = Self.nics([Self.secondary("egressgateway-vm1", prefix: Self.prefix)], backends: [Self.backend.uppercased()])
        let wanted = [GatewayIPConfiguration(name: "egressgateway-vm1", prefixID: Self.prefix.uppercased())]
        #expect(try IPConfigurationPlan.apply(wanted, to: nics, backendID: Self.backend, owner: "vmss(gw)") == nil)
    }

    @Test("an IPv6 ipconfig of the same name is replaced; switching to private mode drops the public IP configuration")
    func replaced() throws {
        var ipv6 = Self.secondary("egressgateway-vm1", prefix: Self.prefix)
        ipv6.privateIPAddressVersion = "IPv6"
        let wanted = [GatewayIPConfiguration(name: "egressgateway-vm1", prefixID: Self.prefix)]
        let fixed = try IPConfigurationPlan.apply(wanted, to: Self.nics([ipv6], backends: [Self.backend]),
                                                  backendID: Self.backend, owner: "vmss(gw)")
        #expect(fixed?[0].ipConfigurations[1].privateIPAddressVersion == "IPv4")
        let privateMode = try IPConfigurationPlan.apply(
            [GatewayIPConfiguration(name: "egressgateway-vm1", prefixID: nil)],
            to: Self.nics([Self.secondary("egressgateway-vm1", prefix: Self.prefix)], backends: [Self.backend]),
            backendID: Self.backend, owner: "vmss(gw)")
        #expect(privateMode?[0].ipConfigurations[1].publicIPConfiguration == nil)
    }

    @Test("deletion removes the ipconfig and, with the last one, the backend reference")
    func deletion() throws {
        let nics = Self.nics([Self.secondary("egressgateway-vm1", prefix: Self.prefix),
                              Self.secondary("egressgateway-vm2", prefix: nil)], backends: [Self.backend])
        let one = try #require(try IPConfigurationPlan.apply(
            [GatewayIPConfiguration(name: "egressgateway-vm2", prefixID: nil)], to: nics, backendID: Self.backend,
            owner: "vmss(gw)"))
        #expect(one == Self.nics([Self.secondary("egressgateway-vm2", prefix: nil)], backends: [Self.backend]))
        let none = try IPConfigurationPlan.apply([], to: one, backendID: Self.backend, owner: "vmss(gw)")
        #expect(none == Self.nics())
    }

    /// Go changes the VMSS once per SGC; the whole pool is computed at once here.
    @Test("ten configurations on one pool are one change of the interfaces")
    func batched() throws {
        let wanted = (0..<10).map { GatewayIPConfiguration(name: "egressgateway-vm\($0)", prefixID: nil) }
        let result = try #require(try IPConfigurationPlan.apply(wanted, to: Self.nics(), backendID: Self.backend,
                                                                owner: "vmss(gw)"))
        #expect(result[0].ipConfigurations.map(\.name) == ["ipconfig1"] + wanted.map(\.name))
        #expect(try IPConfigurationPlan.apply(wanted, to: result, backendID: Self.backend, owner: "vmss(gw)") == nil)
    }

    @Test("a user's own ipconfigs are kept; an ipconfig of a configuration that moved away is removed")
    func foreignAndMoved() throws {
        let user = IPConfiguration(name: "user-extra", primary: false, privateIPAddressVersion: "IPv4", subnetID: Self.subnet)
        let nics = Self.nics([user, Self.secondary("egressgateway-moved", prefix: nil)], backends: [Self.backend])
        let result = try IPConfigurationPlan.apply([], to: nics, backendID: Self.backend, owner: "vmss(gw)")
        #expect(result == Self.nics([user]))
    }

    @Test("no primary interface, no primary ipconfig, or a primary ipconfig without subnet are errors, not crashes")
    func malformed() {
        let wanted = [GatewayIPConfiguration(name: "egressgateway-vm1", prefixID: nil)]
        #expect(throws: IPConfigurationError.primaryInterfaceNotFound(owner: "vmss(gw)")) {
            try IPConfigurationPlan.apply(wanted, to: [NetworkInterfaceConfiguration(
                name: "nic", primary: false, ipConfigurations: [])], backendID: Self.backend, owner: "vmss(gw)")
        }
        #expect(throws: IPConfigurationError.primaryIPConfigurationNotFound(owner: "vmss(gw)")) {
            try IPConfigurationPlan.apply(wanted, to: [NetworkInterfaceConfiguration(
                name: "nic", primary: true, ipConfigurations: [])], backendID: Self.backend, owner: "vmss(gw)")
        }
        #expect(throws: IPConfigurationError.noSubnet(owner: "vmss(gw)")) {
            try IPConfigurationPlan.apply(wanted, to: [NetworkInterfaceConfiguration(
                name: "nic", primary: true, ipConfigurations: [IPConfiguration(name: "p", primary: true)])],
                backendID: Self.backend, owner: "vmss(gw)")
        }
    }

    @Test("private-mode egress list is in numeric order; profiles are deduplicated and sorted")
    func egressBookkeeping() {
        #expect(GatewayIPs.egressList(["10.0.0.10", "10.0.0.9", ""]) == "10.0.0.9,10.0.0.10")
        let profiles = GatewayIPs.profiles([
            GatewayVMProfile(nodeName: "b", primaryIP: "10.0.0.5", secondaryIP: "10.0.0.7"),
            GatewayVMProfile(nodeName: "a", primaryIP: "10.0.0.4", secondaryIP: "10.0.0.6"),
        ])
        #expect(profiles.map(\.nodeName) == ["a", "b"])
    }
}
