import ARMEmulator
import EgressGatewayAPI
import Kube
import Operator
import Testing

/// The secondary ipconfigs on a gateway VMSS, model and instances (spec §4.5, §8.1 item 18), one pass at a time
/// over the ARMEmulator. The shapes ARM would not hold for long (a model without a network profile, a NIC that is
/// not primary) are written into the emulator as another client's PUT would.
@Suite("VM controller: VMSS ipconfigs over ARM")
struct ScaleSetIPConfigurationTests {
    static let scaleSet = AzureFabricTests.scaleSet
    static let publicMode = StaticGatewayConfigurationSpec(gatewayNodepoolName: "gwpool")
    static let privateMode = StaticGatewayConfigurationSpec(gatewayNodepoolName: "gwpool", provisionPublicIps: false)

    static func ipconfig(_ vm: GatewayVMConfiguration) -> String { "egressgateway-\(vm.metadata.uid)" }

    @Test("a VMSS model without a network profile fails the pass, naming the VMSS; nothing is written to it")
    func modelWithoutNetworkProfile() async throws {
        try await VMPassFixture.with { fixture in
            try await fixture.create("gw1", Self.publicMode)
            try fixture.removeNetworkProfile()
            let message = try await fixture.failingPass("gw1")
            #expect(message == "vmss(\(Self.scaleSet)) has empty network profile")
            #expect(try await fixture.events("gw1") == ["Warning ReconcileGatewayVMConfigurationError: \(message)"])
            #expect(fixture.emulator.writeCount(.scaleSet) == 0 && fixture.emulator.writeCount(.scaleSetVM) == 0)
        }
    }

    @Test("a VMSS model without a primary NIC fails the pass, naming the VMSS")
    func modelWithoutPrimaryNIC() async throws {
        try await VMPassFixture.with { fixture in
            try await fixture.create("gw1", Self.publicMode)
            try fixture.editNIC { $0[path: "properties", "primary"] = false }
            let message = try await fixture.failingPass("gw1")
            #expect(message == "vmss(\(Self.scaleSet)) primary network interface not found")
            #expect(fixture.emulator.writeCount(.scaleSet) == 0 && fixture.emulator.writeCount(.scaleSetVM) == 0)
        }
    }

    @Test("a failed VMSS model PUT fails the pass, naming the VMSS, before any instance is written")
    func modelPutError() async throws {
        try await VMPassFixture.with { fixture in
            try await fixture.create("gw1", Self.publicMode)
            fixture.refuse("PUT", "/virtualMachineScaleSets/\(Self.scaleSet)")
            let message = try await fixture.failingPass("gw1")
            #expect(message.hasPrefix("PUT ") && message.contains("/virtualMachineScaleSets/\(Self.scaleSet)"), "\(message)")
            #expect(message.hasSuffix(": 403 AuthorizationFailed: failed"), "\(message)")
            #expect(fixture.emulator.writeCount(.scaleSetVM) == 0)
        }
    }

