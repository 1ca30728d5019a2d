import Crypto
import Foundation
import Hummingbird
import Synchronization
import X509
import _CryptoExtras

/// The Azure AD (Entra ID) v2 token endpoint for the client-credentials flows of service principals and workload
/// identity: `POST /{tenant}/oauth2/v2.0/token` with a client secret or a client assertion.
public final class AADEmulator: Sendable {
    /// How an application proves who it is.
    public enum Credential: Sendable, Equatable {
        case secret(String)
        /// A federated token (workload identity: the projected service-account token) accepted as assertion.
        case federatedToken(String)
        /// A certificate (DER) whose key signs client assertions: the assertion names it by its `x5t` (SHA-1
        /// thumbprint) header and must carry a valid RS256 signature by its key, as AAD checks.
        case certificate(derEncoded: [UInt8])

        /// The base64url SHA-1 thumbprint of a registered certificate.
        var thumbprint: String? {
            guard case .certificate(let der) = self else { return nil }
            return TokenAuthority.base64URL(Array(Insecure.SHA1.hash(data: der)))
        }
    }

    struct Application: Sendable {
        var tenant: String
        var credentials: [Credential]
    }

    public let authority: TokenAuthority
    private let applications = Mutex<[String: Application]>([:])
    private let requests = Mutex<[String]>([])

    public init(authority: TokenAuthority) {
        self.authority = authority
    }

    /// Registers (or extends) application `clientID` in `tenant`.
    public func register(clientID: String, tenant: String, credential: Credential) {
        applications.withLock { apps in
            let key = clientID.lowercased()
            var app = apps[key] ?? Application(tenant: tenant, credentials: [])
            app.credentials.append(credential)
            apps[key] = app
        }
    }

    public func run(host: String = "127.0.0.1", port: Int = 0, onListening: @escaping @Sendable (Int) async -> Void = { _ in })
        async throws
    {
        let app = Hummingbird.Application(
            responder: AADServer(aad: self), configuration: ApplicationConfiguration(address: .hostname(host, port: port)),
            onServerRunning: { channel in await onListening(channel.localAddress?.port ?? port) },
            logger: IMDSEmulator.quietLogger)
        try await app.run()
    }

    public func start(host: String = "127.0.0.1", port: Int = 0) async throws -> RunningServer {
        try await RunningServer.start(host: host, port: port, scheme: "http") { [self] ready in
            try await run(host: host, port: port, onListening: ready)
        }
    }

    func application(_ clientID: String) -> Application? { applications.withLock { $0[clientID.lowercased()] } }

    /// `TENANT CLIENT-ID → status` of every token request so far, for tests that count token fetches.
    public var requestLog: [String] { requests.withLock { $0 } }

    func record(_ line: String) { requests.withLock { $0.append(line) } }
}

/// The HTTP face of the AAD emulator, with AAD's error shapes (`error`, `error_description` with an AADSTS
/// code, `error_codes`).
struct AADServer: HTTPResponder {
    typealias Context = PeerRequestContext

    let aad: AADEmulator

    static let assertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

    func respond(to request: Request, context: PeerRequestContext) async throws -> Response {
        var request = request
        let body = (try? await request.collectBody(upTo: 1 << 20)).map { String(buffer: $0) } ?? ""
        let form = Self.parseForm(body)
        let answer = answer(request, form: form)
        let tenant = request.uri.path.split(separator: "/").first.map(String.init) ?? ""
        aad.record("\(tenant) \(form["client_id"] ?? "") → \(answer.status)")
        return answer.response
    }

    private func refuse(_ error: String, _ code: Int, _ description: String, status: Int = 400) -> Answer {
        Answer(status: status, body: [
            "error": .string(error), "error_description": .string("AADSTS\(code): \(description)"),
            "error_codes": [.integer(Int64(code))],
        ])
    }

