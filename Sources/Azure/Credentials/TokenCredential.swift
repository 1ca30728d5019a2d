import Foundation
import HTTPClient

/// An OAuth access token for ARM and when it stops being valid. Its description never shows the token.
public struct AccessToken: Sendable, Equatable, CustomStringConvertible {
    public var token: String
    public var expiresOn: Date

    public init(token: String, expiresOn: Date) {
        self.token = token
        self.expiresOn = expiresOn
    }

    public var description: String { "access token <redacted>, expires \(expiresOn)" }
}

/// A source of ARM access tokens. Implementations fetch a new token on every call; wrap them in
/// ``CachingCredential`` to reuse tokens until shortly before they expire.
public protocol TokenCredential: Sendable, CustomStringConvertible {
    func token() async throws(CredentialError) -> AccessToken
}

/// Why no token could be obtained. Messages name the endpoint or file and never contain a secret or token.
public enum CredentialError: Error, Sendable, CustomStringConvertible {
    /// The configuration selects no credential, or an incomplete one.
    case notConfigured(String)
    /// The federated token file (workload identity) cannot be read or is empty.
    case tokenFile(path: String, reason: String)
    /// The certificate file cannot be read or holds no usable certificate and RSA key.
    case certificate(path: String, reason: String)
    /// The token endpoint could not be reached.
    case unreachable(url: String, cause: HTTPClientError)
    /// The token endpoint refused: AAD's error code and description (which never echo the secret).
    case rejected(url: String, status: Int, code: String, message: String)
    /// The answer carries no usable token.
    case malformed(url: String, detail: String)
    /// Managed identity: the IMDS token endpoint failed.
    case managedIdentity(IMDSError)

    public var description: String {
        switch self {
        case .notConfigured(let reason): "no Azure credential: \(reason)"
        case .tokenFile(let path, let reason): "federated token file \(path): \(reason)"
        case .certificate(let path, let reason): "client certificate \(path): \(reason)"
        case .unreachable(let url, let cause): "token endpoint \(url) unreachable: \(cause)"
        case .rejected(let url, let status, let code, let message): "token endpoint \(url) answered \(status) \(code): \(message)"
        case .malformed(let url, let detail): "token endpoint \(url): unreadable answer: \(detail)"
        case .managedIdentity(let error): "managed identity: \(error)"
        }
    }
}

/// The AAD v2 token endpoint of a tenant, shared by the client-credential flows (secret, certificate, workload
/// identity): they differ only in how the client proves who it is.
struct AADTokenEndpoint: Sendable {
    let url: String
    let clientID: String
    let scope: String
    let http: HTTPClient

    init(environment: AzureEnvironment, tenantID: String, clientID: String, http: HTTPClient) {
        url = environment.authorityHost + tenantID + "/oauth2/v2.0/token"
        self.clientID = clientID
        scope = environment.scope
        self.http = http
    }

    /// POSTs the client-credentials grant with `proof` (the secret or assertion parameters).
    func requestToken(proof: [(String, String)]) async throws(CredentialError) -> AccessToken {
        let form = [("grant_type", "client_credentials"), ("client_id", clientID), ("scope", scope)] + proof
        let request = HTTPRequest(
            method: .post, url: url, headers: ["Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"],
            body: Array(formEncode(form).utf8))
        let response: HTTPResponse
        do {
            response = try await http.execute(request)
        } catch {
            throw .unreachable(url: url, cause: error)
        }
        let object = (try? JSONSerialization.jsonObject(with: Data(response.body))) as? [String: Any]
        guard response.status == 200 else {
            throw .rejected(url: url, status: response.status, code: object?["error"] as? String ?? "",
                            message: (object?["error_description"] as? String)?.firstLine ?? "")
        }
        return try parseTokenAnswer(object, url: url)
    }
}

/// Reads `access_token` and the expiry from an AAD or IMDS answer. `expires_on` (epoch seconds, IMDS) wins over
/// `expires_in` (seconds from now, AAD v2); both may come as strings or numbers.
func parseTokenAnswer(_ object: [String: Any]?, url: String, now: Date = Date()) throws(CredentialError) -> AccessToken {
    guard let object, let token = object["access_token"] as? String, !token.isEmpty else {
        throw .malformed(url: url, detail: "no access_token")
    }
    func seconds(_ key: String) -> Double? {
        switch object[key] {
        case let text as String: Double(text)
        case let number as NSNumber: number.doubleValue
        default: nil
        }
    }
    if let epoch = seconds("expires_on") { return AccessToken(token: token, expiresOn: Date(timeIntervalSince1970: epoch)) }
    if let lifetime = seconds("expires_in") { return AccessToken(token: token, expiresOn: now.addingTimeInterval(lifetime)) }
    throw .malformed(url: url, detail: "no expires_on or expires_in")
}

extension String {
    /// AAD descriptions carry trace and correlation IDs on later lines; the first line is the reason.
    var firstLine: String { String(split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false).first ?? "") }
}
