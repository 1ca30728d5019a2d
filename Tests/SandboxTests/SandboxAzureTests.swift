import ARMEmulator
import Azure
import Foundation
import HTTPClient
import Logging
import Testing
@testable import Sandbox

/// The sandbox's Azure on loopback: the operator's Azure client signs in with the cloud config it writes and finds
/// the pools, and every ARM change turns into a fabric state.
@Suite struct SandboxAzureTests {
    static func withAzure<T>(workers: Int = 1, gateways: Int = 2,
                             _ body: (SandboxAzure, SandboxAzure.Endpoints, String) async throws -> T) async throws -> T {
        let directory = NSTemporaryDirectory() + "sandbox-azure-\(UUID().uuidString)"
        let layout = try SandboxLayout(runID: "t1", workers: workers, gateways: gateways)
        let azure = try SandboxAzure(layout: layout, directory: directory, host: "127.0.0.1", logger: Logger(label: "test"))
        let endpoints = try await azure.start()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        do {
            let result = try await body(azure, endpoints, directory)
            await azure.stop()
            return result
        } catch {
            await azure.stop()
            throw error
        }
    }

    @Test func theOperatorsClientSignsInWithTheCloudConfigAndFindsTheGatewayPool() async throws {
        try await Self.withAzure { azure, endpoints, _ in
            let attributes = try FileManager.default.attributesOfItem(atPath: endpoints.cloudConfigFile)
            #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600, "the cloud config holds a client secret")
            // What `egressgw operator --cloud-config` does with it, with the environment the supervisor passes.
            let config = try CloudConfig.load(path: endpoints.cloudConfigFile, environment: endpoints.operatorEnvironment)
            let environment = try config.azureEnvironment()
            #expect(environment.resourceManagerEndpoint == endpoints.resourceManager)
            let http = try HTTPClient(configuration: .init(proxy: .none))
            let credential = try config.credential(environment: environment, http: http,
                                                   imds: try IMDSClient(endpoint: "http://127.0.0.1:9", logger: Logger(label: "test")))
            let client = ARMClient(environment: environment, credential: credential, http: http,
                                   configuration: .init(subscriptionID: config.subscriptionId))
            let pools = try await client.virtualMachineScaleSets(resourceGroup: config.resourceGroup)
            let gateway = try #require(pools.first { $0.tags["aks-managed-poolName"] == SandboxCloud.gatewayPool })
            #expect(gateway.name == SandboxCloud.gatewayScaleSet)
            #expect(gateway.tags["aks-managed-gatewayIPPrefixSize"] == "31")
            let instances = try await client.virtualMachineScaleSetVMs(resourceGroup: config.resourceGroup, scaleSet: SandboxCloud.gatewayScaleSet)
            #expect(instances.map(\.computerName) == ["gateway-0", "gateway-1"])
            _ = try await client.subnet(resourceGroup: config.effectiveVNetResourceGroup, virtualNetwork: config.vnetName, name: config.subnetName)
            // Without the token AAD issued, ARM refuses, as Azure does.
            let anonymous = try await http.execute(HTTPRequest(url: endpoints.resourceManager + "/subscriptions/\(SandboxCloud.subscription)"
                + "/resourceGroups/\(SandboxCloud.resourceGroup)/providers/Microsoft.Compute/virtualMachineScaleSets?api-version=2025-04-01"))
            #expect(anonymous.status == 401)
        }
    }

    @Test func everyARMChangeBecomesAFabricState() async throws {
        try await Self.withAzure { azure, endpoints, _ in
            var states = azure.fabricStates().makeAsyncIterator()
            #expect(await states.next() == FabricState(imdsPort: endpoints.imdsPort))
            let fixture = ARMFixture(cloud: azure.cloud, arm: azure.arm)
            try fixture.createPrefix()
            try fixture.createLoadBalancer()
            try fixture.updateInstance(1, publicIPs: true)
            // Each write is a change; the stream skips to the newest state, which ends with the instance update.
            var state = try #require(await states.next())
            while state.secondaryIPs.isEmpty { state = try #require(await states.next()) }
            #expect(state.secondaryIPs.map(\.node) == [azure.cloud.layout.gateways[1].primaryIP])
            #expect(state.publicIPs.count == 1)
            #expect(state.loadBalancerRules.count == 1)
            #expect(state.imdsPort == endpoints.imdsPort)
            #expect(azure.fabricState == state)
            #expect(!azure.egressgwResources().isEmpty)
        }
    }
}