    private func answer(_ request: Request, form: [String: String]) -> Answer {
        let segments = request.uri.path.split(separator: "/").map(String.init)
        guard segments.count == 4, segments[1...] == ["oauth2", "v2.0", "token"] else {
            return Answer(status: 404, body: ["error": "not_found"])
        }
        guard request.method == .post else { return refuse("invalid_request", 900561, "The endpoint only accepts POST requests.") }
        let tenant = segments[0]
        guard form["grant_type"] == "client_credentials" else {
            return refuse("unsupported_grant_type", 70003, "The app requested an unsupported grant type '\(form["grant_type"] ?? "")'.")
        }
        guard let clientID = form["client_id"], !clientID.isEmpty else {
            return refuse("invalid_request", 900144, "The request body must contain the following parameter: 'client_id'.")
        }
        guard let scope = form["scope"], scope.hasSuffix("/.default") else {
            return refuse("invalid_scope", 1002012, "The provided value for scope \(form["scope"] ?? "") is not valid. "
                + "Client credential flows must have a scope value with /.default suffixed to the resource identifier.")
        }
        guard let app = aad.application(clientID), app.tenant.caseInsensitiveCompare(tenant) == .orderedSame else {
            return refuse("unauthorized_client", 700016, "Application with identifier '\(clientID)' was not found in the "
                + "directory '\(tenant)'.")
        }
        if let secret = form["client_secret"] {
            guard app.credentials.contains(.secret(secret)) else {
                return refuse("invalid_client", 7000215, "Invalid client secret provided. Ensure the secret being sent in "
                    + "the request is the client secret value, not the client secret ID, for a secret added to app '\(clientID)'.",
                    status: 401)
            }
        } else if let assertion = form["client_assertion"] {
            guard form["client_assertion_type"] == Self.assertionType else {
                return refuse("invalid_request", 50027, "client_assertion_type must be \(Self.assertionType).")
            }
            if let problem = checkAssertion(assertion, app: app, clientID: clientID) {
                return refuse("invalid_client", 700027, problem, status: 401)
            }
        } else {
            return refuse("invalid_client", 7000218, "The request body must contain the following parameter: "
                + "'client_assertion' or 'client_secret'.", status: 401)
        }
        let audience = String(scope.dropLast("/.default".count)) + "/"
        let (token, grant) = aad.authority.issue(subject: clientID, tenant: tenant, audience: audience)
        let seconds = Int64(grant.expiresAt.timeIntervalSinceNow.rounded(.down))
        return Answer(status: 200, body: [
            "token_type": "Bearer", "expires_in": .integer(seconds), "ext_expires_in": .integer(seconds),
            "access_token": .string(token),
        ])
    }

    /// Why an assertion is not accepted, or nil.
    private func checkAssertion(_ assertion: String, app: AADEmulator.Application, clientID: String) -> String? {
        if app.credentials.contains(.federatedToken(assertion)) { return nil }
        let parts = assertion.split(separator: ".").map(String.init)
        guard parts.count == 3, let header = Self.decodeSegment(parts[0]), let claims = Self.decodeSegment(parts[1]) else {
            return "Client assertion is not a valid JWT and matches no federated credential of app '\(clientID)'."
        }
        guard let thumbprint = header["x5t"]?.stringValue,
              case .certificate(let der)? = app.credentials.first(where: { $0.thumbprint == thumbprint })
        else { return "Client assertion contains an invalid signature: no certificate of app '\(clientID)' has that thumbprint." }
        guard header["alg"]?.stringValue == "RS256", Self.verifyRS256(parts, certificate: der) else {
            return "Client assertion contains an invalid signature: it is not an RS256 signature by the key of the "
                + "certificate with thumbprint '\(thumbprint)'."
        }
        guard claims["iss"]?.stringValue == clientID, claims["sub"]?.stringValue == clientID else {
            return "Client assertion must have iss and sub equal to the client ID '\(clientID)'."
        }
        guard let expiry = claims["exp"]?.integerValue, Double(expiry) > Date().timeIntervalSince1970 else {
            return "Client assertion has expired."
        }
        guard claims["aud"]?.stringValue?.hasSuffix("/oauth2/v2.0/token") == true else {
            return "Client assertion audience must be the token endpoint."
        }
        return nil
    }

    static func decodeSegment(_ segment: String) -> ARMValue? {
        decodeBase64URL(segment).flatMap { ARMValue(json: Array($0)) }
    }

    static func decodeBase64URL(_ segment: String) -> Data? {
        var text = segment.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while text.count % 4 != 0 { text += "=" }
        return Data(base64Encoded: text)
    }

    /// Whether the JWT's third part is a PKCS#1 v1.5 SHA-256 signature of its first two by the certificate's key.
    static func verifyRS256(_ parts: [String], certificate der: [UInt8]) -> Bool {
        guard let certificate = try? Certificate(derEncoded: der), let key = _RSA.Signing.PublicKey(certificate.publicKey),
              let signature = decodeBase64URL(parts[2])
        else { return false }
        let signed = SHA256.hash(data: Data((parts[0] + "." + parts[1]).utf8))
        return key.isValidSignature(_RSA.Signing.RSASignature(rawRepresentation: signature), for: signed, padding: .insecurePKCS1v1_5)
    }

    static func parseForm(_ body: String) -> [String: String] {
        var form: [String: String] = [:]
        for pair in body.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1).map {
                String($0).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String($0)
            }
            form[parts[0]] = parts.count > 1 ? parts[1] : ""
        }
        return form
    }
}
