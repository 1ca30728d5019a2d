import CCurl
import Synchronization

/// A request checked and resolved on the caller's side (URL, headers, token, proxy), ready to be
/// turned into a curl easy handle on the curl thread.
struct PreparedRequest: Sendable {
    var method: HTTPMethod
    var url: String
    /// `Name: value` lines, including the ones that switch off libcurl's own defaults.
    var headerLines: [String]
    var body: [UInt8]?
    var timeouts: HTTPTimeouts
    /// The proxy URL, or "" for a direct connection.
    var proxy: String
    var unixSocketPath: String?
    var tls: TLSConfiguration
    var maximumBodySize: Int
}

/// One request in flight: owns its curl easy handle and collects the response.
///
/// Thread confinement instead of locks: everything but `lifecycle` is set up by the caller before
/// the transfer is submitted to the curl thread (the submission queue's mutex orders it), and from
/// then on is touched only by that thread, which runs every libcurl callback.
final class Transfer: @unchecked Sendable {
    enum Completion {
        case buffered(CheckedContinuation<Result<HTTPResponse, HTTPClientError>, Never>)
        case streaming(head: CheckedContinuation<Result<(Int, HTTPHeaders), HTTPClientError>, Never>, body: BodyBuffer)
    }

    let request: PreparedRequest
    /// 0 running, 1 aborted by its caller, 2 finished; shared between the caller and the curl thread.
    private let lifecycle = Atomic<Int>(0)
    private var completion: Completion?

    // Curl thread only.
    private(set) var easy: UnsafeMutableRawPointer?
    private var headerList: UnsafeMutablePointer<curl_slist>?
    private let errorBuffer: UnsafeMutablePointer<CChar>
    private var status = 0
    private var headers = HTTPHeaders()
    private var headComplete = false
    private var headDelivered = false
    private var body: [UInt8] = []
    private var bodyTooLarge = false
    private var finished = false
    /// When a byte last arrived (or the transfer started, or the reader caught up).
    private var lastActivity = ContinuousClock.now
    /// Paused because the streaming reader is behind: not idle, whatever the clock says.
    private var pausedForReader = false

