import ARMEmulator
import EgressGatewayAPI
import Kube
import Operator
import Testing

/// Deleting a configuration's managed prefix `egressgateway-<uid>` (spec §4.8, §8.1 item 17): on a pass in
/// private mode (a switch away from public mode leaves one), and on deletion. One pass at a time over the
/// ARMEmulator. Go's unit case "an unparsable public IP ID" needs an answer the emulator never gives (it lists a
/// prefix's public IPs from addresses that exist): UnparsablePublicIPTests scripts it.
@Suite("VM controller: managed prefix deletion over ARM")
struct ManagedPrefixDeletionTests {
    /// Leaves the managed prefix of `vm` in the node resource group with the public IPs `addresses` drawn from
    /// it, as a public-mode past (a VM pool's NICs) leaves them; returns the prefix name.
    @discardableResult
    static func leaveManagedPrefix(_ fixture: VMPassFixture, of vm: GatewayVMConfiguration,
                                   addresses: [String] = []) throws -> String {
        let name = "egressgateway-\(vm.metadata.uid)"
        let prefixID = ResourceID(subscription: AzureFabricTests.subscription, resourceGroup: AzureFabricTests.group,
                                  kind: .publicIPPrefix, names: [name])
        try fixture.emulator.create(prefixID, ["location": "eastus", "sku": ["name": "Standard", "tier": "Regional"],
                                               "properties": ["prefixLength": 31, "publicIPAddressVersion": "IPv4"]])
        for address in addresses {
            let id = ResourceID(subscription: AzureFabricTests.subscription, resourceGroup: AzureFabricTests.group,
                                kind: .publicIPAddress, names: [address])
            try fixture.emulator.create(id, [
                "location": "eastus", "sku": ["name": "Standard", "tier": "Regional"],
                "properties": ["publicIPAllocationMethod": "Static", "publicIPPrefix": ["id": .string(prefixID.path)]],
            ])
        }
        return name
    }

    static let privateMode = StaticGatewayConfigurationSpec(gatewayNodepoolName: "gwpool", provisionPublicIps: false)

