import Foundation
import Testing
@testable import Kube

@Suite("exec credential plugins")
struct ExecCredentialPluginTests {
    /// A plugin script that counts its runs, saves its arguments and KUBERNETES_EXEC_INFO, and prints `output`.
    @discardableResult
    static func plugin(in scratch: ScratchDirectory, output: String, exitCode: Int = 0) throws -> String {
        try scratch.write("plugin.sh", """
            #!/bin/sh
            echo run >> "\(scratch.path)/runs"
            echo "$@" > "\(scratch.path)/args"
            printf '%s' "$KUBERNETES_EXEC_INFO" > "\(scratch.path)/info"
            printf '%s' "$PLUGIN_GREETING" > "\(scratch.path)/env"
            echo "plugin stderr message" >&2
            cat <<'JSON'
            \(output)
            JSON
            exit \(exitCode)
            """, executable: true)
    }

    static func kubeconfig(in scratch: ScratchDirectory, apiVersion: String = "client.authentication.k8s.io/v1",
                           command: String = "./plugin.sh") throws -> KubeClientConfiguration {
        let file = try scratch.write("config", """
            current-context: aks
            clusters: [{name: aks, cluster: {server: "https://aks.example:443", certificate-authority-data: \("CA".base64)}}]
            users:
            - name: kubelogin
              user:
                exec:
                  apiVersion: \(apiVersion)
                  command: \(command)
                  args: [get-token, --server-id, "6dae42f8"]
                  env: [{name: PLUGIN_GREETING, value: hello}]
                  provideClusterInfo: true
                  installHint: install kubelogin from https://azure.github.io/kubelogin
            contexts: [{name: aks, context: {cluster: aks, user: kubelogin}}]
            """)
        return try KubeConfig.load(file: file).clientConfiguration(environment: [:])
    }

    static func plugin(of configuration: KubeClientConfiguration) throws -> ExecCredentialPlugin {
        guard case .exec(let plugin) = configuration.credentials else { throw PluginMissing() }
        return plugin
    }

    struct PluginMissing: Error {}

    @Test func tokenIsCachedUntilExpiry() async throws {
        let scratch = try ScratchDirectory()
        try Self.plugin(in: scratch, output: """
            {"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"tok-1","expirationTimestamp":"2999-01-01T00:00:00Z"}}
            """)
        let plugin = try Self.plugin(of: try Self.kubeconfig(in: scratch))
        #expect(plugin.config.command == "\(scratch.path)/plugin.sh")
        async let first = plugin.credential()
        async let second = plugin.credential()
        let credentials = try await [first, second]
        #expect(credentials.allSatisfy { $0.token == "tok-1" })
        _ = try await plugin.credential()
        #expect(try scratch.read("runs") == "run\n", "concurrent and later callers share one run")
        #expect(try scratch.read("args") == "get-token --server-id 6dae42f8\n")
        #expect(try scratch.read("env") == "hello")
        let info = try JSONValue(json: Data(try scratch.read("info").utf8))
        #expect(info["kind"] == "ExecCredential")
        #expect(info["apiVersion"] == "client.authentication.k8s.io/v1")
        #expect(info["spec"]?["interactive"] == false)
        #expect(info["spec"]?["cluster"]?["server"] == "https://aks.example:443")
        #expect(info["spec"]?["cluster"]?["certificate-authority-data"] == .string("CA".base64))
        // Invalidating (a 401) makes the next request run the plugin again.
        await plugin.invalidate(credentials[0])
        _ = try await plugin.credential()
        #expect(try scratch.read("runs") == "run\nrun\n")
    }

    @Test func expiredCredentialRunsAgainAndCertificatesAreRead() async throws {
        let scratch = try ScratchDirectory()
        try Self.plugin(in: scratch, output: """
            {"apiVersion":"client.authentication.k8s.io/v1beta1","kind":"ExecCredential","status":{"clientCertificateData":"-----BEGIN CERTIFICATE-----","clientKeyData":"-----BEGIN KEY-----","expirationTimestamp":"2001-01-01T00:00:00Z"}}
            """)
        let plugin = try Self.plugin(of: try Self.kubeconfig(in: scratch, apiVersion: "client.authentication.k8s.io/v1beta1"))
        let credential = try await plugin.credential()
        #expect(credential.token == nil)
        #expect(credential.clientCertificateData == Array("-----BEGIN CERTIFICATE-----".utf8))
        #expect(credential.clientKeyData == Array("-----BEGIN KEY-----".utf8))
        _ = try await plugin.credential()
        #expect(try scratch.read("runs") == "run\nrun\n", "an expired credential is not reused")
        #expect(!credential.description.contains("BEGIN"))
    }

    @Test func failuresAreExplained() async throws {
        let scratch = try ScratchDirectory()
        try Self.plugin(in: scratch, output: "{}", exitCode: 3)
        let failing = try Self.plugin(of: try Self.kubeconfig(in: scratch))
        let exit = await #expect(throws: KubeConfigError.self) { try await failing.credential() }
        #expect(exit?.description.contains("exited with status 3: plugin stderr message") == true)

        try Self.plugin(in: scratch, output: "<html>login</html>")
        let garbage = try Self.plugin(of: try Self.kubeconfig(in: scratch))
        let notJSON = await #expect(throws: KubeConfigError.self) { try await garbage.credential() }
        #expect(notJSON?.description.contains("printed no ExecCredential JSON") == true)

        try Self.plugin(in: scratch, output: """
            {"apiVersion":"client.authentication.k8s.io/v1beta1","kind":"ExecCredential","status":{"token":"x"}}
            """)
        let mismatch = try Self.plugin(of: try Self.kubeconfig(in: scratch))
        let version = await #expect(throws: KubeConfigError.self) { try await mismatch.credential() }
        #expect(version?.description.contains("expected \"client.authentication.k8s.io/v1\"") == true)

        let missing = try Self.plugin(of: try Self.kubeconfig(in: scratch, command: "kubelogin-not-installed"))
        let notFound = await #expect(throws: KubeConfigError.self) { try await missing.credential() }
        #expect(notFound?.description == "exec credential plugin \"kubelogin-not-installed\": not found in PATH; "
            + "install kubelogin from https://azure.github.io/kubelogin")
    }
}
