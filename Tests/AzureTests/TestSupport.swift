import Azure
import Foundation
import HTTPClient
import Logging
import Synchronization

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

/// A counter shared between a scripted answer and the test.
final class Counter: Sendable {
    private let value = Mutex(0)
    /// Adds one and returns the new count.
    func next() -> Int { value.withLock { $0 += 1; return $0 } }
    var current: Int { value.withLock { $0 } }
    func reset() { value.withLock { $0 = 0 } }
}

/// Backoff fast enough for tests (the policy's shape is what is under test, not its durations).
extension Azure.Backoff {
    static func quick(retries: Int) -> Self { Self(initial: .milliseconds(1), maximum: .milliseconds(5), jitter: 0, retries: retries) }
}

/// A local port nothing listens on: bound, then closed.
func refusedPort() -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
    }
    _ = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
    }
    return Int(UInt16(bigEndian: address.sin_port))
}