    init(request: PreparedRequest) {
        self.request = request
        errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE))
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE))
    }

    deinit {
        releaseHandle()
        errorBuffer.deallocate()
    }

    /// Called by the caller once, before submission.
    func setCompletion(_ completion: Completion) {
        self.completion = completion
    }

    /// Records that the caller gave up; true if the transfer was still running and the curl thread
    /// must be told.
    func markAborted() -> Bool {
        lifecycle.compareExchange(expected: 0, desired: 1, ordering: .acquiringAndReleasing).exchanged
    }

    var isAborted: Bool { lifecycle.load(ordering: .acquiring) == 1 }

    // MARK: Curl thread

    /// Creates and configures the easy handle.
    func makeEasyHandle() throws(HTTPClientError) -> UnsafeMutableRawPointer {
        guard let easy = curl_easy_init() else {
            throw .transfer(url: request.url, code: Int(CURLE_OUT_OF_MEMORY.rawValue), detail: "curl_easy_init failed")
        }
        self.easy = easy
        lastActivity = .now
        try EasyHandleConfigurator(easy: easy, request: request, url: request.url).configure(
            context: Unmanaged.passUnretained(self).toOpaque(),
            errorBuffer: errorBuffer,
            headerList: &headerList
        )
        return easy
    }

    /// One header line from libcurl (status line, field, or the blank line ending a header block).
    func receiveHeader(_ bytes: UnsafeRawBufferPointer) {
        lastActivity = .now
        var line = String(decoding: bytes, as: UTF8.self)
        while line.hasSuffix("\n") || line.hasSuffix("\r") || line.hasSuffix("\r\n") { line.removeLast() }
        if line.hasPrefix("HTTP/") {
            // A new response head: an interim 1xx, or the final one.
            headers = HTTPHeaders()
            headComplete = false
            return
        }
        if headComplete { return }  // trailers of a chunked body
        if line.isEmpty {
            var code = 0
            egressgw_curl_getinfo_long(easy, CURLINFO_RESPONSE_CODE, &code)
            guard code >= 200 else { return }
            status = code
            headComplete = true
            deliverHead()
            return
        }
        guard let colon = line.firstIndex(of: ":") else { return }
        headers.add(
            name: String(line[..<colon]).trimmingWhitespace,
            value: String(line[line.index(after: colon)...]).trimmingWhitespace
        )
    }

    /// Body bytes from libcurl; returns how many were taken, or the pause signal.
    func receiveBody(_ bytes: UnsafeRawBufferPointer) -> Int {
        switch completion {
        case .streaming(_, let buffer):
            deliverHead()
            switch buffer.offer(bytes) {
            case .accepted:
                lastActivity = .now
                return bytes.count
            case .pause:
                pausedForReader = true
                return egressgw_curl_writefunc_pause
            case .abandon:
                return 0
            }
        case .buffered, nil:
            lastActivity = .now
            guard body.count + bytes.count <= request.maximumBodySize else {
                bodyTooLarge = true
                return 0
            }
            body.append(contentsOf: bytes)
            return bytes.count
        }
    }

    /// The reader caught up and the transfer was unpaused: the idle clock starts again.
    func resumed() {
        pausedForReader = false
        lastActivity = .now
    }

    /// When the idle limit runs out, if the transfer has one and is not paused for its reader.
    var idleDeadline: ContinuousClock.Instant? {
        guard let idle = request.timeouts.idle, !pausedForReader else { return nil }
        return lastActivity + idle
    }

    /// The transfer ended with `code`; the handle has been removed from the multi handle.
    func complete(code: CURLcode) {
        if code == CURLE_OK {
            var response = 0
            egressgw_curl_getinfo_long(easy, CURLINFO_RESPONSE_CODE, &response)
            if !headComplete { status = response }
            finish(.success(()))
        } else {
            finish(.failure(error(for: code)))
        }
    }

    /// Ends the transfer: frees the handle and resumes whoever waits. Safe to call more than once.
    func finish(_ result: Result<Void, HTTPClientError>) {
        guard !finished else { return }
        finished = true
        lifecycle.store(2, ordering: .releasing)
        releaseHandle()
        switch completion {
        case .buffered(let continuation):
            continuation.resume(returning: result.map { HTTPResponse(status: status, headers: headers, body: body) })
            body = []
        case .streaming(let head, let buffer):
            if case .success = result { deliverHead() }
            if headDelivered {
                buffer.finish(result)
            } else if case .failure(let error) = result {
                headDelivered = true
                head.resume(returning: .failure(error))
                buffer.finish(result)
            }
        case nil:
            break
        }
        completion = nil
    }

    private func deliverHead() {
        guard !headDelivered, case .streaming(let head, _) = completion else { return }
        headDelivered = true
        if status == 0, let easy {
            egressgw_curl_getinfo_long(easy, CURLINFO_RESPONSE_CODE, &status)
        }
        head.resume(returning: .success((status, headers)))
    }

    private func releaseHandle() {
        if let easy { curl_easy_cleanup(easy) }
        easy = nil
        if let headerList { curl_slist_free_all(headerList) }
        headerList = nil
    }

    // MARK: Errors

    private func error(for code: CURLcode) -> HTTPClientError {
        let url = request.url
        let text = String(cString: errorBuffer)
        let detail = text.isEmpty ? String(cString: curl_easy_strerror(code)) : text.trimmingWhitespace
        if request.proxy != "", let easy {
            var proxyStatus = 0
            egressgw_curl_getinfo_long(easy, CURLINFO_HTTP_CONNECTCODE, &proxyStatus)
            if proxyStatus >= 300 { return .proxy(url: url, detail: detail) }
        }
        switch code {
        case CURLE_UNSUPPORTED_PROTOCOL, CURLE_URL_MALFORMAT:
            return .invalidURL(url, reason: detail)
        case CURLE_COULDNT_RESOLVE_HOST:
            return .couldNotResolve(url: url, detail: detail)
        case CURLE_COULDNT_CONNECT:
            return .couldNotConnect(url: url, detail: detail)
        case CURLE_COULDNT_RESOLVE_PROXY, CURLE_PROXY:
            return .proxy(url: url, detail: detail)
        case CURLE_OPERATION_TIMEDOUT:
            return .timedOut(url: url, after: timeoutThatFired(), detail: detail)
        case CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CERTPROBLEM, CURLE_SSL_CIPHER,
             CURLE_SSL_CACERT_BADFILE, CURLE_SSL_ISSUER_ERROR, CURLE_SSL_PINNEDPUBKEYNOTMATCH,
             CURLE_SSL_INVALIDCERTSTATUS, CURLE_SSL_CRL_BADFILE, CURLE_SSL_ENGINE_NOTFOUND,
             CURLE_SSL_ENGINE_SETFAILED, CURLE_SSL_ENGINE_INITFAILED, CURLE_SSL_SHUTDOWN_FAILED, CURLE_SSL_CLIENTCERT:
            return .tls(url: url, detail: detail)
        case CURLE_SEND_ERROR, CURLE_RECV_ERROR, CURLE_GOT_NOTHING, CURLE_PARTIAL_FILE, CURLE_WEIRD_SERVER_REPLY,
             CURLE_HTTP2, CURLE_HTTP2_STREAM, CURLE_BAD_CONTENT_ENCODING:
            return .connectionLost(url: url, detail: detail)
        case CURLE_WRITE_ERROR where bodyTooLarge:
            return .responseTooLarge(url: url, limit: request.maximumBodySize)
        case CURLE_WRITE_ERROR where isAborted, CURLE_ABORTED_BY_CALLBACK:
            return .cancelled(url: url)
        default:
            return .transfer(url: url, code: Int(code.rawValue), detail: detail)
        }
    }

    /// libcurl reports both of its limits with the same code: whether the connection was up tells
    /// which one ran out.
    private func timeoutThatFired() -> Duration {
        let limits = request.timeouts
        var connected: curl_off_t = 0
        if let easy { egressgw_curl_getinfo_offset(easy, CURLINFO_CONNECT_TIME_T, &connected) }
        if connected == 0 { return min(limits.connect, limits.total ?? limits.connect) }
        return limits.total ?? limits.connect
    }
}
