import Azure
import Foundation
import HTTPClient
import Logging

enum HTTPClientFactory {
    static func plain() throws -> HTTPClient { try HTTPClient(configuration: .init(proxy: .none)) }
}

/// A credential that hands out one fixed token.
struct FixedCredential: TokenCredential {
    var value = "fixed-arm-token"
    func token() async throws(CredentialError) -> AccessToken { AccessToken(token: value, expiresOn: .distantFuture) }
    var description: String { "fixed test token" }
}

extension ARMClient {
    /// A client for a local server, with retries, polling and throttling fast enough for tests.
    static func local(_ url: String, retries: Int = 2, rateLimit: RateLimitSettings? = nil, logger: Logger? = nil) throws -> ARMClient {
        let environment = AzureEnvironment(name: "test", resourceManagerEndpoint: url, authorityHost: url, tokenAudience: "https://management.core.windows.net/")
        let configuration = ARMClient.Configuration(
            subscriptionID: "sub", backoff: .quick(retries: retries), rateLimit: rateLimit, userAgent: "egressgw-test",
            pollInterval: .milliseconds(1), operationTimeout: .seconds(60))
        return ARMClient(environment: environment, credential: FixedCredential(), http: try HTTPClientFactory.plain(),
                         configuration: configuration, logger: logger ?? Logger(label: "test"))
    }
}
