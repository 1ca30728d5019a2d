/// Why a request failed. HTTP error statuses (404, 500, ...) are not errors: they arrive as responses.
///
/// Every case that concerns a request names its URL; `detail` is libcurl's own explanation
/// (its error buffer), which says which address, port or certificate was involved.
public enum HTTPClientError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The URL does not parse, or is not `http`/`https`.
    case invalidURL(String, reason: String)
    /// The request cannot be sent as given (a malformed method or header).
    case invalidRequest(url: String, reason: String)
    /// A file named by the configuration (CA bundle, client certificate or key, token) cannot be read.
    case fileNotReadable(path: String, reason: String)
    /// The bearer-token provider failed.
    case credentials(url: String, detail: String)
    /// The host name (or the proxy's) did not resolve.
    case couldNotResolve(url: String, detail: String)
    /// Nothing accepted the connection (refused, unreachable, or a missing unix socket).
    case couldNotConnect(url: String, detail: String)
    /// The proxy refused or broke the tunnel.
    case proxy(url: String, detail: String)
    /// The TLS handshake failed: untrusted or mismatched server certificate, rejected client certificate, ...
    case tls(url: String, detail: String)
    /// A limit of ``HTTPTimeouts`` ran out; `after` is that limit.
    case timedOut(url: String, after: Duration, detail: String)
    /// The connection broke after it was established (reset, closed early, malformed response).
    case connectionLost(url: String, detail: String)
    /// The response body exceeded the configured limit (or a streamed line its maximum length).
    case responseTooLarge(url: String, limit: Int)
    /// The calling task was cancelled, or the streamed body was abandoned; the transfer was aborted.
    case cancelled(url: String)
    /// The client was deallocated while the request was in flight.
    case clientShutDown(url: String)
    /// Any other libcurl failure, with its `CURLcode`.
    case transfer(url: String, code: Int, detail: String)

    public var description: String {
        switch self {
        case .invalidURL(let url, let reason): "invalid URL \"\(url)\": \(reason)"
        case .invalidRequest(let url, let reason): "request to \(url): invalid: \(reason)"
        case .fileNotReadable(let path, let reason): "cannot read \(path): \(reason)"
        case .credentials(let url, let detail): "request to \(url): cannot get a bearer token: \(detail)"
        case .couldNotResolve(let url, let detail): "request to \(url): could not resolve host: \(detail)"
        case .couldNotConnect(let url, let detail): "request to \(url): could not connect: \(detail)"
        case .proxy(let url, let detail): "request to \(url): proxy failed: \(detail)"
        case .tls(let url, let detail): "request to \(url): TLS failed: \(detail)"
        case .timedOut(let url, let after, let detail): "request to \(url): timed out after \(after): \(detail)"
        case .connectionLost(let url, let detail): "request to \(url): connection lost: \(detail)"
        case .responseTooLarge(let url, let limit): "request to \(url): response exceeds \(limit) bytes"
        case .cancelled(let url): "request to \(url): cancelled"
        case .clientShutDown(let url): "request to \(url): HTTP client shut down"
        case .transfer(let url, let code, let detail): "request to \(url): curl error \(code): \(detail)"
        }
    }
}