    @Test("a failed instance list fails the pass, naming the VMSS")
    func instanceListError() async throws {
        try await VMPassFixture.with { fixture in
            try await fixture.create("gw1", Self.publicMode)
            fixture.refuse("GET", "/virtualMachineScaleSets/\(Self.scaleSet)/virtualMachines")
            let message = try await fixture.failingPass("gw1")
            #expect(message.hasPrefix("GET ") && message.contains("/virtualMachineScaleSets/\(Self.scaleSet)/virtualMachines"),
                    "\(message)")
            #expect(fixture.emulator.writeCount(.scaleSet) == 1 && fixture.emulator.writeCount(.scaleSetVM) == 0)
        }
    }

    /// Go: `vmss vm(<id>) has empty network profile`, which does not name the VMSS.
    @Test("an instance without a network profile fails the pass, naming the VMSS and the instance")
    func instanceWithoutNetworkProfile() async throws {
        try await VMPassFixture.with { fixture in
            try await fixture.create("gw1", Self.publicMode)
            try fixture.removeNetworkProfile(instance: "0")
            let message = try await fixture.failingPass("gw1")
            #expect(message == "vmss(\(Self.scaleSet)) instance(0) has empty network profile")
            #expect(fixture.emulator.writeCount(.scaleSetVM) == 0)
        }
    }

    /// Go: `vmss vm(<id>) has empty os profile`. A scale set from a specialized image has no OS profile, nor have
    /// its instances: no computer name to list the gateway node by.
    @Test("an instance without an OS profile fails the pass, naming the VMSS and the instance")
    func instanceWithoutOSProfile() async throws {
        try await VMPassFixture.with { fixture in
            // Private mode: a third instance would find no address left in the pool's /31 prefix.
            try await fixture.create("gw1", Self.privateMode)
            var patch: ARMValue = [:]
            patch[path: "properties", "virtualMachineProfile", "osProfile"] = .null
            try fixture.emulator.create(VMPassFixture.scaleSetID(), patch)
            let added = try fixture.emulator.addInstances(to: VMPassFixture.scaleSetID(), count: 1)
            let instance = try #require(added.first?["instanceId"]?.stringValue)
            #expect(added.first?[path: "properties", "osProfile"] == nil)
            let message = try await fixture.failingPass("gw1")
            #expect(message == "vmss(\(Self.scaleSet)) instance(\(instance)) has empty os profile")
        }
    }

    @Test("an instance without a primary NIC fails the pass, naming the VMSS and the instance")
    func instanceWithoutPrimaryNIC() async throws {
        try await VMPassFixture.with { fixture in
            try await fixture.create("gw1", Self.publicMode)
            try fixture.editNIC(instance: "0") { $0[path: "properties", "primary"] = false }
            let message = try await fixture.failingPass("gw1")
            #expect(message == "vmss(\(Self.scaleSet)) instance(0) primary network interface not found")
            #expect(fixture.emulator.writeCount(.scaleSetVM) == 0)
        }
    }

    @Test("a failed instance PUT fails the pass, naming the instance; the next instance is not written")
    func instancePutError() async throws {
        try await VMPassFixture.with { fixture in
            try await fixture.create("gw1", Self.publicMode)
            fixture.refuse("PUT", "/virtualMachineScaleSets/\(Self.scaleSet)/virtualMachines/0")
            let message = try await fixture.failingPass("gw1")
            #expect(message.hasPrefix("PUT ") && message.contains("/virtualMachineScaleSets/\(Self.scaleSet)/virtualMachines/0"),
                    "\(message)")
            #expect(fixture.writes.filter { $0.contains("virtualMachines/") } == ["PUT virtualMachines/0"])
        }
    }

    @Test("a pool already configured is read, not written")
    func configuredPoolWritesNothing() async throws {
        try await VMPassFixture.with { fixture in
            let vm = try await fixture.create("gw1", Self.publicMode)
            _ = try await fixture.pass("gw1")
            #expect(fixture.writes.filter { $0.contains("virtualMachine") }
                == ["PUT virtualMachineScaleSets/\(Self.scaleSet)", "PUT virtualMachines/0", "PUT virtualMachines/1"])
            fixture.emulator.clearRequestLog()
            #expect(try await fixture.pass("gw1") == .requeueAfter(.seconds(300)))
            #expect(fixture.writes.isEmpty, "\(fixture.writes)")
            #expect(fixture.emulator.requestLog.contains { $0.method == "GET" && $0.kind == .scaleSetVM })
            #expect(fixture.ipConfigurations(instance: "1")[Self.ipconfig(vm)] != nil)
        }
    }

    @Test("an IPv6 version on our ipconfig in the model is replaced by IPv4, and only the model is written")
    func ipv6IPConfigurationReplaced() async throws {
        try await VMPassFixture.with { fixture in
            let vm = try await fixture.create("gw1", Self.publicMode)
            _ = try await fixture.pass("gw1")
            try fixture.editNIC { nic in
                nic.editIPConfigurations { configurations in
                    for index in configurations.indices where configurations[index]["name"]?.stringValue == Self.ipconfig(vm) {
                        configurations[index][path: "properties", "privateIPAddressVersion"] = "IPv6"
                    }
                }
            }
            fixture.emulator.clearRequestLog()
            #expect(try await fixture.pass("gw1") == .requeueAfter(.seconds(300)))
            #expect(fixture.writes == ["PUT virtualMachineScaleSets/\(Self.scaleSet)"])
            let model = fixture.ipConfigurations()
            #expect(model[Self.ipconfig(vm)]?[path: "properties", "privateIPAddressVersion"]?.stringValue == "IPv4")
        }
    }

    @Test("deletion removes our ipconfig and the backend reference from the model and every instance")
    func deletionRemovesIPConfigurationAndBackend() async throws {
        try await VMPassFixture.with { fixture in
            _ = try await fixture.create("gw1", Self.publicMode)
            _ = try await fixture.pass("gw1")
            let backend = AzureFabricTests.cloud.backendID(try #require(
                fixture.emulator.resource(VMPassFixture.scaleSetID())?[path: "properties", "uniqueId"]?.stringValue))
            for instance in [nil, "0", "1"] {
                let primary = fixture.ipConfigurations(instance: instance)["ipconfig1"]
                let pools = primary?[path: "properties", "loadBalancerBackendAddressPools"]?.arrayValue ?? []
                #expect(pools.compactMap(\.referenceID).map { $0.lowercased() } == [backend.lowercased()])
            }
            _ = try await fixture.harness.vmConfigurations().delete("gw1")
            #expect(try await fixture.pass("gw1") == .done)
            try await fixture.harness.eventuallyGone(fixture.harness.vmConfigurations(), "gw1")
            for instance in [nil, "0", "1"] {
                let ipconfigs = fixture.ipConfigurations(instance: instance)
                #expect(ipconfigs.keys.sorted() == ["ipconfig1"], "\(instance ?? "model")")
                #expect(ipconfigs["ipconfig1"]?[path: "properties", "loadBalancerBackendAddressPools"]?.arrayValue?.isEmpty ?? true,
                        "\(instance ?? "model")")
            }
            #expect(fixture.emulator.resources(.publicIPPrefix).isEmpty)
        }
    }

    @Test("private mode: egressIpPrefix is the instances' secondary IPs, one profile per instance")
    func privateModeSecondaryIPs() async throws {
        try await VMPassFixture.with { fixture in
            let vm = try await fixture.create("gw1", Self.privateMode)
            #expect(try await fixture.pass("gw1") == .requeueAfter(.seconds(300)))
            var secondary: [String: String] = [:]
            for nic in fixture.emulator.resources(.scaleSetNIC) {
                let instance = nic[path: "properties", "virtualMachine", "id"]?.stringValue ?? ""
                guard instance.contains("/\(Self.scaleSet)/") else { continue }
                let instanceID = try #require(ResourceID(instance))
                let name = try #require(fixture.emulator.resource(instanceID)?[path: "properties", "osProfile", "computerName"]?
                    .stringValue)
                secondary[name] = (nic[path: "properties", "ipConfigurations"]?.arrayValue ?? [])
                    .first { $0["name"]?.stringValue == Self.ipconfig(vm) }?[path: "properties", "privateIPAddress"]?.stringValue
            }
            #expect(secondary.count == 2 && secondary.values.allSatisfy { !$0.isEmpty })
            let status = try #require(try await fixture.vmConfiguration("gw1").status)
            #expect(status.egressIpPrefix == GatewayIPs.egressList(Array(secondary.values)))
            #expect(Dictionary(uniqueKeysWithValues: status.gatewayVMProfiles.map { ($0.nodeName, $0.secondaryIP) }) == secondary)
            #expect(fixture.ipConfigurations()[Self.ipconfig(vm)]?[path: "properties", "publicIPAddressConfiguration"] == nil)
            #expect(fixture.emulator.resources(.publicIPPrefix).isEmpty)
        }
    }

    @Test("switching to private mode removes the public IP configuration from model and instances, and the managed prefix")
    func switchToPrivateMode() async throws {
        try await VMPassFixture.with { fixture in
            let vm = try await fixture.create("gw1", Self.publicMode)
            _ = try await fixture.pass("gw1")
            for instance in [nil, "0", "1"] {
                let ipconfig = fixture.ipConfigurations(instance: instance)[Self.ipconfig(vm)]
                #expect(ipconfig?[path: "properties", "publicIPAddressConfiguration"] != nil, "\(instance ?? "model")")
            }
            #expect(fixture.emulator.resources(.scaleSetPublicIP).count == 2)

            try await fixture.harness.update(fixture.harness.vmConfigurations(), "gw1") { $0.spec.provisionPublicIps = false }
            #expect(try await fixture.pass("gw1") == .requeueAfter(.seconds(300)))
            for instance in [nil, "0", "1"] {
                let ipconfig = try #require(fixture.ipConfigurations(instance: instance)[Self.ipconfig(vm)])
                #expect(ipconfig[path: "properties", "publicIPAddressConfiguration"] == nil, "\(instance ?? "model")")
            }
            #expect(fixture.emulator.resources(.scaleSetPublicIP).isEmpty)
            #expect(fixture.emulator.resources(.publicIPPrefix).isEmpty)
            let status = try await fixture.vmConfiguration("gw1").status
            #expect(status?.egressIpPrefix.contains("/") == false)
        }
    }

    @Test("an instance in provisioning state Failed is PUT again although its ipconfigs are right")
    func failedInstanceForcedPut() async throws {
        try await VMPassFixture.with { fixture in
            _ = try await fixture.create("gw1", Self.publicMode)
            _ = try await fixture.pass("gw1")
            fixture.emulator.setProvisioningState("Failed", of: VMPassFixture.instanceID("1"))
            fixture.emulator.clearRequestLog()
            #expect(try await fixture.pass("gw1") == .requeueAfter(.seconds(300)))
            #expect(fixture.writes == ["PUT virtualMachines/1"])
        }
    }
}
