import ARMEmulator
import Azure
import EgressGatewayAPI
import Foundation
import HTTPClient
import Kube
import KubeEmulator
import Logging
import Netlink
import Operator
import Testing
import Yams
@testable import Sandbox

/// The operator's controllers wired as `egressgw operator` wires them, from the cloud config the sandbox writes,
/// against the sandbox's Azure: each docs/samples SGC provisions, the fabric state follows the instances, and
/// deleting it leaves nothing of ours in ARM.
@Suite struct OperatorOverSandboxAzureTests {
    static let systemNamespace = "kube-egress-gateway-system"

    static func sample(_ name: String) throws -> StaticGatewayConfiguration {
        let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../docs/samples/\(name)")
        let object = try Yams.load(yaml: try String(contentsOf: file, encoding: .utf8)) as Any
        return try JSONDecoder().decode(StaticGatewayConfiguration.self, from: JSONSerialization.data(withJSONObject: object))
    }

    /// Polls `condition` for up to a minute (a deadline, not a timing assertion).
    static func eventually(_ what: String, _ condition: () async throws -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(60)
        while try await !condition() {
            guard ContinuousClock.now < deadline else { throw SandboxError.request(target: what, reason: "not reached within a minute") }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    @Test func eachSampleProvisionsTheFabricFollowsAndDeletionLeavesNothing() async throws {
        try await SandboxAzureTests.withAzure(workers: 1, gateways: 2) { azure, endpoints, _ in
            let kube = try await KubeEmulator().start()
            let client = try KubeClient(configuration: KubeClientConfiguration(
                server: kube.url, credentials: .none, namespace: "default",
                userAgent: KubeClientConfiguration.userAgent(version: "test", role: "sandbox-tests"), proxy: .none))
            for crd in CustomResourceDefinitions.all { _ = try await client.resource(CustomResourceDefinition.self).create(crd) }
            for namespace in [Self.systemNamespace, "demo"] { _ = try await client.resource(Namespace.self).create(Namespace(name: namespace)) }
            for node in azure.nodeObjects { _ = try await client.resource(Node.self).create(node) }

            // What OperatorCommand does with --cloud-config and the environment the supervisor gives it.
            let config = try CloudConfig.load(path: endpoints.cloudConfigFile, environment: endpoints.operatorEnvironment)
            let environment = try config.azureEnvironment()
            let http = try HTTPClient(configuration: .init(proxy: .none))
            let credential = try config.credential(environment: environment, http: http,
                                                   imds: try IMDSClient(endpoint: "http://127.0.0.1:9"))
            let arm = ARMClient(environment: environment, credential: credential, http: http,
                                configuration: .init(subscriptionID: config.subscriptionId, pollInterval: .milliseconds(10)))
            let cloud = CloudTarget(config)
            var logger = Logger(label: "operator")
            logger.logLevel = .warning
            let manager = OperatorManager(
                client: client, settings: OperatorSettings(secretNamespace: Self.systemNamespace, podNamespace: Self.systemNamespace, cloud: cloud),
                fabric: AzureGatewayFabric(arm: arm, cloud: cloud), informerConfiguration: .init(watchTimeout: 5...10), logger: logger)
            let running = Task { await manager.run() }

            do {
                let sgcs = client.resource(StaticGatewayConfiguration.self, namespace: "demo")
                let gateways = azure.cloud.layout.gateways.map(\.primaryIP)
                // One sample at a time: the operator's sibling batching compares pool specs as written, so an SGC
                // naming the pool and one naming its scale set would remove each other's ipconfigs (reported).
                for name in ["sgc-public.yaml", "sgc-private.yaml"] {
                    let sgc = try await sgcs.create(try Self.sample(name))
                    try await Self.eventually("\(name) Ready") { try await sgcs.get(sgc.metadata.name).status.readyCondition?.status == .true }
                    let status = try await sgcs.get(sgc.metadata.name).status
                    try await Self.eventually("the fabric state of \(name)") { azure.fabricState?.secondaryIPs.count == 2 }
                    let state = try #require(azure.fabricState)

                    // Each gateway holds the SGC's secondary IP; in public mode it leaves from an address of the prefix,
                    // in private mode as itself, and then the secondary IPs are the SGC's egress IPs.
                    #expect(state.secondaryIPs.map(\.node).sorted() == gateways)
                    if sgc.spec.provisionPublicIps {
                        let prefix = try #require(IPNetwork(status.egressIpPrefix), "egressIpPrefix \(status.egressIpPrefix)")
                        #expect(state.publicIPs.map(\.privateAddress) == state.secondaryIPs.map(\.address))
                        #expect(state.publicIPs.allSatisfy { prefix.contains($0.publicAddress) })
                    } else {
                        #expect(state.publicIPs.isEmpty)
                        #expect(Set(status.egressIpPrefix.split(separator: ",").map(String.init))
                            == Set(state.secondaryIPs.map(\.address.description)))
                    }
                    // The SGC's UDP rule on the pool's frontend, both gateways behind it, probed on the SGC's path.
                    let rule = try #require(state.loadBalancerRules.first)
                    #expect(state.loadBalancerRules.count == 1)
                    #expect(Int32(rule.port) == status.gatewayServerProfile.port)
                    #expect(rule.transport == .udp && rule.backends == gateways)
                    #expect(rule.probe == HealthProbe(port: 8082, path: "/gw/\(sgc.metadata.uid)", intervalSeconds: 5, threshold: 1))
                    #expect(state.imdsPort == endpoints.imdsPort)

                    _ = try await sgcs.delete(sgc.metadata.name)
                    try await Self.eventually("\(name) deleted") { try await sgcs.list().items.isEmpty }
                    try await Self.eventually("an empty fabric state after \(name)") { azure.fabricState == FabricState(imdsPort: endpoints.imdsPort) }
                    #expect(azure.egressgwResources() == [])
                }
            } catch {
                running.cancel()
                await running.value
                await kube.stop()
                throw error
            }
            running.cancel()
            await running.value
            await kube.stop()
        }
    }
}
