import CCurl

/// An HTTP/1.1 client over libcurl: one multi handle per client, driven by its own thread, so that
/// any number of concurrent requests and streams cost no blocked threads of the cooperative pool.
///
/// A client holds what is common to its requests: TLS trust and identity, authorisation, proxy,
/// unix-socket target and default timeouts. Connections are reused between its requests. Create one
/// per server (or per set of credentials) and share it; it shuts down when the last reference to it
/// (including any streaming body being read) goes away.
public final class HTTPClient: Sendable {
    /// Settings shared by all requests of a client.
    public struct Configuration: Sendable {
        public var tls: TLSConfiguration
        public var authorization: Authorization?
        /// Read from the process environment when the configuration is made; see ``ProxyConfiguration``.
        public var proxy: ProxyConfiguration
        /// Send every request over this unix-domain socket instead of TCP (the URL still gives the
        /// scheme, `Host` and path).
        public var unixSocketPath: String?
        /// Defaults for ``HTTPClient/execute(_:)``.
        public var timeouts: HTTPTimeouts
        /// Defaults for ``HTTPClient/stream(_:)``.
        public var streamTimeouts: HTTPTimeouts
        /// The largest body ``HTTPClient/execute(_:)`` accepts.
        public var maximumResponseSize: Int
        /// How many unread bytes a stream buffers before it pauses the transfer.
        public var streamBufferSize: Int

        public init(
            tls: TLSConfiguration = TLSConfiguration(),
            authorization: Authorization? = nil,
            proxy: ProxyConfiguration = .fromProcessEnvironment(),
            unixSocketPath: String? = nil,
            timeouts: HTTPTimeouts = .request,
            streamTimeouts: HTTPTimeouts = .stream,
            maximumResponseSize: Int = 512 << 20,
            streamBufferSize: Int = 1 << 20
        ) {
            self.tls = tls
            self.authorization = authorization
            self.proxy = proxy
            self.unixSocketPath = unixSocketPath
            self.timeouts = timeouts
            self.streamTimeouts = streamTimeouts
            self.maximumResponseSize = maximumResponseSize
            self.streamBufferSize = streamBufferSize
        }
    }

    public let configuration: Configuration
    let engine: CurlMulti
    private let tokenFile: TokenFile?

    public init(configuration: Configuration = Configuration()) throws(HTTPClientError) {
        self.configuration = configuration
        engine = try CurlMulti()
        if case .bearerTokenFile(let path) = configuration.authorization {
            tokenFile = TokenFile(path: path)
        } else {
            tokenFile = nil
        }
    }

    deinit {
        engine.stop()
    }

    /// Sends `request` and returns the whole response. Cancelling the calling task aborts the
    /// transfer at once and throws ``HTTPClientError/cancelled(url:)``.
    public func execute(_ request: HTTPRequest) async throws(HTTPClientError) -> HTTPResponse {
        let prepared = try await prepare(request, timeouts: configuration.timeouts)
        let transfer = Transfer(request: prepared)
        let engine = self.engine
        let result = await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Result<HTTPResponse, HTTPClientError>, Never>) in
                transfer.setCompletion(.buffered(continuation))
                if !engine.submit(.start(transfer)) {
                    continuation.resume(returning: .failure(.clientShutDown(url: prepared.url)))
                }
            }
        } onCancel: {
            if transfer.markAborted() { engine.submit(.abort(transfer)) }
        }
        return try result.get()
    }

    /// Sends `request` and returns as soon as the response's status and headers have arrived; the
    /// body streams in through ``HTTPStreamingResponse/body``. Cancelling the calling task before
    /// then aborts the transfer.
    public func stream(_ request: HTTPRequest) async throws(HTTPClientError) -> HTTPStreamingResponse {
        let prepared = try await prepare(request, timeouts: configuration.streamTimeouts)
        let transfer = Transfer(request: prepared)
        let buffer = BodyBuffer(highWater: configuration.streamBufferSize)
        let engine = self.engine
        let head = await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Result<(Int, HTTPHeaders), HTTPClientError>, Never>) in
                transfer.setCompletion(.streaming(head: continuation, body: buffer))
                if !engine.submit(.start(transfer)) {
                    continuation.resume(returning: .failure(.clientShutDown(url: prepared.url)))
                }
            }
        } onCancel: {
            if transfer.markAborted() { engine.submit(.abort(transfer)) }
        }
        let (status, headers) = try head.get()
        let handle = StreamHandle(url: prepared.url, buffer: buffer, transfer: transfer, client: self)
        return HTTPStreamingResponse(status: status, headers: headers, body: HTTPResponseBody(stream: handle))
    }

    // MARK: Preparation (caller's side)

    private func prepare(_ request: HTTPRequest, timeouts: HTTPTimeouts) async throws(HTTPClientError) -> PreparedRequest {
        let target = try URLParts(request.url)
        guard HTTPHeaders.isToken(request.method.rawValue) else {
            throw .invalidRequest(url: request.url, reason: "method \"\(request.method)\" is not an HTTP token")
        }
        var lines: [String] = []
        for field in request.headers {
            guard HTTPHeaders.isToken(field.name) else {
                throw .invalidRequest(url: request.url, reason: "header name \"\(field.name)\" is not an HTTP token")
            }
            guard HTTPHeaders.isValidValue(field.value) else {
                throw .invalidRequest(url: request.url, reason: "header \"\(field.name)\" has a line break or NUL in its value")
            }
            // "Name:" alone tells libcurl to drop a header; an empty value needs "Name;".
            lines.append(field.value.isEmpty ? "\(field.name);" : "\(field.name): \(field.value)")
        }
        if !request.headers.contains(name: "authorization"), let token = try await bearerToken(url: request.url) {
            lines.append("Authorization: Bearer \(token)")
        }
        // libcurl would otherwise add "Expect: 100-continue" to large bodies (a round trip of delay)
        // and a form Content-Type to every body.
        if !request.headers.contains(name: "expect") { lines.append("Expect:") }
        if !request.headers.contains(name: "content-type") { lines.append("Content-Type:") }

        for path in configuration.tls.files { try checkReadable(path: path) }
        let proxy = configuration.unixSocketPath == nil
            ? configuration.proxy.proxy(scheme: target.scheme, host: target.host, port: target.port) ?? ""
            : ""
        return PreparedRequest(
            method: request.method,
            url: request.url,
            headerLines: lines,
            body: request.body,
            timeouts: request.timeouts ?? timeouts,
            proxy: proxy,
            unixSocketPath: configuration.unixSocketPath,
            tls: configuration.tls,
            maximumBodySize: configuration.maximumResponseSize
        )
    }

    private func bearerToken(url: String) async throws(HTTPClientError) -> String? {
        switch configuration.authorization {
        case nil:
            return nil
        case .bearer(let token):
            guard HTTPHeaders.isValidValue(token) else {
                throw .invalidRequest(url: url, reason: "the bearer token has a line break or NUL")
            }
            return token
        case .bearerTokenFile:
            return try tokenFile?.token()
        case .bearerTokenProvider(let provider):
            let token: String
            do {
                token = try await provider()
            } catch is CancellationError {
                throw .cancelled(url: url)
            } catch {
                throw .credentials(url: url, detail: String(describing: error))
            }
            guard !token.isEmpty, HTTPHeaders.isValidValue(token) else {
                throw .credentials(url: url, detail: "the provider returned an empty or malformed token")
            }
            return token
        }
    }
}
