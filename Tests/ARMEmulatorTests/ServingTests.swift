import ARMEmulator
import Foundation
import HTTPClient
import KubeEmulator
import Testing

/// Serving details: HTTPS with links in the same scheme, and instances recovering from `Failed` on update.
@Suite struct ServingTests {
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/openssl"), "needs openssl"))
    func httpsServesAndHandsOutHTTPSLinks() async throws {
        let certificates = try await TLSCertificates.generate()
        var configuration = ARMEmulator.Configuration()
        configuration.scheme = "https"
        configuration.operationPolls = 1
        let arm = ARMEmulator(configuration: configuration)
        try Harness.seed(arm, instances: 0)
        let server = try await arm.start(server: ARMEmulator.tlsServer(certificateChainPEM: certificates.certificate,
                                                                       privateKeyPEM: certificates.privateKey))
        defer { Task { await server.stop() } }
        #expect(server.url.hasPrefix("https://127.0.0.1:"))
        let client = try HTTPClient(configuration: .init(
            tls: TLSConfiguration(trustRoots: .pem(Array(certificates.certificateAuthority.utf8))), proxy: .none))
        let answer = try await client.execute(HTTPRequest(
            method: .put, url: server.url + Harness.network("publicIPAddresses", "pip") + "?api-version=2025-05-01",
            headers: ["Content-Type": "application/json"], body: Array(#"{"location":"eastus"}"#.utf8)))
        #expect(answer.status == 201, "\(answer.text)")
        let operation = try #require(answer.headers["Azure-AsyncOperation"])
        #expect(operation.hasPrefix(server.url + "/subscriptions/"))
        let polled = try await client.execute(HTTPRequest(url: operation))
        #expect(ARMValue(json: polled.body)?["status"] == "Succeeded")
    }

    @Test func aFailedInstanceRecoversWhenItIsUpdated() async throws {
        try await Harness.with { arm in
            let instance = "\(Harness.scaleSetPath)/virtualMachines/1"
            arm.emulator.setProvisioningState("Failed", of: ResourceID(instance)!)
            #expect(try await arm.get(instance, api: Harness.compute)["properties", "provisioningState"] == "Failed")
            let updated = try await arm.put(instance, ["properties": [:]], api: Harness.compute)
            #expect(updated.status == 200, "\(updated)")
            #expect(updated["properties", "provisioningState"] == "Succeeded")
            #expect(updated["etag"] != nil)
        }
    }
}
