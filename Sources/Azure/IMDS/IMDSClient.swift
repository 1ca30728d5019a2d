import Foundation
import HTTPClient
import Logging

/// Reads the Azure Instance Metadata Service from inside a VM.
///
/// Every request carries `Metadata: true` (IMDS refuses requests without it, which keeps forwarded requests out) and
/// goes straight to the link-local address, never through a proxy. Answers IMDS gives while the VM agent starts or
/// while it throttles (410, 429, 5xx) and connection failures are retried with backoff; anything else fails at once.
public struct IMDSClient: Sendable {
    /// The link-local IMDS address on every Azure VM.
    public static let defaultEndpoint = "http://169.254.169.254"
    /// The api-versions the Go daemon uses, so both read the same document schema.
    public static let instanceAPIVersion = "2021-10-01"
    public static let loadBalancerAPIVersion = "2020-10-01"

    public let endpoint: String
    public let backoff: Backoff
    public let userAgent: String
    private let http: HTTPClient
    private let logger: Logger

    /// - Parameter endpoint: the IMDS base URL; tests and the sandbox point it at an emulator.
    public init(
        endpoint: String = IMDSClient.defaultEndpoint,
        backoff: Backoff = .imds,
        userAgent: String = "egressgw",
        logger: Logger = Logger(label: "azure.imds")
    ) throws(IMDSError) {
        do {
            // IMDS answers in milliseconds; a short timeout turns a black-holed address into a retry, not a hang.
            let configuration = HTTPClient.Configuration(
                proxy: .none, timeouts: HTTPTimeouts(connect: .seconds(2), total: .seconds(10)))
            self.init(http: try HTTPClient(configuration: configuration), endpoint: endpoint, backoff: backoff,
                      userAgent: userAgent, logger: logger)
        } catch {
            throw IMDSError.unreachable(url: endpoint, attempts: 0, cause: error)
        }
    }

    /// Uses `http`, which must not route through a proxy.
    public init(http: HTTPClient, endpoint: String, backoff: Backoff, userAgent: String = "egressgw", logger: Logger) {
        self.http = http
        self.endpoint = endpoint.hasSuffix("/") ? String(endpoint.dropLast()) : endpoint
        self.backoff = backoff
        self.userAgent = userAgent
        self.logger = logger
    }

    /// The instance document: identity, location, tags and network of this VM.
    public func instance() async throws(IMDSError) -> InstanceMetadata {
        try await document("/metadata/instance", apiVersion: Self.instanceAPIVersion)
    }

    /// The load-balancer document: the public frontends mapped to this VM.
    public func loadBalancer() async throws(IMDSError) -> LoadBalancerMetadata {
        try await document("/metadata/loadbalancer", apiVersion: Self.loadBalancerAPIVersion)
    }

    /// GET `path` with the IMDS header and retry policy; returns the body of a 200 answer.
    /// Shared with the managed-identity credential, whose token endpoint lives on IMDS too.
    func get(_ path: String, query: [(String, String)]) async throws(IMDSError) -> [UInt8] {
        let url = endpoint + path + "?" + formEncode(query)
        let request = HTTPRequest(url: url, headers: ["Metadata": "true", "User-Agent": userAgent])
        var attempt = 0
        while true {
            attempt += 1
            let outcome: Result<HTTPResponse, HTTPClientError>
            do { outcome = .success(try await http.execute(request)) } catch { outcome = .failure(error) }
            let failure: IMDSError
            switch outcome {
            case .success(let response):
                if response.status == 200 { return response.body }
                failure = .status(url: url, status: response.status, body: response.text)
                guard Self.retriedStatuses.contains(response.status) else { throw failure }
            case .failure(let error):
                failure = .unreachable(url: url, attempts: attempt, cause: error)
                if case .cancelled = error { throw failure }
            }
            guard attempt <= backoff.retries else { throw failure }
            let delay = backoff.delay(beforeRetry: attempt)
            logger.debug("retrying IMDS request", metadata: ["url": "\(url)", "error": "\(failure)", "delay": "\(delay)"])
            do { try await Task.sleep(for: delay) } catch { throw failure }
        }
    }

    private func document<T: Decodable>(_ path: String, apiVersion: String) async throws(IMDSError) -> T {
        let body = try await get(path, query: [("api-version", apiVersion), ("format", "json")])
        do {
            return try JSONDecoder().decode(T.self, from: Data(body))
        } catch {
            throw IMDSError.malformed(url: endpoint + path, detail: "\(error)")
        }
    }

    /// 404 is included because the managed-identity endpoint answers it while the identity is being assigned.
    private static let retriedStatuses: Set<Int> = [404, 410, 429, 500, 502, 503, 504]
}

/// Why an IMDS request failed. Each case names the URL.
public enum IMDSError: Error, Sendable, CustomStringConvertible {
    /// No answer: connection refused or timed out, after `attempts` tries.
    case unreachable(url: String, attempts: Int, cause: HTTPClientError)
    /// IMDS answered with a status other than 200 (the last answer when retries ran out).
    case status(url: String, status: Int, body: String)
    /// The answer is not the expected JSON document.
    case malformed(url: String, detail: String)

    public var description: String {
        switch self {
        case .unreachable(let url, let attempts, let cause):
            "IMDS \(url) unreachable after \(attempts) attempt(s): \(cause)"
        case .status(let url, let status, let body):
            "IMDS \(url) answered \(status): \(body.prefix(512))"
        case .malformed(let url, let detail):
            "IMDS \(url) returned an unreadable document: \(detail)"
        }
    }
}
