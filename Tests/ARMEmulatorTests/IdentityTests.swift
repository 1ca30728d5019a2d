import ARMEmulator
import Crypto
import Foundation
import HTTPClient
import Testing
import X509
import _CryptoExtras

/// IMDS (per-caller documents, the Metadata header, managed-identity tokens), the AAD token endpoint, and ARM
/// refusing requests without a token they issued.
@Suite struct IdentityTests {
    static let tenant = "72f988bf-0000-4000-8000-000000000000"
    static let management = "https://management.core.windows.net/"

    static func instance(_ name: String, ip: String, identities: [IMDSEmulator.ManagedIdentity] = []) -> IMDSEmulator.Instance {
        IMDSEmulator.Instance(
            name: "aks-gw-12345678-vmss_\(name.suffix(1))", computerName: name, subscriptionID: Harness.subscription,
            resourceGroup: Harness.group, location: "eastus", scaleSetName: "aks-gw-12345678-vmss",
            resourceID: "\(Harness.scaleSetPath)/virtualMachines/\(name.suffix(1))",
            tags: ["aks-managed-poolName": "gwpool", "aks-managed-nic-name": "nic-\(name)"], privateIP: ip,
            subnetAddress: "10.224.0.0", subnetPrefixLength: 16, identities: identities)
    }

    func client() throws -> HTTPClient { try HTTPClient(configuration: .init(proxy: .none)) }

    func json(_ response: HTTPResponse) -> ARMValue { ARMValue(json: response.body) ?? .null }

    @Test func imdsNeedsTheMetadataHeaderAndAnApiVersion() async throws {
        let imds = IMDSEmulator(authority: TokenAuthority())
        imds.register(Self.instance("vmss000000", ip: "10.224.0.4"), forCallerAddress: "127.0.0.1")
        let server = try await imds.start()
        defer { Task { await server.stop() } }
        let http = try client()
        let url = "\(server.url)/metadata/instance?api-version=2021-10-01&format=json"
        let bare = try await http.execute(HTTPRequest(url: url))
        #expect(bare.status == 400)
        #expect(json(bare)["error"]?.stringValue == "Bad request. Required metadata header not specified")
        let noVersion = try await http.execute(HTTPRequest(url: "\(server.url)/metadata/instance", headers: ["Metadata": "true"]))
        #expect(noVersion.status == 400)
        let answer = try await http.execute(HTTPRequest(url: url, headers: ["Metadata": "True"]))
        #expect(answer.status == 200, "\(answer.text)")
        let document = json(answer)
        #expect(document[path: "compute", "osProfile", "computerName"]?.stringValue == "vmss000000")
        #expect(document[path: "compute", "tags"]?.stringValue == "aks-managed-nic-name:nic-vmss000000;aks-managed-poolName:gwpool")
        #expect(document[path: "compute", "vmScaleSetName"]?.stringValue == "aks-gw-12345678-vmss")
        let interface = document[path: "network", "interface"]?.arrayValue?.first
        #expect(interface?[path: "ipv4", "subnet"]?.arrayValue?.first?["prefix"]?.stringValue == "16")
        let lb = try await http.execute(HTTPRequest(url: "\(server.url)/metadata/loadbalancer?api-version=2020-10-01&format=json",
                                                    headers: ["Metadata": "true"]))
        #expect(lb.status == 200)
        #expect(json(lb)[path: "loadbalancer", "publicIpAddresses"] == [])
    }

    @Test func imdsAnswersEachCallerWithItsOwnInstance() async throws {
        let imds = IMDSEmulator(authority: TokenAuthority())
        imds.register(Self.instance("vmss000000", ip: "10.224.0.4"), forCallerAddress: "127.0.0.1")
        imds.register(Self.instance("vmss000001", ip: "10.224.0.5"), forCallerAddress: "::1")
        // A dual-stack listener sees IPv4 callers as ::ffff:127.0.0.1.
        let server = try await imds.start(host: "::")
        defer { Task { await server.stop() } }
        let http = try client()
        func computerName(_ host: String) async throws -> String? {
            let answer = try await http.execute(HTTPRequest(
                url: "http://\(host):\(server.port)/metadata/instance?api-version=2021-10-01", headers: ["Metadata": "true"]))
            return json(answer)[path: "compute", "osProfile", "computerName"]?.stringValue
        }
        #expect(try await computerName("127.0.0.1") == "vmss000000")
        #expect(try await computerName("[::1]") == "vmss000001")
        imds.unregister(callerAddress: "::1")
        let gone = try await http.execute(HTTPRequest(
            url: "http://[::1]:\(server.port)/metadata/instance?api-version=2021-10-01", headers: ["Metadata": "true"]))
        #expect(gone.status == 404)
    }

