import HTTPClient

/// Why an ARM call failed. Every case names the method and URL; ARM's own error code and message are kept.
public enum ARMError: Error, Sendable, CustomStringConvertible {
    /// ARM answered with an error status and (usually) its `{"error":{"code","message"}}` envelope.
    case response(method: String, url: String, status: Int, code: String, message: String)
    /// 412: the resource changed since it was read (its ETag no longer matches `If-Match`). Read it again and redo
    /// the change; never retry the same body.
    case preconditionFailed(method: String, url: String, code: String, message: String)
    /// A long-running operation ended `Failed` or `Canceled`.
    case operationFailed(method: String, url: String, status: String, code: String, message: String)
    /// ARM throttled this class of calls (429) until `until`; the call was not sent.
    case throttled(method: String, url: String, retryAfter: Duration)
    /// ARM kept answering a retried status (503, 500, ...) and its last answer said when to come back
    /// (`Retry-After`): the client gave up, the caller should wait that long rather than its own backoff.
    case unavailable(method: String, url: String, status: Int, code: String, message: String, retryAfter: Duration)
    /// The client-side token bucket is empty; the call was not sent.
    case rateLimited(method: String, url: String)
    /// No answer: the connection failed or timed out (after the retries).
    case transport(method: String, url: String, cause: HTTPClientError)
    /// No token for the request.
    case credential(CredentialError)
    /// The answer is not what ARM sends: unparsable JSON, a missing field, a polling URL on another host.
    case malformed(method: String, url: String, detail: String)

    /// 404: the resource (or its resource group) does not exist.
    public var isNotFound: Bool {
        if case .response(_, _, 404, _, _) = self { return true }
        return false
    }

    /// How long ARM asked the caller to wait before trying again (429, or a retried status it gave up on); zero
    /// after a 412, whose remedy is an immediate fresh read; nil when ARM said nothing.
    public var retryAfter: Duration? {
        switch self {
        case .throttled(_, _, let retryAfter), .unavailable(_, _, _, _, _, let retryAfter): retryAfter
        case .preconditionFailed: .zero
        default: nil
        }
    }

    /// The ARM error code (`ResourceNotFound`, `InUsePublicIpPrefixCannotBeDeleted`, ...), if ARM gave one.
    public var code: String? {
        switch self {
        case .response(_, _, _, let code, _), .preconditionFailed(_, _, let code, _), .operationFailed(_, _, _, let code, _),
             .unavailable(_, _, _, let code, _, _): code
        default: nil
        }
    }

    public var description: String {
        switch self {
        case .response(let method, let url, let status, let code, let message):
            "\(method) \(url): \(status) \(code): \(message)"
        case .preconditionFailed(let method, let url, let code, let message):
            "\(method) \(url): precondition failed (the resource changed since it was read): \(code): \(message)"
        case .operationFailed(let method, let url, let status, let code, let message):
            "\(method) \(url): operation \(status): \(code): \(message)"
        case .throttled(let method, let url, let retryAfter):
            "\(method) \(url): throttled due to too many requests, retry after \(retryAfter)"
        case .unavailable(let method, let url, let status, let code, let message, let retryAfter):
            "\(method) \(url): \(status) \(code): \(message) (retry after \(retryAfter))"
        case .rateLimited(let method, let url):
            "\(method) \(url): rate limit reached"
        case .transport(let method, let url, let cause):
            "\(method) \(url): \(cause)"
        case .credential(let error):
            "\(error)"
        case .malformed(let method, let url, let detail):
            "\(method) \(url): unexpected answer: \(detail)"
        }
    }
}

/// Reads ARM's error envelope; tolerates bodies that are not JSON (gateways answer HTML).
func armError(method: String, url: String, status: Int, body: [UInt8]) -> ARMError {
    let envelope = try? AzureJSON(parsing: body)
    let (code, message) = errorCodeAndMessage(envelope?["error"] ?? envelope)
    let text = message ?? String(decoding: body.prefix(512), as: UTF8.self)
    if status == 412 { return .preconditionFailed(method: method, url: url, code: code, message: text) }
    return .response(method: method, url: url, status: status, code: code, message: text)
}

/// The code and message of an ARM error object, with its `details` (the resource provider's own reasons, which
/// often say more than the outer message) appended as `(code: message; ...)`.
func errorCodeAndMessage(_ error: AzureJSON?) -> (code: String, message: String?) {
    let code = error?["code"]?.stringValue ?? ""
    var message = error?["message"]?.stringValue
    if let details = error?["details"]?.arrayValue, !details.isEmpty {
        let inner = details.compactMap { detail -> String? in
            guard let code = detail["code"]?.stringValue else { return nil }
            return "\(code): \(detail["message"]?.stringValue ?? "")"
        }
        if !inner.isEmpty { message = (message ?? "") + " (" + inner.joined(separator: "; ") + ")" }
    }
    return (code, message)
}
