import ARMEmulator
import Crypto
import Foundation
import TestSupport
import Testing
@testable import Azure

/// PKCS#12 files written by the `openssl pkcs12 -export` CLI at test time, read by the service-principal certificate
/// credential, and used end to end against the AAD emulator, which verifies the assertion's signature.
@Suite("PKCS#12 service-principal certificates", .enabled(if: OpenSSL.available, "needs the openssl CLI"))
struct PKCS12Tests {
    static let password = "pfx-p@ss wörd"

    /// A fresh directory with a key, its self-signed certificate and an unrelated CA certificate, in PEM.
    static func material() async throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pkcs12-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try await OpenSSL.run(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "key.pem", "-out", "cert.pem", "-days", "1",
                         "-subj", "/CN=egressgw-sp"], in: directory)
        try await OpenSSL.run(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca-key.pem", "-out", "ca.pem", "-days", "1",
                         "-subj", "/CN=egressgw-ca"], in: directory)
        return directory
    }

    static func export(_ directory: URL, password: String, options: [String] = []) async throws -> String {
        let name = "sp-\(UUID().uuidString).pfx"
        try await OpenSSL.run(["pkcs12", "-export", "-in", "cert.pem", "-inkey", "key.pem", "-certfile", "ca.pem", "-out", name,
                         "-passout", "pass:\(password)"] + options, in: directory)
        return directory.appendingPathComponent(name).path
    }

    func credential(_ path: String, password: String, url: String = "http://127.0.0.1:1") throws -> ClientCertificateCredential {
        let environment = AzureEnvironment(name: "test", resourceManagerEndpoint: url, authorityHost: url, tokenAudience: "https://management.core.windows.net/")
        return try ClientCertificateCredential(environment: environment, tenantID: "t", clientID: "c", certificatePath: path,
                                               password: password, http: try HTTPClientFactory.plain())
    }

    @Test("OpenSSL 3's default encryption (PBES2, PBKDF2-HMAC-SHA256, AES-256-CBC, HMAC-SHA256 MAC) and variants",
          arguments: [
              [String](), ["-macalg", "sha512", "-keypbe", "AES-128-CBC", "-certpbe", "AES-192-CBC"],
              ["-macalg", "sha1", "-iter", "1000"],
          ])
    func modern(options: [String]) async throws {
        let directory = try await Self.material()
        defer { try? FileManager.default.removeItem(at: directory) }
        for password in [Self.password, ""] {
            let pfx = try await Self.export(directory, password: password, options: options)
            let fromPFX = try credential(pfx, password: password)
            // The certificate chosen is the one matching the key, not the CA certificate that comes first in the file.
            let pem = try String(contentsOf: directory.appendingPathComponent("cert.pem"), encoding: .utf8)
            let certificate = try #require(pemBlocks(pem).first).der
            let assertion = try fromPFX.clientAssertion(now: Date())
            let header = try #require(base64URLDecode(String(assertion.split(separator: ".")[0])))
            let fields = try JSONSerialization.jsonObject(with: header) as? [String: Any]
            #expect(fields?["x5t"] as? String == base64URL(Insecure.SHA1.hash(data: certificate)))
        }
    }

    @Test("end to end: the AAD emulator accepts the assertion signed with the .pfx key; ARM accepts the token")
    func endToEnd() async throws {
        let directory = try await Self.material()
        defer { try? FileManager.default.removeItem(at: directory) }
        let pfx = try await Self.export(directory, password: Self.password)
        let pem = try String(contentsOf: directory.appendingPathComponent("cert.pem"), encoding: .utf8)
        let der = try #require(pemBlocks(pem).first).der
        let authority = TokenAuthority()
        let aad = AADEmulator(authority: authority)
        aad.register(clientID: "sp-app", tenant: "tenant", credential: .certificate(derEncoded: der))
        let aadServer = try await aad.start()
        do {
            try await EmulatedFabric.with(authority: authority) { fabric in
                // A cloud config with a certificate and no secret is valid (the Go validation demands a secret, and
                // would then use it instead of the certificate).
                let file = directory.appendingPathComponent("azure.json")
                try JSONSerialization.data(withJSONObject: [
                    "cloud": "AzurePublicCloud", "tenantId": "tenant", "subscriptionId": EmulatedFabric.subscription,
                    "location": "eastus", "resourceGroup": EmulatedFabric.group, "vnetName": "aks-vnet", "subnetName": "aks-subnet",
                    "aadClientId": "sp-app", "aadClientCertPath": pfx, "aadClientCertPassword": Self.password,
                ]).write(to: file)
                let config = try CloudConfig.load(path: file.path, environment: [:])
                let credential = try config.credential(environment: fabric.environment(authorityHost: aadServer.url),
                                                       http: try HTTPClientFactory.plain(), imds: try IMDSClient())
                #expect(try await fabric.client(credential: credential).virtualMachines(resourceGroup: EmulatedFabric.group).count == 1)
                #expect(aad.requestLog == ["tenant sp-app → 200"])
            }
        } catch {
            await aadServer.stop()
            throw error
        }
        await aadServer.stop()
    }

    @Test("a wrong password fails the integrity check, without echoing any password")
    func wrongPassword() async throws {
        let directory = try await Self.material()
        defer { try? FileManager.default.removeItem(at: directory) }
        let pfx = try await Self.export(directory, password: Self.password)
        let error = #expect(throws: CredentialError.self) { try credential(pfx, password: "not-the-password") }
        #expect("\(error!)".contains("client certificate \(pfx): PKCS#12 integrity check failed: wrong aadClientCertPassword"))
        #expect(!"\(error!)".contains("not-the-password") && !"\(error!)".contains(Self.password))
    }

    @Test("legacy encryption is refused with the algorithm's OID and how to convert the file", arguments: [
        (["-legacy"], "pbeWithSHAAnd40BitRC2-CBC (OID 1.2.840.113549.1.12.1.6)"),
        (["-certpbe", "PBE-SHA1-3DES", "-keypbe", "PBE-SHA1-3DES", "-macalg", "sha1"], "pbeWithSHAAnd3-KeyTripleDES-CBC (OID 1.2.840.113549.1.12.1.3)"),
    ])
    func legacy(options: [String], algorithm: String) async throws {
        let directory = try await Self.material()
        defer { try? FileManager.default.removeItem(at: directory) }
        let pfx = try await Self.export(directory, password: Self.password, options: options)
        let error = #expect(throws: CredentialError.self) { try credential(pfx, password: Self.password) }
        #expect("\(error!)".contains("legacy algorithm \(algorithm)"))
        #expect("\(error!)".contains("openssl pkcs12 -in FILE.pfx -nodes -out FILE.pem"))
    }

    @Test("a damaged file is an error, never a crash: every truncation, and a changed byte at many offsets")
    func damaged() async throws {
        let directory = try await Self.material()
        defer { try? FileManager.default.removeItem(at: directory) }
        // One iteration for the MAC and the encryption keeps a few hundred decodings quick.
        let pfx = try await Self.export(directory, password: Self.password, options: ["-noiter", "-nomaciter"])
        let original = Array(try Data(contentsOf: URL(fileURLWithPath: pfx)))
        #expect(throws: Never.self) { try PKCS12(derEncoded: original, password: Self.password) }
        for length in 0..<original.count {
            #expect(throws: PKCS12Error.self) { try PKCS12(derEncoded: Array(original.prefix(length)), password: Self.password) }
        }
        for offset in stride(from: 0, to: original.count, by: 7) {
            var bytes = original
            bytes[offset] ^= 0x5A
            // A few changes leave the file readable (an unused tag bit, say); none may trap.
            _ = try? PKCS12(derEncoded: bytes, password: Self.password)
        }
    }

    @Test("garbage that is neither PEM nor PKCS#12 is a clear error naming the file")
    func garbage() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("pkcs12-\(UUID().uuidString)").path
        try Data([0x30, 0x82, 0x01, 0x00, 0x02]).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let error = #expect(throws: CredentialError.self) { try credential(path, password: "") }
        #expect("\(error!)".contains("client certificate \(path): not a readable PKCS#12 file"))
        try Data("subject=CN=egressgw\n".utf8).write(to: URL(fileURLWithPath: path))
        let text = #expect(throws: CredentialError.self) { try credential(path, password: "") }
        #expect("\(text!)" == "client certificate \(path): neither PEM (no -----BEGIN block) nor PKCS#12")
    }
}

/// The `openssl` command line tool.
enum OpenSSL {
    static let available = (try? ChildProcess.runBlocking("/usr/bin/env", ["openssl", "version"]))?.status == 0

    struct Failed: Error, CustomStringConvertible {
        var description: String
    }

    @discardableResult
    static func run(_ arguments: [String], in directory: URL) async throws -> String {
        let result = try await ChildProcess.run("/usr/bin/env", ["openssl"] + arguments, directory: directory)
        guard result.status == 0 else {
            throw Failed(description: "openssl \(arguments.joined(separator: " ")): \(result.standardError)")
        }
        return result.standardOutput
    }
}