    @Test func managedIdentityTokensOpenARM() async throws {
        let authority = TokenAuthority()
        let imds = IMDSEmulator(authority: authority)
        let userAssigned = IMDSEmulator.ManagedIdentity(
            clientID: "5c1e0000-0000-4000-8000-0000000000aa",
            resourceID: "/subscriptions/\(Harness.subscription)/resourceGroups/ids/providers/Microsoft.ManagedIdentity/userAssignedIdentities/egress",
            tenant: Self.tenant)
        imds.register(Self.instance("vmss000000", ip: "10.224.0.4", identities: [userAssigned]), forCallerAddress: "127.0.0.1")
        let server = try await imds.start()
        defer { Task { await server.stop() } }
        let http = try client()
        let base = "\(server.url)/metadata/identity/oauth2/token?api-version=2018-02-01&resource=\(Self.management)"
        let unknown = try await http.execute(HTTPRequest(url: base + "&client_id=someone-else", headers: ["Metadata": "true"]))
        #expect(unknown.status == 400 && json(unknown)["error_description"]?.stringValue == "Identity not found")
        let byResource = try await http.execute(HTTPRequest(url: base + "&msi_res_id=\(userAssigned.resourceID!)", headers: ["Metadata": "true"]))
        #expect(json(byResource)["client_id"]?.stringValue == userAssigned.clientID)
        let answer = try await http.execute(HTTPRequest(url: base + "&client_id=\(userAssigned.clientID)", headers: ["Metadata": "true"]))
        #expect(answer.status == 200, "\(answer.text)")
        let token = try #require(json(answer)["access_token"]?.stringValue)
        #expect(json(answer)["expires_on"]?.stringValue != nil)

        try await Harness.with({ $0.tokenAuthority = authority }) { arm in
            let path = Harness.scaleSetPath
            let anonymous = try await arm.get(path, api: Harness.compute)
            #expect(anonymous.status == 401 && anonymous.errorCode == "AuthenticationFailed", "\(anonymous)")
            #expect(anonymous.headers["WWW-Authenticate"]?.hasPrefix("Bearer") == true)
            let forged = try await arm.request(.get, path, api: Harness.compute, headers: [("Authorization", "Bearer x.y.z")])
            #expect(forged.errorCode == "InvalidAuthenticationToken")
            let allowed = try await arm.request(.get, path, api: Harness.compute, headers: [("Authorization", "Bearer \(token)")])
            #expect(allowed.status == 200, "\(allowed)")
            authority.expireAll()
            let expired = try await arm.request(.get, path, api: Harness.compute, headers: [("Authorization", "Bearer \(token)")])
            #expect(expired.status == 401 && expired.errorCode == "ExpiredAuthenticationToken", "\(expired)")
        }
    }

