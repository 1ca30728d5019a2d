import Foundation
import Kube
import KubeEmulator
import Logging

/// The Sandbox's Kubernetes control plane: the KubeEmulator over HTTPS with bearer tokens and RBAC
/// on, holding `deploy/default`'s namespace, CRDs, ServiceAccounts and RBAC. Each ServiceAccount
/// gets a token, so every role runs with the rights the manifests grant it and no more; the
/// administrator (the supervisor, the tests, the user's kubectl) is `system:admin`.
public final class ControlPlane: Sendable {
    /// The namespace of `deploy/default`, where the roles' ServiceAccounts and Secrets live.
    public static let systemNamespace = "kube-egress-gateway-system"

    public let server: RunningKubeEmulator
    private let adminToken: String

    private init(server: RunningKubeEmulator, adminToken: String) {
        self.server = server
        self.adminToken = adminToken
    }

    /// Serves on `host:port` and creates the control-plane objects of `manifests`.
    public static func start(host: String, port: Int, manifests: DeployManifests,
                             logger: Logger) async throws(SandboxError) -> ControlPlane {
        let adminToken = randomToken()
        var configuration = KubeEmulator.Configuration()
        configuration.authentication = .bearerTokens([adminToken: .admin])
        configuration.authorization = .rbac
        let emulator = KubeEmulator(configuration: configuration, logger: logger)
        // HTTPS: kubectl sends bearer tokens only over TLS.
        let server = try await SandboxError.during("start the API server on \(host):\(port)") {
            let certificates = try await TLSCertificates.generate(hosts: [host])
            return try await emulator.start(host: host, port: port, tls: certificates)
        }
        for object in manifests.controlPlaneObjects {
            do {
                try emulator.create(object)
            } catch {
                await server.stop()
                let name = "\(object["kind"]?.stringValue ?? "?")/\(object["metadata"]?["name"]?.stringValue ?? "?")"
                throw .step("create \(name) from the deploy manifests", cause: error)
            }
        }
        return ControlPlane(server: server, adminToken: adminToken)
    }

    public var url: String { server.url }
    public var emulator: KubeEmulator { server.emulator }

    /// A kubeconfig for `system:admin`.
    public var adminKubeconfig: String { server.kubeconfig(token: adminToken) }

    /// A kubeconfig with a new token of the ServiceAccount `namespace/name`, as a pod of that
    /// account would get; the context's namespace is the account's.
    public func kubeconfig(serviceAccount name: String, namespace: String = ControlPlane.systemNamespace) -> String {
        server.kubeconfig(token: emulator.serviceAccountToken(namespace: namespace, name: name), namespace: namespace)
    }

    /// A client acting as `system:admin`, without proxies (the control address is never behind one).
    public func adminClient() throws(SandboxError) -> KubeClient {
        try SandboxError.during("make the administrator's client") {
            var configuration = try KubeConfig.parse(yaml: adminKubeconfig, file: "admin kubeconfig")
                .clientConfiguration(environment: [:])
            configuration.proxy = .none
            return try KubeClient(configuration: configuration)
        }
    }

    public func stop() async { await server.stop() }

    static func randomToken() -> String {
        (0..<4).map { _ in String(UInt64.random(in: 0..<UInt64.max), radix: 16) }.joined()
    }
}
