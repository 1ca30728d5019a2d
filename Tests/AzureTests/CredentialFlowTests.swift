import ARMEmulator
import Crypto
import Foundation
import HTTPClient
import Logging
import Synchronization
import Testing
import X509
import _CryptoExtras
@testable import Azure

/// Every credential flow end to end: the AAD or IMDS emulator issues the token, the ARM emulator accepts only
/// tokens that authority issued and has not expired. Every test captures the client's logs and checks that no
/// secret, assertion or token reached them.
@Suite("Credential flows against the AAD, IMDS and ARM emulators")
struct CredentialFlowTests {
    static let tenant = "72f988bf-0000-4000-8000-0000000000aa"
    static let appID = "0b0e0000-0000-4000-8000-0000000000bb"
    static let secret = "s3cr3t+/=value"
    /// JWT-shaped like a projected service-account token; every JWT (and every emulator token) starts with `eyJ`.
    static let federatedToken = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQifQ.c2ln"
    static let userAssignedID = "/subscriptions/sub/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/gw"

    /// ARM, AAD and IMDS sharing one token authority, and a logger whose lines the test reads.
    struct Cloud: Sendable {
        let fabric: EmulatedFabric
        let authority: TokenAuthority
        let aad: AADEmulator
        let aadURL: String
        let imds: IMDSEmulator
        let imdsURL: String
        let logs: LogCapture

        var logger: Logger { Logger(label: "capture") { _ in logs } }
        var environment: AzureEnvironment { fabric.environment(authorityHost: aadURL) }

        func imdsClient() throws(IMDSError) -> IMDSClient { try IMDSClient(endpoint: imdsURL, backoff: .quick(retries: 0), logger: logger) }

        func arm(_ credential: any TokenCredential) throws -> ARMClient { try fabric.client(credential: credential, logger: logger) }

        /// The subject the token the credential now holds was issued to.
        func subject(of credential: any TokenCredential) async throws -> String? {
            let token = try await credential.token().token
            return try? authority.validate(token).get().subject
        }

        func config() -> CloudConfig {
            var config = CloudConfig()
            config.tenantId = tenant
            return config
        }
    }

    static func with(_ body: @Sendable (Cloud) async throws -> Void) async throws {
        let authority = TokenAuthority()
        let aad = AADEmulator(authority: authority)
        let imds = IMDSEmulator(authority: authority)
        imds.register(IMDSEmulator.Instance(
            name: "aks-gw-12345678-vmss_0", computerName: "aks-gw-12345678-vmss000000", subscriptionID: "sub",
            resourceGroup: EmulatedFabric.group, location: "eastus", scaleSetName: EmulatedFabric.scaleSetName,
            resourceID: EmulatedFabric.scaleSetID + "/virtualMachines/0", privateIP: "10.224.0.4", subnetAddress: "10.224.0.0",
            subnetPrefixLength: 16, identities: [
                .init(clientID: "system-client", tenant: tenant),
                .init(clientID: "user-client", resourceID: userAssignedID, tenant: tenant),
            ]), forCallerAddress: "127.0.0.1")
        let aadServer = try await aad.start()
        let imdsServer = try await imds.start()
        let logs = LogCapture()
        do {
            try await EmulatedFabric.with(authority: authority) { fabric in
                try await body(Cloud(fabric: fabric, authority: authority, aad: aad, aadURL: aadServer.url, imds: imds, imdsURL: imdsServer.url,
                                     logs: logs))
            }
        } catch {
            await aadServer.stop()
            await imdsServer.stop()
            throw error
        }
        await aadServer.stop()
        await imdsServer.stop()
        #expect(!logs.text.isEmpty, "the capture saw no log line: the check below would prove nothing")
        #expect(!logs.text.contains("eyJ"), "a token or assertion reached the logs")
        #expect(!logs.text.contains(secret))
    }

