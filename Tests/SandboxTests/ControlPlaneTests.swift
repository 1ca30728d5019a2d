import EgressGatewayAPI
import Foundation
import Kube
import Logging
import Testing
@testable import Sandbox

@Suite("Control plane", .enabled(if: SandboxTestSupport.hasKubectl, "needs kubectl to render deploy/default"))
struct ControlPlaneTests {
    private func client(_ kubeconfig: String) throws -> KubeClient {
        var configuration = try KubeConfig.parse(yaml: kubeconfig, file: "test").clientConfiguration(environment: [:])
        configuration.proxy = .none
        return try KubeClient(configuration: configuration)
    }

    private func status(_ body: () async throws -> Void) async -> Int? {
        do { try await body(); return 200 } catch let error as KubeError { return error.apiError?.code } catch { return nil }
    }

    @Test("deploy/default's CRDs and RBAC are served, and each ServiceAccount token has its role's rights and no more")
    func serviceAccountsHaveTheirRightsOnly() async throws {
        let manifests = try DeployManifests.render(SandboxTestSupport.repositoryRoot + "/deploy/default")
        #expect(Set(manifests.serviceAccounts.map(\.name)) == ["egressgw-operator", "egressgw-gateway", "egressgw-cni-manager"])
        let plane = try await ControlPlane.start(host: "127.0.0.1", port: 0, manifests: manifests, logger: Logger(label: "test"))
        do {
            let admin = try plane.adminClient()
            let namespaces = try await admin.resource(Namespace.self).list().items.map(\.metadata.name)
            #expect(namespaces.contains(ControlPlane.systemNamespace))

            let gateway = try client(plane.kubeconfig(serviceAccount: "egressgw-gateway"))
            let sgcs = gateway.resource(StaticGatewayConfiguration.self, namespace: "default")
            #expect(await status { _ = try await sgcs.list() } == 200)
            var sgc = StaticGatewayConfiguration()
            sgc.metadata = ObjectMeta(name: "forbidden", namespace: "default")
            #expect(await status { _ = try await sgcs.create(sgc) } == 403)

            let cniManager = try client(plane.kubeconfig(serviceAccount: "egressgw-cni-manager"))
            #expect(await status { _ = try await cniManager.resource(Pod.self, namespace: "default").list() } == 200)
            #expect(await status {
                _ = try await cniManager.resource(Secret.self, namespace: ControlPlane.systemNamespace).list()
            } == 403)

            let operatorClient = try client(plane.kubeconfig(serviceAccount: "egressgw-operator"))
            #expect(await status {
                _ = try await operatorClient.resource(Secret.self, namespace: ControlPlane.systemNamespace).list()
            } == 200)
            #expect(await status { _ = try await operatorClient.resource(Secret.self, namespace: "default").list() } == 403)
        } catch {
            await plane.stop()
            throw error
        }
        await plane.stop()
    }

    @Test("a workload's container resolves to its arguments and environment for one node")
    func workloadCommand() throws {
        let manifests = try DeployManifests.render(SandboxTestSupport.repositoryRoot + "/deploy/default")
        let gateway = try manifests.container(ofWorkload: "egressgw-gateway", nodeName: "gateway-1")
        #expect(gateway.arguments.first == "gateway")
        #expect(gateway.arguments.contains("--secret-namespace=\(ControlPlane.systemNamespace)"))
        #expect(gateway.environment["MY_NODE_NAME"] == "gateway-1")
        #expect(gateway.environment["MY_POD_NAMESPACE"] == ControlPlane.systemNamespace)
        #expect(throws: SandboxError.self) { _ = try manifests.container(ofWorkload: "no-such-workload", nodeName: "x") }
    }
}
