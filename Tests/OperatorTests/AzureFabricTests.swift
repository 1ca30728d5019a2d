import ARMEmulator
import Azure
import EgressGatewayAPI
import Foundation
import HTTPClient
import Kube
import KubeEmulator
import Operator
import Testing

/// The three controllers on the KubeEmulator with Azure behind `AzureGatewayFabric`, talking HTTP to the
/// ARMEmulator seeded with an AKS node resource group.
@Suite("Operator over ARM (AzureGatewayFabric against the ARMEmulator)")
struct AzureFabricTests {
    static let subscription = "1f7e3c2a-0000-4000-8000-000000000001"
    static let group = "MC_rg_cluster_eastus"
    static let scaleSet = "aks-gwpool-12345678-vmss"
    static let cloud = CloudTarget(subscriptionID: subscription, resourceGroup: group, location: "eastus",
                                   vnetName: "aks-vnet", subnetName: "aks-subnet")
    /// The operator tests' ARM world: one subscription and node resource group with the AKS VNet, a worker scale
    /// set, and the gateway pools given as seed lines (`scaleSets` entries, then optional `virtualMachines`).
    static func seed(gatewayScaleSets: [String], virtualMachines: [String] = []) -> String {
        let scaleSets = ["{name: aks-nodepool1-12345678-vmss, pool: nodepool1, subnet: aks-vnet/aks-subnet, instances: 1}"]
            + gatewayScaleSets
        return """
            subscription: \(subscription)
            location: eastus
            resourceGroups:
              - name: \(group)
                virtualNetworks:
                  - name: aks-vnet
                    addressPrefixes: [10.224.0.0/12]
                    subnets: [{name: aks-subnet, addressPrefix: 10.224.0.0/16}]
                scaleSets:

            """ + scaleSets.map { "      - \($0)\n" }.joined()
            + (virtualMachines.isEmpty ? "" : "    virtualMachines:\n" + virtualMachines.map { "      - \($0)\n" }.joined())
    }

    static let seed = seed(gatewayScaleSets: [
        "{name: \(scaleSet), pool: gwpool, gatewayPrefixLength: 31, subnet: aks-vnet/aks-subnet, instances: 2}",
    ])

    /// A fixed token: the emulator here checks no tokens.
    struct FixedCredential: TokenCredential {
        func token() async throws(CredentialError) -> AccessToken { AccessToken(token: "test", expiresOn: .distantFuture) }
        var description: String { "fixed test token" }
    }

    /// Runs `body` with an ARMEmulator seeded with `seed` and an operator over it (none with `startsOperator`
    /// false: the body starts operators with ``fabric(url:)``).
    static func with(
        seed: String = seed, emulator configuration: ARMEmulator.Configuration = .init(),
        kubeFaults: FaultInjection = .none, timeout: Duration = .seconds(120), startsOperator: Bool = true,
        _ body: @escaping @Sendable (OperatorHarness, ARMEmulator, _ url: String) async throws -> Void
    ) async throws {
        let emulator = ARMEmulator(configuration: configuration)
        _ = try emulator.apply(try Seed(yaml: seed))
        let server = try await emulator.start()
        do {
            try await OperatorHarness.run(faults: kubeFaults, fabric: try fabric(url: server.url), cloud: cloud,
                                          timeout: timeout, startsOperator: startsOperator) { harness in
                try await body(harness, emulator, server.url)
            }
            await server.stop()
        } catch {
            await server.stop()
            throw error
        }
    }

    /// A fabric over a fresh ARM client of the emulator at `url` (fresh: no throttling state from other tests).
    static func fabric(url: String) throws -> AzureGatewayFabric {
        let environment = AzureEnvironment(name: "test", resourceManagerEndpoint: url, authorityHost: url,
                                           tokenAudience: "https://management.core.windows.net/")
        let arm = ARMClient(environment: environment, credential: FixedCredential(),
                            http: try HTTPClient(configuration: .init(proxy: .none)),
                            configuration: .init(subscriptionID: subscription,
                                                 backoff: Backoff(initial: .milliseconds(5), maximum: .milliseconds(50), retries: 2),
                                                 pollInterval: .milliseconds(1)))
        return AzureGatewayFabric(arm: arm, cloud: cloud)
    }

