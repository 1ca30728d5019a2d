import Foundation
import HTTPClient

/// Workload identity: the projected service-account token in `tokenFile` is the client assertion of the
/// client-credentials grant. The file is read on every request because the kubelet rotates it.
public struct WorkloadIdentityCredential: TokenCredential {
    public let tokenFile: String
    private let endpoint: AADTokenEndpoint

    public init(environment: AzureEnvironment, tenantID: String, clientID: String, tokenFile: String, http: HTTPClient) {
        endpoint = AADTokenEndpoint(environment: environment, tenantID: tenantID, clientID: clientID, http: http)
        self.tokenFile = tokenFile
    }

    public func token() async throws(CredentialError) -> AccessToken {
        let assertion: String
        do {
            assertion = try String(contentsOfFile: tokenFile, encoding: .utf8).trimmingWhitespace
        } catch {
            throw .tokenFile(path: tokenFile, reason: (error as NSError).localizedDescription)
        }
        guard !assertion.isEmpty else { throw .tokenFile(path: tokenFile, reason: "empty") }
        return try await endpoint.requestToken(proof: [
            ("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"),
            ("client_assertion", assertion),
        ])
    }

    public var description: String { "workload identity \(endpoint.clientID) (token file \(tokenFile))" }
}
