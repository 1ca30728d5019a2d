import Foundation
import HTTPClient
import Logging

/// Azure Resource Manager over HTTP: authentication, api-versions, retries, throttling, long-running operations and
/// paging. It knows ARM's protocol, not what the resources mean; the typed operations build on `get`, `list`, `put`
/// and `delete`.
///
/// Calls are independent and safe to make concurrently; the throttling state is shared by all calls of a client.
public struct ARMClient: Sendable {
    /// Settings of a client; the defaults are the Go SDK's.
    public struct Configuration: Sendable {
        public var subscriptionID: String
        /// Retries of 408, 500, 502, 503, 504 and of failed connections.
        public var backoff: Backoff
        /// Client-side token buckets, per request class; `nil` for none.
        public var rateLimit: RateLimitSettings?
        public var userAgent: String
        /// The wait between polls of a long-running operation when ARM gives no `Retry-After`.
        public var pollInterval: Duration
        /// How long a long-running operation may take before the call gives up (the operation itself goes on).
        public var operationTimeout: Duration
        /// How long a class is held back after a 429 without `Retry-After`.
        public var defaultRetryAfter: Duration

        public init(
            subscriptionID: String, backoff: Backoff = .arm, rateLimit: RateLimitSettings? = nil,
            userAgent: String = CloudConfig.defaultUserAgent, pollInterval: Duration = .seconds(5),
            operationTimeout: Duration = .seconds(1800), defaultRetryAfter: Duration = .seconds(10)
        ) {
            self.subscriptionID = subscriptionID
            self.backoff = backoff
            self.rateLimit = rateLimit
            self.userAgent = userAgent
            self.pollInterval = pollInterval
            self.operationTimeout = operationTimeout
            self.defaultRetryAfter = defaultRetryAfter
        }
    }

    public let endpoint: String
    public let configuration: Configuration
    private let credential: any TokenCredential
    private let http: HTTPClient
    private let throttle: RequestThrottle
    private let logger: Logger

    public init(
        environment: AzureEnvironment, credential: any TokenCredential, http: HTTPClient, configuration: Configuration,
        logger: Logger = Logger(label: "azure.arm")
    ) {
        endpoint = environment.resourceManagerEndpoint
        self.configuration = configuration
        self.credential = credential
        self.http = http
        throttle = RequestThrottle(rateLimit: configuration.rateLimit)
        self.logger = logger
    }

    /// The subscription path prefix, `/subscriptions/{sub}`.
    public var subscriptionPath: String { "/subscriptions/\(configuration.subscriptionID)" }

    // MARK: - Resource operations

    /// GET one resource.
    public func get(_ path: String, apiVersion: String) async throws(ARMError) -> AzureJSON {
        let url = resourceURL(path, apiVersion: apiVersion)
        return try object(try await send("GET", url), method: "GET", url: url)
    }

    /// GET a collection, following `nextLink` to the end.
    public func list(_ path: String, apiVersion: String) async throws(ARMError) -> [AzureJSON] {
        var items: [AzureJSON] = []
        var next: String? = resourceURL(path, apiVersion: apiVersion)
        while let url = next {
            let page = try object(try await send("GET", try sameOrigin(url, method: "GET")), method: "GET", url: url)
            guard let value = page["value"]?.arrayValue ?? (page["value"] == nil ? [] : nil) else {
                throw .malformed(method: "GET", url: url, detail: "value is not an array")
            }
            if let index = value.firstIndex(where: { $0.objectValue == nil }) {
                throw .malformed(method: "GET", url: url, detail: "value[\(index)] is not an object")
            }
            items += value
            next = page["nextLink"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 }
        }
        return items
    }

    /// PUT a resource and wait for the operation to finish; returns the resource as ARM then has it.
    ///
    /// - Parameter ifMatch: the ETag the change was computed from. ARM refuses the write with 412
    ///   (``ARMError/preconditionFailed(method:url:code:message:)``) if the resource changed since.
    public func put(_ path: String, apiVersion: String, body: AzureJSON, ifMatch: String? = nil) async throws(ARMError) -> AzureJSON {
        let url = resourceURL(path, apiVersion: apiVersion)
        var headers: HTTPHeaders = [:]
        if let ifMatch, !ifMatch.isEmpty { headers.add(name: "If-Match", value: ifMatch) }
        let response = try await send("PUT", url, body: body, headers: headers)
        if try await awaitOperation("PUT", url: url, initial: response) {
            return try await get(path, apiVersion: apiVersion)
        }
        return try object(response, method: "PUT", url: url)
    }