    /// Names of the children of `collection` in the stored load balancer.
    static func loadBalancerChildren(_ emulator: ARMEmulator, _ collection: String) -> [String] {
        emulator.resources(.loadBalancer).first?["properties"]?[collection]?.arrayValue?
            .compactMap { $0["name"]?.stringValue } ?? []
    }

    /// Names of the ipconfigs of the gateway scale set's model.
    static func modelIPConfigurations(_ emulator: ARMEmulator) -> [String] {
        let scaleSet = emulator.resources(.scaleSet).first { $0["name"]?.stringValue == Self.scaleSet }
        return scaleSet?["properties"]?["virtualMachineProfile"]?["networkProfile"]?["networkInterfaceConfigurations"]?
            .arrayValue?.first?["properties"]?["ipConfigurations"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? []
    }

    @Test("an SGC on a VMSS pool reaches Ready, an unchanged world is not written again, deletion leaves nothing")
    func provisionIdleAndRelease() async throws {
        try await Self.with { harness, emulator, _ in
            let created = try await harness.sgcs().create(sgc("gw1", spec: .init(gatewayNodepoolName: "gwpool")))
            let ready = try await harness.eventually(harness.sgcs(), "gw1") { $0.status.readyCondition?.status == .true }
            let lbConfiguration = try await harness.lbConfigurations().get("gw1")
            let vm = try await harness.vmConfigurations().get("gw1")
            let uniqueID = try #require(emulator.resources(.scaleSet)
                .first { $0["name"]?.stringValue == Self.scaleSet }?["properties"]?["uniqueId"]?.stringValue)
            #expect(Self.loadBalancerChildren(emulator, "frontendIPConfigurations") == [uniqueID])
            #expect(Self.loadBalancerChildren(emulator, "backendAddressPools") == [uniqueID])
            #expect(Self.loadBalancerChildren(emulator, "loadBalancingRules") == [lbConfiguration.metadata.uid])
            #expect(Self.loadBalancerChildren(emulator, "probes") == [lbConfiguration.metadata.uid])
            let ipconfig = "egressgateway-\(vm.metadata.uid)"
            #expect(Self.modelIPConfigurations(emulator).contains(ipconfig))
            #expect(ready.status.gatewayServerProfile.port == 6000)
            #expect(ready.status.egressIpPrefix.isEmpty == false)
            #expect(created.metadata.uid.isEmpty == false)

            // (b) Touch the LB configuration so both Azure controllers run again over an unchanged world.
            emulator.clearRequestLog()
            let successes = try await harness.events(about: "gw1").first {
                $0.reason == "ReconcileGatewayLBConfigurationSuccess" }?.count ?? 0
            try await harness.update(harness.lbConfigurations(), "gw1") { $0.metadata.annotations["touch"] = "1" }
            _ = try await harness.eventually(harness.lbConfigurations(), "gw1") { $0.metadata.annotations["touch"] == "1" }
            try await waitUntil { (try await harness.events(about: "gw1").first {
                $0.reason == "ReconcileGatewayLBConfigurationSuccess" }?.count ?? 0) > successes
                && emulator.requestLog.contains { $0.kind == .loadBalancer && $0.method == "GET" } }
            #expect(emulator.requestLog.filter(\.isWrite).isEmpty, "\(emulator.requestLog.filter(\.isWrite))")

            // (c) Deleting the SGC releases every Azure resource of ours and every finalizer.
            _ = try await harness.sgcs().delete("gw1")
            try await harness.eventuallyGone(harness.sgcs(), "gw1")
            try await harness.eventuallyGone(harness.lbConfigurations(), "gw1")
            try await harness.eventuallyGone(harness.vmConfigurations(), "gw1")
            #expect(Self.loadBalancerChildren(emulator, "loadBalancingRules").isEmpty)
            #expect(Self.loadBalancerChildren(emulator, "probes").isEmpty)
            #expect(!Self.modelIPConfigurations(emulator).contains(ipconfig))
            #expect(emulator.resources(.publicIPPrefix).isEmpty)
        }
    }
}