    func tokenRequest(_ url: String, _ form: [(String, String)]) -> HTTPRequest {
        let body = form.map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? $0.1)" }
            .joined(separator: "&")
        return HTTPRequest(method: .post, url: url, headers: ["Content-Type": "application/x-www-form-urlencoded"],
                           body: Array(body.utf8))
    }

    @Test func aadIssuesTokensForSecretsAndAssertions() async throws {
        let authority = TokenAuthority()
        let aad = AADEmulator(authority: authority)
        let app = "0b0e0000-0000-4000-8000-0000000000bb"
        aad.register(clientID: app, tenant: Self.tenant, credential: .secret("s3cret"))
        aad.register(clientID: app, tenant: Self.tenant, credential: .federatedToken("projected-sa-token"))
        let key = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        let name = try DistinguishedName { CommonName("aad-emulator-test") }
        let registered = try Certificate(
            version: .v3, serialNumber: .init(), publicKey: .init(key.publicKey), notValidBefore: Date(),
            notValidAfter: Date().addingTimeInterval(3600), issuer: name, subject: name,
            signatureAlgorithm: .sha256WithRSAEncryption, extensions: .init(), issuerPrivateKey: .init(key))
        let der = try registered.serializeAsPEM().derBytes
        aad.register(clientID: app, tenant: Self.tenant, credential: .certificate(derEncoded: der))
        let server = try await aad.start()
        defer { Task { await server.stop() } }
        let http = try client()
        let url = "\(server.url)/\(Self.tenant)/oauth2/v2.0/token"
        let scope = ("scope", "https://management.core.windows.net//.default")
        let base = [("grant_type", "client_credentials"), ("client_id", app), scope]

        let secret = try await http.execute(tokenRequest(url, base + [("client_secret", "s3cret")]))
        #expect(secret.status == 200, "\(secret.text)")
        let token = json(secret)["access_token"]?.stringValue
        #expect(json(secret)["expires_in"]?.integerValue ?? 0 > 3000)
        #expect(authority.validate(token, audiences: [Self.management]) .map(\.subject) == .success(app))

        let wrong = try await http.execute(tokenRequest(url, base + [("client_secret", "guess")]))
        #expect(wrong.status == 401 && json(wrong)["error"]?.stringValue == "invalid_client")
        #expect(json(wrong)["error_description"]?.stringValue?.hasPrefix("AADSTS7000215") == true)

        let assertionType = ("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
        let federated = try await http.execute(tokenRequest(url, base + [assertionType, ("client_assertion", "projected-sa-token")]))
        #expect(federated.status == 200, "\(federated.text)")

        func segment(_ value: ARMValue) -> String {
            Data(value.jsonBytes).base64EncodedString().replacingOccurrences(of: "=", with: "")
                .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
        }
        let claims: ARMValue = ["iss": .string(app), "sub": .string(app), "aud": .string(url),
                                "exp": .integer(Int64(Date().timeIntervalSince1970) + 600)]
        let thumbprint = Data(Insecure.SHA1.hash(data: der)).base64EncodedString().replacingOccurrences(of: "=", with: "")
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
        let signingInput = "\(segment(["alg": "RS256", "x5t": .string(thumbprint)])).\(segment(claims))"
        let signature = try key.signature(for: SHA256.hash(data: Data(signingInput.utf8)), padding: .insecurePKCS1v1_5)
        let signed = signingInput + "." + Data(signature.rawRepresentation).base64EncodedString()
            .replacingOccurrences(of: "=", with: "").replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
        let certificate = try await http.execute(tokenRequest(url, base + [assertionType, ("client_assertion", signed)]))
        #expect(certificate.status == 200, "\(certificate.text)")
        let forged = "\(signingInput).c2lnbmF0dXJl"
        let refused = try await http.execute(tokenRequest(url, base + [assertionType, ("client_assertion", forged)]))
        #expect(refused.status == 401 && json(refused)["error_description"]?.stringValue?.contains("invalid signature") == true)
        let otherCertificate = "\(segment(["alg": "RS256", "x5t": "other"])).\(segment(claims)).c2lnbmF0dXJl"
        #expect(try await http.execute(tokenRequest(url, base + [assertionType, ("client_assertion", otherCertificate)])).status == 401)
        #expect(aad.requestLog.filter { $0.hasSuffix("→ 200") }.count == 3)

        let otherTenant = try await http.execute(tokenRequest("\(server.url)/other-tenant/oauth2/v2.0/token",
                                                             base + [("client_secret", "s3cret")]))
        #expect(json(otherTenant)["error"]?.stringValue == "unauthorized_client")
        let badScope = try await http.execute(tokenRequest(url, [("grant_type", "client_credentials"), ("client_id", app),
                                                                 ("scope", "https://management.core.windows.net/"), ("client_secret", "s3cret")]))
        #expect(json(badScope)["error"]?.stringValue == "invalid_scope")
    }
}
