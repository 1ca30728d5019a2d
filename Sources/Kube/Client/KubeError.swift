import Foundation
import HTTPClient

/// A request the API server answered with an error status: what was asked, where, and the decoded `Status`.
public struct KubeAPIError: Sendable, Hashable, CustomStringConvertible {
    /// `GET`, `PUT`...
    public var method: String
    public var url: String
    /// The HTTP status code.
    public var code: Int
    /// The `Status` body, or one made from the status line when the body was not a `Status`.
    public var status: Status
    /// How long the server asked to wait (the `Retry-After` header or `details.retryAfterSeconds`).
    public var retryAfter: Duration?

    public init(method: String, url: String, code: Int, status: Status, retryAfter: Duration? = nil) {
        self.method = method
        self.url = url
        self.code = code
        self.status = status
        self.retryAfter = retryAfter
    }

    /// For `Invalid`: one cause per rejected field.
    public var causes: [StatusCause] { status.details?.causes ?? [] }

    public var description: String {
        let message = status.message.isEmpty ? status.reason.rawValue : status.message
        return "\(method) \(url): \(code) \(status.reason.rawValue.isEmpty ? "error" : status.reason.rawValue): \(message)"
    }
}

/// Why a Kubernetes API request failed. API answers are sorted by their `Status.reason` (falling back to the HTTP
/// status code) into the cases callers branch on; everything else says which URL failed and how.
public enum KubeError: Error, Sendable, CustomStringConvertible {
    /// 404: the object (or the resource, or the namespace) does not exist.
    case notFound(KubeAPIError)
    /// 409 on create: an object of that name exists.
    case alreadyExists(KubeAPIError)
    /// 409: the object changed since it was read (stale `resourceVersion`) or a precondition failed.
    case conflict(KubeAPIError)
    /// 422: the object was rejected; `causes` names each field.
    case invalid(KubeAPIError)
    /// 400 for a malformed request (bad selector, undecodable body).
    case badRequest(KubeAPIError)
    /// 403: authenticated but not allowed.
    case forbidden(KubeAPIError)
    /// 401: the credentials were rejected.
    case unauthorized(KubeAPIError)
    /// 429: throttled; `retryAfter` says how long to wait.
    case tooManyRequests(KubeAPIError)
    /// The server could not finish in time (`ServerTimeout`, `Timeout`, 504); retrying is safe.
    case serverTimeout(KubeAPIError)
    /// 410: the requested `resourceVersion` (or continue token) is too old; list again.
    case gone(KubeAPIError)
    /// Any other error status (500, 405, 415...).
    case api(KubeAPIError)
    /// A successful status whose body is not what the request expects (not JSON, another kind).
    case unexpectedResponse(method: String, url: String, code: Int, detail: String)
    /// The server could not be reached, or the connection broke.
    case transport(HTTPClientError)
    /// Credentials could not be obtained (an exec plugin failed).
    case credentials(KubeConfigError)
    /// The request cannot be made as asked (no namespace for a namespaced object, an unencodable body).
    case invalidRequest(String)

    /// The API answer, for the cases that have one.
    public var apiError: KubeAPIError? {
        switch self {
        case .notFound(let error), .alreadyExists(let error), .conflict(let error), .invalid(let error),
             .badRequest(let error), .forbidden(let error), .unauthorized(let error), .tooManyRequests(let error),
             .serverTimeout(let error), .gone(let error), .api(let error):
            error
        case .unexpectedResponse, .transport, .credentials, .invalidRequest:
            nil
        }
    }

    public var isNotFound: Bool { if case .notFound = self { true } else { false } }
    public var isAlreadyExists: Bool { if case .alreadyExists = self { true } else { false } }
    public var isConflict: Bool { if case .conflict = self { true } else { false } }
    public var isGone: Bool { if case .gone = self { true } else { false } }

