import Crypto
import Foundation
import HTTPClient
import Logging
import Synchronization
import Testing
import X509
import _CryptoExtras
import TestSupport
@testable import Azure

@Suite("Credentials")
struct CredentialTests {
    static let secret = "s3cr3t+/=value"
    static let issuedToken = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.issued-token"

    func form(_ body: String) -> [String: String] {
        var values: [String: String] = [:]
        for pair in body.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1).map { String($0).removingPercentEncoding ?? "" }
            values[parts[0]] = parts.count > 1 ? parts[1] : ""
        }
        return values
    }

    func environment(_ url: String) -> AzureEnvironment {
        AzureEnvironment(name: "test", resourceManagerEndpoint: url, authorityHost: url, tokenAudience: "https://management.core.windows.net/")
    }

    static func tokenAnswer(_ request: RecordedRequest, _ url: String) -> ScriptedResponse {
        ScriptedResponse(200, #"{"token_type":"Bearer","expires_in":3599,"access_token":"\#(issuedToken)"}"#)
    }

    func temporaryFile(_ text: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("azure-\(UUID().uuidString)").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test("service-principal secret: client-credentials grant to the tenant's v2 endpoint with the ARM scope")
    func clientSecret() async throws {
        try await ScriptedServer.run(Self.tokenAnswer) { url, requests in
            let credential = ClientSecretCredential(environment: environment(url), tenantID: "tenant", clientID: "app",
                                                    secret: Self.secret, http: try HTTPClientFactory.plain())
            let token = try await credential.token()
            #expect(token.token == Self.issuedToken)
            #expect(token.expiresOn.timeIntervalSinceNow > 3500)
            let request = try #require(requests().first)
            #expect(request.method == "POST")
            #expect(request.path == "/tenant/oauth2/v2.0/token")
            #expect(form(request.body) == ["grant_type": "client_credentials", "client_id": "app", "client_secret": Self.secret,
                                           "scope": "https://management.core.windows.net/.default"])
            #expect(!"\(credential)".contains(Self.secret))
            #expect(!"\(token)".contains(Self.issuedToken))
        }
    }

    @Test("AAD refusal: code and first line of the description, never the secret")
    func rejected() async throws {
        let body = #"{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided.\r\nTrace ID: 1"}"#
        try await ScriptedServer.run({ _, _ in ScriptedResponse(401, body) }) { url, _ in
            let credential = ClientSecretCredential(environment: environment(url), tenantID: "tenant", clientID: "app",
                                                    secret: Self.secret, http: try HTTPClientFactory.plain())
            let error = await #expect(throws: CredentialError.self) { try await credential.token() }
            let text = "\(error!)"
            #expect(text.contains("invalid_client"))
            #expect(text.contains("AADSTS7000215"))
            #expect(text.contains("\(url)/tenant/oauth2/v2.0/token"))
            #expect(!text.contains(Self.secret))
        }
    }

    @Test("workload identity: the token file is the client assertion, re-read on every request")
    func workloadIdentity() async throws {
        let file = try temporaryFile("first-assertion\n")
        defer { try? FileManager.default.removeItem(atPath: file) }
        try await ScriptedServer.run(Self.tokenAnswer) { url, requests in
            var config = CloudConfig()
            config.useManagedIdentityExtension = true
            config.aadClientId = "msi"
            config.environment = AuthenticationEnvironment([
                "AZURE_FEDERATED_TOKEN_FILE": file, "AZURE_CLIENT_ID": "wi-client", "AZURE_TENANT_ID": "wi-tenant",
            ])
            let credential = try config.credential(environment: environment(url), http: try HTTPClientFactory.plain(),
                                                   imds: try IMDSClient(endpoint: url))
            #expect("\(credential.source)".hasPrefix("workload identity wi-client"))
            _ = try await credential.source.token()
            try "second-assertion".write(toFile: file, atomically: true, encoding: .utf8)
            _ = try await credential.source.token()
            let forms = requests().map { form($0.body) }
            #expect(forms.map { $0["client_assertion"] } == ["first-assertion", "second-assertion"])
            #expect(forms.first?["client_assertion_type"] == "urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
            #expect(forms.first?["client_id"] == "wi-client")
            #expect(requests().first?.path == "/wi-tenant/oauth2/v2.0/token")
        }
    }

    @Test("workload identity: a missing token file is an error naming the file")
    func missingTokenFile() async throws {
        let credential = WorkloadIdentityCredential(environment: .publicCloud, tenantID: "t", clientID: "c",
                                                    tokenFile: "/nonexistent/azure-identity-token", http: try HTTPClientFactory.plain())
        let error = await #expect(throws: CredentialError.self) { try await credential.token() }
        #expect("\(error!)".contains("/nonexistent/azure-identity-token"))
    }

    @Test("managed identity through IMDS: system, user-assigned by client ID and by resource ID")
    func managedIdentity() async throws {
        let answer = #"{"access_token":"\#(Self.issuedToken)","expires_on":"4102444800","resource":"https://management.core.windows.net/","token_type":"Bearer"}"#
        try await ScriptedServer.run({ _, _ in ScriptedResponse(200, answer) }) { url, requests in
            let imds = try IMDSClient(endpoint: url, backoff: .quick(retries: 0))
            for id in ["", "5f3c5a5e-client", "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/gw"] {
                let credential = ManagedIdentityCredential(identity: .init(userAssignedIdentityID: id), environment: .publicCloud, imds: imds)
                let token = try await credential.token()
                #expect(token.token == Self.issuedToken)
                #expect(token.expiresOn == Date(timeIntervalSince1970: 4102444800))
            }
            let seen = requests()
            #expect(seen.allSatisfy { $0.path == "/metadata/identity/oauth2/token" && $0.headers["metadata"] == "true" })
            #expect(seen.allSatisfy { $0.query["api-version"] == "2018-02-01" && $0.query["resource"] == "https://management.core.windows.net/" })
            #expect(seen[0].query["client_id"] == nil && seen[0].query["msi_res_id"] == nil)
            #expect(seen[1].query["client_id"] == "5f3c5a5e-client")
            #expect(seen[2].query["msi_res_id"]?.hasSuffix("/userAssignedIdentities/gw") == true)
        }
    }

    @Test("the credential order of the Go auth provider")
    func order() throws {
        var config = CloudConfig()
        config.tenantId = "t"
        config.aadClientId = "app"
        config.aadClientSecret = Self.secret
        let http = try HTTPClientFactory.plain()
        #expect("\(try config.credential(environment: .publicCloud, http: http, imds: try IMDSClient()).source)".hasPrefix("service principal app (client secret"))
        config.useManagedIdentityExtension = true
        #expect("\(try config.credential(environment: .publicCloud, http: http, imds: try IMDSClient()).source)" == "system-assigned managed identity")
        config.useFederatedWorkloadIdentityExtension = true
        config.aadFederatedTokenFile = "/var/run/secrets/azure/tokens/azure-identity-token"
        #expect("\(try config.credential(environment: .publicCloud, http: http, imds: try IMDSClient()).source)".hasPrefix("workload identity"))
        let none = CloudConfig()
        #expect(throws: CredentialError.self) { try none.credential(environment: .publicCloud, http: http, imds: try IMDSClient()) }
    }

    @Test("service-principal certificate: RS256 client assertion with the certificate's x5t, verifiable with its key")
    func certificate() async throws {
        let key = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        let name = try DistinguishedName { CommonName("egressgw-test") }
        let certificate = try Certificate(
            version: .v3, serialNumber: .init(), publicKey: .init(key.publicKey), notValidBefore: Date(),
            notValidAfter: Date().addingTimeInterval(3600), issuer: name, subject: name,
            signatureAlgorithm: .sha256WithRSAEncryption, extensions: .init(), issuerPrivateKey: .init(key))
        let pem = try certificate.serializeAsPEM().pemString + "\n" + key.pemRepresentation + "\n"
        let path = try temporaryFile(pem)
        defer { try? FileManager.default.removeItem(atPath: path) }
        try await ScriptedServer.run(Self.tokenAnswer) { url, requests in
            let credential = try ClientCertificateCredential(environment: environment(url), tenantID: "tenant", clientID: "app",
                                                             certificatePath: path, http: try HTTPClientFactory.plain())
            _ = try await credential.token()
            let fields = form(try #require(requests().first).body)
            let parts = try #require(fields["client_assertion"]).split(separator: ".").map(String.init)
            #expect(parts.count == 3)
            let header = try JSONSerialization.jsonObject(with: try #require(base64URLDecode(parts[0]))) as? [String: Any]
            let claims = try JSONSerialization.jsonObject(with: try #require(base64URLDecode(parts[1]))) as? [String: Any]
            #expect(header?["alg"] as? String == "RS256")
            let der = try #require(pemBlocks(pem).first { $0.label == "CERTIFICATE" }).der
            #expect(header?["x5t"] as? String == base64URL(Insecure.SHA1.hash(data: der)))
            #expect(claims?["aud"] as? String == "\(url)/tenant/oauth2/v2.0/token")
            #expect(claims?["iss"] as? String == "app" && claims?["sub"] as? String == "app")
            let signature = _RSA.Signing.RSASignature(rawRepresentation: try #require(base64URLDecode(parts[2])))
            let signed = SHA256.hash(data: Data((parts[0] + "." + parts[1]).utf8))
            #expect(key.publicKey.isValidSignature(signature, for: signed, padding: .insecurePKCS1v1_5))
        }
        let notPEM = try temporaryFile("\u{30}\u{82}binary-pfx")
        defer { try? FileManager.default.removeItem(atPath: notPEM) }
        let error = #expect(throws: CredentialError.self) {
            try ClientCertificateCredential(environment: .publicCloud, tenantID: "t", clientID: "c", certificatePath: notPEM,
                                            http: try HTTPClientFactory.plain())
        }
        #expect("\(error!)".contains(notPEM))
    }

    @Test("the caching credential reuses a token and refreshes it before expiry; concurrent callers share one fetch")
    func caching() async throws {
        let clock = Mutex(Date(timeIntervalSince1970: 1_000_000))
        let fetches = Counter()
        struct Source: TokenCredential {
            let fetches: Counter
            let clock: @Sendable () -> Date
            func token() async throws(CredentialError) -> AccessToken {
                let count = fetches.next()
                return AccessToken(token: "token-\(count)", expiresOn: clock().addingTimeInterval(3600))
            }
            var description: String { "counting source" }
        }
        let now: @Sendable () -> Date = { clock.withLock { $0 } }
        let credential = CachingCredential(Source(fetches: fetches, clock: now), refreshMargin: .seconds(300), now: now)
        try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<8 { group.addTask { try await credential.token().token } }
            for try await token in group { #expect(token == "token-1") }
        }
        #expect(fetches.current == 1)
        clock.withLock { $0 = $0.addingTimeInterval(3000) }
        #expect(try await credential.token().token == "token-1")
        clock.withLock { $0 = $0.addingTimeInterval(400) }
        #expect(try await credential.token().token == "token-2")
    }
}

func base64URLDecode(_ text: String) -> Data? {
    var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
    while base64.count % 4 != 0 { base64 += "=" }
    return Data(base64Encoded: base64)
}