    /// DELETE a resource and wait for the operation to finish. A resource that is already gone is a success
    /// (ARM answers 204); a missing resource group is a 404 error.
    public func delete(_ path: String, apiVersion: String) async throws(ARMError) {
        let url = resourceURL(path, apiVersion: apiVersion)
        let response = try await send("DELETE", url)
        _ = try await awaitOperation("DELETE", url: url, initial: response)
    }

    // MARK: - Long-running operations

    /// Polls the operation an answer started, if it started one. Returns whether it polled (the caller then reads
    /// the final resource). Follows `Azure-AsyncOperation` (an operation status document) in preference to
    /// `Location` (202 until done); a 201 without either is followed through the resource's `provisioningState`
    /// unless its body already shows a terminal one.
    private func awaitOperation(_ method: String, url: String, initial: HTTPResponse) async throws(ARMError) -> Bool {
        let asyncOperation = initial.headers["Azure-AsyncOperation"]
        let location = initial.headers["Location"]
        let bodyState = (try? AzureJSON(parsing: initial.body))?["properties"]?["provisioningState"]?.stringValue
        // A 201 whose body already says Succeeded finished synchronously: reading it again would only cost a read.
        let started = initial.status == 202 || asyncOperation != nil
            || (bodyState.map { !Self.isTerminal($0) } ?? (initial.status == 201))
        guard started else { return false }
        let deadline = ContinuousClock.now + configuration.operationTimeout
        var wait = parseRetryAfter(initial.headers["Retry-After"]) ?? configuration.pollInterval
        while true {
            guard ContinuousClock.now + wait < deadline else {
                throw .operationFailed(method: method, url: url, status: "TimedOut", code: "",
                                       message: "not finished after \(configuration.operationTimeout)")
            }
            do { try await Task.sleep(for: wait) } catch {
                throw .transport(method: method, url: url, cause: .cancelled(url: url))
            }
            let poll: HTTPResponse
            let state: String?
            if let asyncOperation {
                poll = try await send("GET", try sameOrigin(asyncOperation, method: method))
                let document = try object(poll, method: "GET", url: asyncOperation)
                // Without a status the operation could never be seen to end; polling on would only hide that.
                guard let status = document["status"]?.stringValue else {
                    throw .malformed(method: "GET", url: asyncOperation, detail: "operation status document has no string status")
                }
                state = status
                if status.caseInsensitiveCompare("Succeeded") != .orderedSame, Self.isTerminal(status) {
                    throw operationFailure(method: method, url: url, state: status, document: document)
                }
            } else if let location, method == "DELETE" || initial.status == 202 {
                // A Location poll answers 202 while the operation runs and, once it failed, the operation's error
                // with an error status: that is the operation's outcome, not a failed poll.
                do {
                    poll = try await send("GET", try sameOrigin(location, method: method))
                } catch {
                    guard case .response(_, _, _, let code, let message) = error else { throw error }
                    throw .operationFailed(method: method, url: url, status: "Failed", code: code, message: message)
                }
                state = poll.status == 202 ? nil : "Succeeded"
            } else {
                // DELETE without polling headers: done when the resource is gone.
                if method == "DELETE" {
                    do {
                        poll = try await send("GET", url)
                    } catch where error.isNotFound {
                        return true
                    }
                    state = nil
                } else {
                    poll = try await send("GET", url)
                    let resource = try object(poll, method: "GET", url: url)
                    state = resource["properties"]?["provisioningState"]?.stringValue ?? "Succeeded"
                    if let state, state.caseInsensitiveCompare("Succeeded") != .orderedSame, Self.isTerminal(state) {
                        throw operationFailure(method: method, url: url, state: state, document: resource)
                    }
                }
            }
            if let state, Self.isTerminal(state) { return true }
            wait = parseRetryAfter(poll.headers["Retry-After"]) ?? configuration.pollInterval
        }
    }

    private static func isTerminal(_ state: String) -> Bool {
        ["succeeded", "failed", "canceled", "cancelled"].contains(state.lowercased())
    }

    private func operationFailure(method: String, url: String, state: String, document: AzureJSON) -> ARMError {
        let (code, message) = errorCodeAndMessage(document["error"] ?? document["properties"]?["error"])
        return .operationFailed(method: method, url: url, status: state, code: code, message: message ?? "")
    }

    // MARK: - One request, with retries and throttling