    /// How long the server asked to wait before retrying, if it said.
    public var retryAfter: Duration? { apiError?.retryAfter }

    /// Whether the same request may succeed later: throttling, timeouts, 5xx, and broken connections.
    public var isTransient: Bool {
        switch self {
        case .tooManyRequests, .serverTimeout: return true
        case .api(let error): return error.code >= 500
        case .transport(let error):
            switch error {
            case .couldNotConnect, .couldNotResolve, .connectionLost, .timedOut, .proxy: return true
            default: return false
            }
        default: return false
        }
    }

    public var description: String {
        switch self {
        case .notFound(let error), .alreadyExists(let error), .conflict(let error), .badRequest(let error),
             .forbidden(let error), .unauthorized(let error), .serverTimeout(let error), .gone(let error),
             .api(let error):
            return error.description
        case .invalid(let error):
            // The API server's message already lists the causes; list them when a server did not.
            guard !error.causes.isEmpty, !error.status.message.contains(error.causes[0].field) else {
                return error.description
            }
            return error.description + " [" + error.causes.map { "\($0.field): \($0.message)" }.joined(separator: ", ") + "]"
        case .tooManyRequests(let error):
            return error.description + (error.retryAfter.map { " (retry after \($0))" } ?? "")
        case .unexpectedResponse(let method, let url, let code, let detail):
            return "\(method) \(url): unexpected \(code) answer: \(detail)"
        case .transport(let error):
            return error.description
        case .credentials(let error):
            return error.description
        case .invalidRequest(let detail):
            return detail
        }
    }
}

extension KubeError {
    /// Sorts an API answer into its case: by `reason` when the server gave one, else by the status code.
    static func classify(_ error: KubeAPIError) -> KubeError {
        switch error.status.reason {
        case .notFound: return .notFound(error)
        case .alreadyExists: return .alreadyExists(error)
        case .conflict: return .conflict(error)
        case .invalid: return .invalid(error)
        case .badRequest: return .badRequest(error)
        case .forbidden: return .forbidden(error)
        case .unauthorized: return .unauthorized(error)
        case .tooManyRequests: return .tooManyRequests(error)
        case .serverTimeout, .timeout: return .serverTimeout(error)
        case .gone, .expired: return .gone(error)
        default: break
        }
        switch error.code {
        case 400: return .badRequest(error)
        case 401: return .unauthorized(error)
        case 403: return .forbidden(error)
        case 404: return .notFound(error)
        case 409: return .conflict(error)
        case 410: return .gone(error)
        case 422: return .invalid(error)
        case 429: return .tooManyRequests(error)
        case 504: return .serverTimeout(error)
        default: return .api(error)
        }
    }

    /// The error for a non-2xx answer: its `Status` body decoded, or a `Status` made from the code and the start of
    /// a body that is not one (an HTML error page from a proxy).
    static func from(method: String, url: String, code: Int, headers: HTTPHeaders, body: [UInt8]) -> KubeError {
        var status: Status
        if let decoded = try? JSONCoding.decoder.decode(Status.self, from: Data(body)), decoded.code != 0 || !decoded.message.isEmpty || !decoded.reason.rawValue.isEmpty {
            status = decoded
        } else {
            let text = String(decoding: body.prefix(256), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            status = Status(code: Int32(code), reason: StatusReason(rawValue: ""),
                            message: text.isEmpty ? "no error details in the answer" : "non-Status answer: \(text)")
        }
        if status.code == 0 { status.code = Int32(code) }
        var retryAfter: Duration?
        if let header = headers["retry-after"], let seconds = Int(header.trimmingCharacters(in: .whitespaces)) {
            retryAfter = .seconds(seconds)
        } else if let seconds = status.details?.retryAfterSeconds, seconds > 0 {
            retryAfter = .seconds(Int(seconds))
        }
        return classify(KubeAPIError(method: method, url: url, code: code, status: status, retryAfter: retryAfter))
    }
}