    func temporaryFile(_ text: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("azure-\(UUID().uuidString)").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test("workload identity: the federated token file is the client assertion; ARM accepts the token AAD issued")
    func workloadIdentity() async throws {
        let file = try temporaryFile(Self.federatedToken + "\n")
        defer { try? FileManager.default.removeItem(atPath: file) }
        try await Self.with { cloud in
            cloud.aad.register(clientID: Self.appID, tenant: Self.tenant, credential: .federatedToken(Self.federatedToken))
            var config = cloud.config()
            config.useManagedIdentityExtension = true
            config.aadClientId = "msi"
            config.environment = AuthenticationEnvironment([
                "AZURE_FEDERATED_TOKEN_FILE": file, "AZURE_CLIENT_ID": Self.appID, "AZURE_TENANT_ID": Self.tenant,
            ])
            let credential = try config.credential(environment: cloud.environment, http: try HTTPClientFactory.plain(),
                                                   imds: try cloud.imdsClient())
            let arm = try cloud.arm(credential)
            #expect(try await arm.virtualMachines(resourceGroup: EmulatedFabric.group).count == 1)
            #expect(try await cloud.subject(of: credential) == Self.appID)
            #expect(cloud.aad.requestLog == ["\(Self.tenant) \(Self.appID) → 200"])

            try "eyJ.unknown-assertion.x".write(toFile: file, atomically: true, encoding: .utf8)
            let refused = try cloud.arm(try config.credential(environment: cloud.environment, http: try HTTPClientFactory.plain(),
                                                              imds: try cloud.imdsClient()))
            let error = await #expect(throws: Azure.ARMError.self) { try await refused.virtualMachines(resourceGroup: EmulatedFabric.group) }
            guard case .credential(.rejected(_, 401, "invalid_client", let message)) = error else {
                Issue.record("\(String(describing: error))")
                return
            }
            #expect(message.hasPrefix("AADSTS700027"))
        }
    }

    @Test("managed identity through IMDS: system-assigned, user-assigned by client ID and by resource ID; tokens reused")
    func managedIdentity() async throws {
        try await Self.with { cloud in
            for (identity, subject) in [("", "system-client"), ("user-client", "user-client"), (Self.userAssignedID, "user-client")] {
                var config = cloud.config()
                config.useManagedIdentityExtension = true
                config.userAssignedIdentityID = identity
                let credential = try config.credential(environment: cloud.environment, http: try HTTPClientFactory.plain(),
                                                       imds: try cloud.imdsClient())
                let arm = try cloud.arm(credential)
                #expect(try await arm.virtualMachines(resourceGroup: EmulatedFabric.group).count == 1)
                #expect(try await arm.virtualMachine(resourceGroup: EmulatedFabric.group, name: EmulatedFabric.vmName).name != nil)
                #expect(try await cloud.subject(of: credential) == subject)
            }
            // One token request per identity, however many ARM calls it served.
            #expect(cloud.imds.requestLog == Array(repeating: "GET /metadata/identity/oauth2/token → 200", count: 3))
            var unknown = cloud.config()
            unknown.useManagedIdentityExtension = true
            unknown.userAssignedIdentityID = "not-assigned-to-this-vm"
            let credential = try unknown.credential(environment: cloud.environment, http: try HTTPClientFactory.plain(),
                                                    imds: try cloud.imdsClient())
            let error = await #expect(throws: Azure.ARMError.self) {
                try await cloud.arm(credential).virtualMachines(resourceGroup: EmulatedFabric.group)
            }
            #expect("\(error!)".contains("managed identity"))
            #expect("\(error!)".contains("Identity not found"))
        }
    }

