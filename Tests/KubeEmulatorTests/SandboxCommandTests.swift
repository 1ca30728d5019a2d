import Foundation
@testable import KubeEmulator
import Testing

/// `egressgw-sandbox apiserver`, the binary built next to this test bundle.
@Suite struct SandboxCommandTests {
    static let binary: String = {
        let bundle = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: bundle).deletingLastPathComponent().appendingPathComponent("egressgw-sandbox").path
    }()

    static var ready: Bool { Kubectl.isInstalled && FileManager.default.isExecutableFile(atPath: binary) }

    @Test(.enabled(if: ready, "needs kubectl and the egressgw-sandbox binary"))
    func apiserverWritesAKubeconfigKubectlUsesOverHTTPS() async throws {
        let kubectl = try Kubectl()
        defer { kubectl.remove() }
        let caPath = kubectl.directory.appendingPathComponent("ca.crt").path
        let server = try ChildProcess(Self.binary, [
            "apiserver", "--listen", "127.0.0.1:0", "--kubeconfig-out", kubectl.kubeconfig.path, "--ca-out", caPath,
        ])
        defer { server.stop() }
        #expect(await server.waitForOutput(containing: ["listening on https://127.0.0.1:"], includingErrors: true),
                "\(server.output)\(server.errorOutput)")
        #expect(FileManager.default.fileExists(atPath: kubectl.kubeconfig.path))
        let config = try String(contentsOf: kubectl.kubeconfig, encoding: .utf8)
        #expect(config.contains("server: \"https://127.0.0.1:"))
        #expect(config.contains("certificate-authority-data:"))
        #expect(try String(contentsOfFile: caPath, encoding: .utf8).hasPrefix("-----BEGIN CERTIFICATE-----"))
        let created = try await kubectl.run("create", "namespace", "from-sandbox")
        #expect(created.output == "namespace/from-sandbox created\n", "\(created)")
        let listed = try await kubectl.run("get", "namespaces", "-o", "name")
        #expect(listed.output.contains("namespace/from-sandbox"), "\(listed)")
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: binary), "needs the egressgw-sandbox binary"))
    func badListenAddressIsRejected() async throws {
        let kubectl = try Kubectl()
        defer { kubectl.remove() }
        let result = try await ChildProcess(Self.binary, ["apiserver", "--listen", "nowhere"]).finished()
        #expect(result.status != 0)
        #expect(result.error.contains("--listen: expected HOST:PORT"), "\(result)")
    }
}