    private func send(_ method: String, _ url: String, body: AzureJSON? = nil, headers extra: HTTPHeaders = [:])
        async throws(ARMError) -> HTTPResponse
    {
        let kind = RequestClass(method: method)
        var attempt = 0
        var reauthenticated = false
        while true {
            attempt += 1
            switch throttle.admit(kind) {
            case .allowed: break
            case .throttled(let remaining): throw .throttled(method: method, url: url, retryAfter: remaining)
            case .rateLimited: throw .rateLimited(method: method, url: url)
            }
            let token: AccessToken
            do { token = try await credential.token() } catch { throw .credential(error) }
            var headers: HTTPHeaders = [
                "Authorization": "Bearer \(token.token)", "User-Agent": configuration.userAgent, "Accept": "application/json",
            ]
            for field in extra { headers.add(name: field.name, value: field.value) }
            if body != nil { headers.add(name: "Content-Type", value: "application/json") }
            let request = HTTPRequest(method: HTTPMethod(rawValue: method), url: url, headers: headers, body: body?.serialized())
            let outcome: Result<HTTPResponse, HTTPClientError>
            do { outcome = .success(try await http.execute(request)) } catch { outcome = .failure(error) }
            let failure: ARMError
            // A Retry-After on a retried status (503 ServerBusy) is the server's own pacing: it replaces the computed
            // backoff, within the backoff's maximum so one answer cannot stall a caller for long.
            var serverDelay: Duration?
            switch outcome {
            case .success(let response):
                logger.debug("ARM request", metadata: ["method": "\(method)", "url": "\(url)", "status": "\(response.status)"])
                if response.status < 400 { return response }
                failure = armError(method: method, url: url, status: response.status, body: response.body)
                // ARM refused a token the cache still trusts (revoked, or the clocks disagree): fetch a new one once.
                if response.status == 401, !reauthenticated, let cache = credential as? CachingCredential {
                    reauthenticated = true
                    await cache.invalidate(token)
                    logger.info("ARM refused the access token; requesting a new one", metadata: ["url": "\(url)", "code": "\(failure.code ?? "")"])
                    attempt -= 1
                    continue
                }
                if response.status == 429 {
                    let retryAfter = parseRetryAfter(response.headers["Retry-After"]) ?? configuration.defaultRetryAfter
                    throttle.throttle(kind, for: retryAfter)
                    logger.warning("ARM throttled", metadata: ["class": "\(kind)", "retryAfter": "\(retryAfter)"])
                    throw .throttled(method: method, url: url, retryAfter: retryAfter)
                }
                guard Self.retriedStatuses.contains(response.status) else { throw failure }
                serverDelay = parseRetryAfter(response.headers["Retry-After"]).map { min($0, configuration.backoff.maximum) }
                if attempt > configuration.backoff.retries,
                    let retryAfter = parseRetryAfter(response.headers["Retry-After"]),
                    case .response(_, _, let status, let code, let message) = failure
                {
                    throw .unavailable(method: method, url: url, status: status, code: code, message: message,
                                       retryAfter: retryAfter)
                }
            case .failure(let error):
                failure = .transport(method: method, url: url, cause: error)
                if case .cancelled = error { throw failure }
            }
            guard attempt <= configuration.backoff.retries else { throw failure }
            do { try await Task.sleep(for: serverDelay ?? configuration.backoff.delay(beforeRetry: attempt)) } catch { throw failure }
        }
    }

    private static let retriedStatuses: Set<Int> = [408, 500, 502, 503, 504]

    private func resourceURL(_ path: String, apiVersion: String) -> String {
        endpoint + path + (path.contains("?") ? "&" : "?") + "api-version=" + apiVersion
    }

    /// Polling and paging URLs come from the answer; the bearer token only goes to the ARM endpoint's origin.
    private func sameOrigin(_ url: String, method: String) throws(ARMError) -> String {
        func origin(_ text: String) -> String? {
            guard let parts = URLComponents(string: text), let scheme = parts.scheme, let host = parts.host else { return nil }
            return "\(scheme.lowercased())://\(host.lowercased()):\(parts.port ?? (scheme.lowercased() == "https" ? 443 : 80))"
        }
        guard let target = origin(url), target == origin(endpoint) else {
            throw .malformed(method: method, url: url, detail: "follow-up URL is not on the ARM endpoint \(endpoint)")
        }
        return url
    }

    /// The answer's JSON object. Anything else (an HTML page from a proxy, JSON cut short, an array) is refused
    /// with what was received, so the typed models never read a resource out of something that is not one.
    private func object(_ response: HTTPResponse, method: String, url: String) throws(ARMError) -> AzureJSON {
        let excerpt = String(decoding: response.body.prefix(200), as: UTF8.self)
        let contentType = response.headers["Content-Type"].map { " (\($0))" } ?? ""
        guard !response.body.isEmpty else { throw .malformed(method: method, url: url, detail: "empty body, want a JSON object") }
        let parsed: AzureJSON
        do {
            parsed = try AzureJSON(parsing: response.body)
        } catch {
            throw .malformed(method: method, url: url, detail: "not JSON\(contentType): \(excerpt)")
        }
        guard parsed.objectValue != nil else {
            throw .malformed(method: method, url: url, detail: "want a JSON object, found \(parsed.kindName): \(excerpt)")
        }
        return parsed
    }
}
