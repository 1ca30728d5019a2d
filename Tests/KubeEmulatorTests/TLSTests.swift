import Foundation
import HTTPClient
import Kube
@testable import KubeEmulator
import Testing

@Suite struct TLSTests {
    @Test func servesHTTPSWithTheGeneratedCertificates() async throws {
        let certificates = try await TLSCertificates.generate()
        #expect(certificates.certificateAuthority.hasPrefix("-----BEGIN CERTIFICATE-----"))
        #expect(certificates.privateKey.contains("PRIVATE KEY"))
        try await Harness.with(tls: certificates) { h in
            #expect(h.url.hasPrefix("https://127.0.0.1:"))
            let version = try await h.get("/version")
            #expect(version.status == 200)
            #expect(version["major"] == "1")
            let untrusting = try HTTPClient(configuration: HTTPClient.Configuration(proxy: .none))
            await #expect(throws: HTTPClientError.self) {
                _ = try await untrusting.execute(HTTPRequest(url: h.url + "/version"))
            }
            let watch = try await h.watch("/api/v1/namespaces/default/configmaps?watch=1&resourceVersion=\(h.emulator.resourceVersion)")
            try await h.configMap("over-tls")
            #expect(try await watch.nextChange()?.object.at("metadata.name") == "over-tls")
            watch.cancel()
        }
    }

    @Test(.enabled(if: Kubectl.isInstalled, "kubectl is not installed")) func kubectlTrustsTheKubeconfigCA() async throws {
        let certificates = try await TLSCertificates.generate()
        try await Harness.with(tls: certificates) { h in
            let kubeconfig = h.server.kubeconfig()
            #expect(kubeconfig.contains("certificate-authority-data: "))
            let kubectl = try Kubectl(server: h.server)
            defer { kubectl.remove() }
            let namespaces = try await kubectl.run("get", "namespaces", "-o", "name")
            #expect(namespaces.status == 0, "\(namespaces)")
            #expect(namespaces.output.contains("namespace/default"))
        }
    }
}
