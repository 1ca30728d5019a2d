import HTTPClient

/// A service principal proving itself with a client secret (client-credentials grant).
public struct ClientSecretCredential: TokenCredential {
    private let endpoint: AADTokenEndpoint
    private let secret: String

    public init(environment: AzureEnvironment, tenantID: String, clientID: String, secret: String, http: HTTPClient) {
        endpoint = AADTokenEndpoint(environment: environment, tenantID: tenantID, clientID: clientID, http: http)
        self.secret = secret
    }

    public func token() async throws(CredentialError) -> AccessToken {
        try await endpoint.requestToken(proof: [("client_secret", secret)])
    }

    public var description: String { "service principal \(endpoint.clientID) (client secret <redacted>)" }
}