    @Test("service-principal secret; a wrong secret is AAD's error, which never echoes the secret")
    func clientSecret() async throws {
        try await Self.with { cloud in
            cloud.aad.register(clientID: Self.appID, tenant: Self.tenant, credential: .secret(Self.secret))
            var config = cloud.config()
            config.aadClientId = Self.appID
            config.aadClientSecret = Self.secret
            let credential = try config.credential(environment: cloud.environment, http: try HTTPClientFactory.plain(),
                                                   imds: try cloud.imdsClient())
            #expect(try await cloud.arm(credential).virtualMachines(resourceGroup: EmulatedFabric.group).count == 1)
            #expect(try await cloud.subject(of: credential) == Self.appID)

            config.aadClientSecret = "wrong-" + Self.secret
            let wrong = try config.credential(environment: cloud.environment, http: try HTTPClientFactory.plain(), imds: try cloud.imdsClient())
            let error = await #expect(throws: Azure.ARMError.self) {
                try await cloud.arm(wrong).virtualMachines(resourceGroup: EmulatedFabric.group)
            }
            let text = "\(error!)"
            #expect(text.contains("invalid_client") && text.contains("AADSTS7000215"))
            #expect(text.contains("\(cloud.aadURL)/\(Self.tenant)/oauth2/v2.0/token"))
            #expect(!text.contains(Self.secret))
        }
    }

    /// A self-signed certificate and its key, in PEM.
    static func certificate() throws -> (pem: String, der: [UInt8], keyPEM: String) {
        let key = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        let name = try DistinguishedName { CommonName("egressgw-sp") }
        let certificate = try Certificate(
            version: .v3, serialNumber: .init(), publicKey: .init(key.publicKey), notValidBefore: Date(),
            notValidAfter: Date().addingTimeInterval(3600), issuer: name, subject: name,
            signatureAlgorithm: .sha256WithRSAEncryption, extensions: .init(), issuerPrivateKey: .init(key))
        let document = try certificate.serializeAsPEM()
        return (document.pemString, document.derBytes, key.pemRepresentation)
    }

    @Test("service-principal certificate: AAD verifies the assertion's RS256 signature with the registered certificate; a key of another certificate is refused locally")
    func clientCertificate() async throws {
        let registered = try Self.certificate()
        let good = try temporaryFile(registered.pem + "\n" + registered.keyPEM + "\n")
        // The registered certificate with another key: the thumbprint matches, the signature cannot.
        let wrongKey = try temporaryFile(registered.pem + "\n" + (try Self.certificate().keyPEM) + "\n")
        defer { for file in [good, wrongKey] { try? FileManager.default.removeItem(atPath: file) } }
        try await Self.with { cloud in
            cloud.aad.register(clientID: Self.appID, tenant: Self.tenant, credential: .certificate(derEncoded: registered.der))
            var config = cloud.config()
            config.aadClientId = Self.appID
            config.aadClientCertPath = good
            let credential = try config.credential(environment: cloud.environment, http: try HTTPClientFactory.plain(),
                                                   imds: try cloud.imdsClient())
            #expect(try await cloud.arm(credential).virtualMachines(resourceGroup: EmulatedFabric.group).count == 1)
            #expect(try await cloud.subject(of: credential) == Self.appID)

            // A key that does not belong to the certificate is caught before AAD sees a signature it would refuse
            // (the AAD emulator's own tests send it such a forged assertion).
            config.aadClientCertPath = wrongKey
            let error = #expect(throws: CredentialError.self) {
                try config.credential(environment: cloud.environment, http: try HTTPClientFactory.plain(), imds: try cloud.imdsClient())
            }
            #expect("\(error!)" == "client certificate \(wrongKey): no certificate matches the private key")
            #expect(cloud.aad.requestLog == ["\(Self.tenant) \(Self.appID) → 200"])
        }
    }

    @Test("one token serves many calls and is refreshed shortly before it expires (counted at AAD)")
    func cachingAndRefresh() async throws {
        try await Self.with { cloud in
            cloud.aad.register(clientID: Self.appID, tenant: Self.tenant, credential: .secret(Self.secret))
            let clock = Mutex(Date())
            let source = ClientSecretCredential(environment: cloud.environment, tenantID: Self.tenant, clientID: Self.appID,
                                                secret: Self.secret, http: try HTTPClientFactory.plain())
            let credential = CachingCredential(source, refreshMargin: .seconds(300), now: { clock.withLock { $0 } })
            let arm = try cloud.arm(credential)
            for _ in 0..<5 { _ = try await arm.virtualMachines(resourceGroup: EmulatedFabric.group) }
            #expect(cloud.aad.requestLog.count == 1)
            // AAD's tokens live an hour: 58 minutes on, the token is inside the refresh margin.
            clock.withLock { $0 = $0.addingTimeInterval(3480) }
            _ = try await arm.virtualMachines(resourceGroup: EmulatedFabric.group)
            #expect(cloud.aad.requestLog.count == 2)
            #expect(cloud.fabric.emulator.requestLog.allSatisfy { $0.status == 200 })
        }
    }

    @Test("a token ARM refuses before its stated expiry is replaced once; a token that stays refused is a clear 401 error")
    func refusedTokens() async throws {
        try await Self.with { cloud in
            cloud.aad.register(clientID: Self.appID, tenant: Self.tenant, credential: .secret(Self.secret))
            let source = ClientSecretCredential(environment: cloud.environment, tenantID: Self.tenant, clientID: Self.appID,
                                                secret: Self.secret, http: try HTTPClientFactory.plain())
            let credential = CachingCredential(source)
            let arm = try cloud.arm(credential)
            _ = try await arm.virtualMachines(resourceGroup: EmulatedFabric.group)
            let expiredToken = try await credential.token()
            cloud.authority.expireAll()
            _ = try await arm.virtualMachines(resourceGroup: EmulatedFabric.group)
            #expect(cloud.aad.requestLog.count == 2)
            #expect(cloud.fabric.emulator.requestLog.map(\.status) == [200, 401, 200])

            // Without a cache to refresh, the refusal is the error: ARM's code, the URL, nothing of the token.
            let expired = await #expect(throws: Azure.ARMError.self) {
                try await cloud.arm(FixedCredential(value: expiredToken.token)).virtualMachines(resourceGroup: EmulatedFabric.group)
            }
            #expect(expired?.code == "ExpiredAuthenticationToken")
            #expect("\(expired!)".contains("GET \(cloud.fabric.url)\(EmulatedFabric.groupPath)/providers/Microsoft.Compute/virtualMachines"))
            #expect(!"\(expired!)".contains(expiredToken.token))

            cloud.fabric.emulator.clearRequestLog()
            let forged = CachingCredential(FixedCredential(value: "eyJ.forged.token"))
            let invalid = await #expect(throws: Azure.ARMError.self) {
                try await cloud.arm(forged).virtualMachines(resourceGroup: EmulatedFabric.group)
            }
            #expect(invalid?.code == "InvalidAuthenticationToken")
            #expect("\(invalid!)".contains("401 InvalidAuthenticationToken"))
            #expect(cloud.fabric.emulator.requestLog.map(\.status) == [401, 401])
        }
    }
}