    @Test("no managed prefix: the private-mode pass deletes nothing")
    func noManagedPrefix() async throws {
        try await VMPassFixture.with { fixture in
            let vm = try await fixture.create("gw1", Self.privateMode)
            #expect(try await fixture.pass("gw1") == .requeueAfter(.seconds(300)))
            #expect(fixture.emulator.requestLog.contains {
                $0.method == "GET" && $0.path.hasSuffix("/publicIPPrefixes/egressgateway-\(vm.metadata.uid)") && $0.status == 404
            })
            #expect(!fixture.writes.contains { $0.hasPrefix("DELETE") }, "\(fixture.writes)")
        }
    }

    @Test("the prefix's public IPs pip1 and pip2 are deleted, in the node resource group, before the prefix")
    func publicIPsBeforePrefix() async throws {
        try await VMPassFixture.with { fixture in
            let vm = try await fixture.create("gw1", Self.privateMode)
            let prefix = try Self.leaveManagedPrefix(fixture, of: vm, addresses: ["pip1", "pip2"])
            #expect(try await fixture.pass("gw1") == .requeueAfter(.seconds(300)))
            #expect(fixture.writes.filter { $0.hasPrefix("DELETE") }
                == ["DELETE publicIPAddresses/pip1", "DELETE publicIPAddresses/pip2", "DELETE publicIPPrefixes/\(prefix)"])
            #expect(fixture.emulator.requestLog.filter { $0.method == "DELETE" }.allSatisfy {
                $0.path.contains("/resourceGroups/\(AzureFabricTests.group)/") && $0.status < 300
            })
            #expect(fixture.emulator.resources(.publicIPPrefix).isEmpty)
            #expect(fixture.emulator.resources(.publicIPAddress).isEmpty)
        }
    }

    @Test("a failed GET of the managed prefix fails the pass, naming the prefix, and deletes nothing")
    func prefixGetError() async throws {
        try await VMPassFixture.with { fixture in
            let vm = try await fixture.create("gw1", Self.privateMode)
            let prefix = try Self.leaveManagedPrefix(fixture, of: vm, addresses: ["pip1"])
            fixture.refuse("GET", "/publicIPPrefixes/\(prefix)")
            let message = try await fixture.failingPass("gw1")
            #expect(message.contains("/publicIPPrefixes/\(prefix)") && message.hasSuffix("403 AuthorizationFailed: failed"),
                    "\(message)")
            #expect(try await fixture.events("gw1") == ["Warning ReconcileGatewayVMConfigurationError: \(message)"])
            #expect(!fixture.writes.contains { $0.hasPrefix("DELETE") }, "\(fixture.writes)")
        }
    }

    @Test("a failed DELETE of the prefix fails the pass, naming the prefix")
    func prefixDeleteError() async throws {
        try await VMPassFixture.with { fixture in
            let vm = try await fixture.create("gw1", Self.privateMode)
            let prefix = try Self.leaveManagedPrefix(fixture, of: vm)
            fixture.refuse("DELETE", "/publicIPPrefixes/\(prefix)")
            let message = try await fixture.failingPass("gw1")
            #expect(message.hasPrefix("DELETE ") && message.contains("/publicIPPrefixes/\(prefix)"), "\(message)")
            #expect(message.hasSuffix("403 AuthorizationFailed: failed"), "\(message)")
            #expect(fixture.emulator.resources(.publicIPPrefix).count == 1)
        }
    }

    /// ARM answers 404 for a public IP deleted meanwhile (scripted here: the address stays, so ARM then refuses
    /// the prefix as still in use, which is the failure the pass reports).
    @Test("a public IP that answers 404 is skipped: the next public IP and the prefix are deleted after it")
    func publicIPNotFoundSkipped() async throws {
        try await VMPassFixture.with { fixture in
            let vm = try await fixture.create("gw1", Self.privateMode)
            let prefix = try Self.leaveManagedPrefix(fixture, of: vm, addresses: ["pip1", "pip2"])
            fixture.emulator.enqueue(.error(status: 404, code: "ResourceNotFound", message: "gone"),
                                     for: .request(method: "DELETE", pathSuffix: "/publicIPAddresses/pip1"))
            let message = try await fixture.failingPass("gw1")
            #expect(fixture.writes.filter { $0.hasPrefix("DELETE") }
                == ["DELETE publicIPAddresses/pip1", "DELETE publicIPAddresses/pip2", "DELETE publicIPPrefixes/\(prefix)"])
            #expect(message.contains("InUsePublicIpPrefixCannotBeDeleted") && message.contains("pip1"), "\(message)")
            #expect(!message.contains("ResourceNotFound"), "\(message)")
        }
    }

    @Test("on deletion, a failed public IP DELETE stops the pass before the prefix and keeps the finalizer; the next pass finishes")
    func publicIPDeleteErrorKeepsFinalizer() async throws {
        try await VMPassFixture.with { fixture in
            _ = try await fixture.create("gw1", Self.privateMode)
            #expect(try await fixture.pass("gw1") == .requeueAfter(.seconds(300)))
            let vm = try await fixture.vmConfiguration("gw1")
            #expect(vm.metadata.hasFinalizer(EgressGateway.Finalizer.gatewayVMConfiguration))
            let prefix = try Self.leaveManagedPrefix(fixture, of: vm, addresses: ["pip1", "pip2"])
            _ = try await fixture.harness.vmConfigurations().delete("gw1")
            fixture.emulator.clearRequestLog()
            fixture.refuse("DELETE", "/publicIPAddresses/pip1")

            let message = try await fixture.failingPass("gw1")
            #expect(message.hasPrefix("DELETE ") && message.contains("/publicIPAddresses/pip1"), "\(message)")
            #expect(fixture.writes.filter { $0.hasPrefix("DELETE") } == ["DELETE publicIPAddresses/pip1"])
            let kept = try await fixture.vmConfiguration("gw1")
            #expect(kept.metadata.isBeingDeleted && kept.metadata.hasFinalizer(EgressGateway.Finalizer.gatewayVMConfiguration))
            #expect(try await fixture.events("gw1").contains("Warning EnsureDeleteGatewayVMConfigurationError: \(message)"))

            #expect(try await fixture.pass("gw1") == .done)
            try await fixture.harness.eventuallyGone(fixture.harness.vmConfigurations(), "gw1")
            #expect(fixture.emulator.resources(.publicIPPrefix).isEmpty && fixture.emulator.resources(.publicIPAddress).isEmpty)
            #expect(fixture.writes.filter { $0.hasPrefix("DELETE") }.suffix(3)
                == ["DELETE publicIPAddresses/pip1", "DELETE publicIPAddresses/pip2", "DELETE publicIPPrefixes/\(prefix)"])
        }
    }
}
