import ARMEmulator
import EgressGatewayAPI
import Kube
import Operator
import Testing

/// Bring-your-own public IP prefixes (spec §4.4, §8.1 item 16) through the whole operator over the ARMEmulator:
/// what `Ready` says for each flaw of the prefix, and that a usable one is used and never deleted.
@Suite("Bring-your-own public IP prefixes over ARM")
struct PublicIPPrefixTests {
    static func prefixID(subscription: String = AzureFabricTests.subscription, name: String) -> String {
        "/subscriptions/\(subscription)/resourceGroups/\(AzureFabricTests.group)/providers/Microsoft.Network/publicIPPrefixes/\(name)"
    }

    /// Adds the prefixes `byo31` (/31, as the pool requires) and `byo30` (/30).
    static func seedPrefixes(_ emulator: ARMEmulator) throws {
        for (name, length) in [("byo31", 31), ("byo30", 30)] {
            let id = try #require(ResourceID(prefixID(name: name)))
            try emulator.create(id, ["location": "eastus", "sku": ["name": "Standard", "tier": "Regional"],
                                     "properties": ["prefixLength": .integer(Int64(length)), "publicIPAddressVersion": "IPv4"]])
        }
    }

    /// A malformed ID is refused by the SGC's validation already (Go finds it in the VM controller).
    @Test("a flawed prefix ID keeps the SGC not Ready and says why", arguments: [
        ("not-an-arm-id", "InvalidSpec", ValidationMessage.prefixIDMalformed),
        (prefixID(subscription: "00000000-0000-4000-8000-00000000ffff", name: "byo31"), "WaitingForGatewayIPs",
         "is not in the same subscription"),
        (prefixID(name: "byo30"), "WaitingForGatewayIPs", "provided public ip prefix has invalid length(30), required(31)"),
        (prefixID(name: "absent"), "WaitingForGatewayIPs", "failed to get public ip prefix"),
    ])
    func flawedPrefix(id: String, reason: String, message: String) async throws {
        try await AzureFabricTests.with { harness, emulator, _ in
            try Self.seedPrefixes(emulator)
            _ = try await harness.sgcs().create(sgc("gw1", spec: .init(gatewayNodepoolName: "gwpool", publicIpPrefixId: id)))
            let stuck = try await harness.eventually(harness.sgcs(), "gw1") {
                $0.status.readyCondition?.message.contains(message) == true
            }
            #expect(stuck.status.readyCondition?.status == .false)
            #expect(stuck.status.readyCondition?.reason == reason)
        }
    }

    /// Go compares the subscription case-sensitively (spec §8.2 item 13); ARM IDs are case-insensitive.
    @Test("a usable prefix (subscription in other case) gives the egress prefix, and deletion leaves it in place")
    func usablePrefix() async throws {
        try await AzureFabricTests.with { harness, emulator, _ in
            try Self.seedPrefixes(emulator)
            let id = Self.prefixID(subscription: AzureFabricTests.subscription.uppercased(), name: "byo31")
            _ = try await harness.sgcs().create(sgc("gw1", spec: .init(gatewayNodepoolName: "gwpool", publicIpPrefixId: id)))
            let ready = try await harness.eventually(harness.sgcs(), "gw1") { $0.status.readyCondition?.status == .true }
            let storedID = try #require(ResourceID(Self.prefixID(name: "byo31")))
            let stored = try #require(emulator.resource(storedID))
            #expect(ready.status.egressIpPrefix == stored[path: "properties", "ipPrefix"]?.stringValue)
            #expect(AzureFootprint(emulator).prefixes == ["byo30", "byo31"])

            _ = try await harness.sgcs().delete("gw1")
            try await harness.expectAllGone(["gw1"])
            #expect(AzureFootprint(emulator).prefixes == ["byo30", "byo31"])
            #expect(AzureFabricTests.modelIPConfigurations(emulator).allSatisfy { !$0.hasPrefix("egressgateway-") })
        }
    }
}
