import CCurl

/// Sets the libcurl options of one easy handle from a prepared request. Runs on the curl thread.
struct EasyHandleConfigurator {
    let easy: UnsafeMutableRawPointer
    let request: PreparedRequest
    let url: String

    /// `context` is the unretained ``Transfer`` handed back to the callbacks; `errorBuffer` and
    /// `headerList` must outlive the handle (libcurl keeps pointers to them).
    func configure(
        context: UnsafeMutableRawPointer,
        errorBuffer: UnsafeMutablePointer<CChar>,
        headerList: inout UnsafeMutablePointer<curl_slist>?
    ) throws(HTTPClientError) {
        try set(CURLOPT_ERRORBUFFER, pointer: errorBuffer)
        try set(CURLOPT_URL, request.url)
        // Only HTTP(S), whatever else libcurl was built with, and redirects are the caller's business.
        try set(CURLOPT_PROTOCOLS_STR, "http,https")
        try set(CURLOPT_FOLLOWLOCATION, 0)
        try set(CURLOPT_NOSIGNAL, 1)
        // HTTP/1.1 keeps a paused stream from holding up others: over HTTP/2 every stream of a
        // connection would share it, and libcurl 7.88's pause handling for HTTP/2 is fragile.
        try set(CURLOPT_HTTP_VERSION, Int(CURL_HTTP_VERSION_1_1))
        try set(CURLOPT_TCP_KEEPALIVE, 1)
        try set(CURLOPT_TCP_KEEPIDLE, 30)
        try set(CURLOPT_TCP_KEEPINTVL, 15)

        try configureMethodAndBody()
        var list: UnsafeMutablePointer<curl_slist>?
        for line in request.headerLines {
            guard let appended = curl_slist_append(list, line) else {
                curl_slist_free_all(list)
                throw .transfer(url: url, code: Int(CURLE_OUT_OF_MEMORY.rawValue), detail: "out of memory for headers")
            }
            list = appended
        }
        headerList = list
        try check(egressgw_curl_setopt_slist(easy, CURLOPT_HTTPHEADER, list))

        try configureTimeouts()
        try set(CURLOPT_PROXY, request.proxy)
        // Our own NO_PROXY decision is final: libcurl must not apply the environment's again.
        try set(CURLOPT_NOPROXY, "")
        try set(CURLOPT_SUPPRESS_CONNECT_HEADERS, 1)
        if let path = request.unixSocketPath { try set(CURLOPT_UNIX_SOCKET_PATH, path) }
        try configureTLS()

        try set(CURLOPT_HEADERDATA, pointer: context)
        try check(egressgw_curl_setopt_write_function(easy, CURLOPT_HEADERFUNCTION) { data, size, count, context in
            let transfer = Unmanaged<Transfer>.fromOpaque(context!).takeUnretainedValue()
            transfer.receiveHeader(UnsafeRawBufferPointer(start: data, count: size * count))
            return size * count
        })
        try set(CURLOPT_WRITEDATA, pointer: context)
        try check(egressgw_curl_setopt_write_function(easy, CURLOPT_WRITEFUNCTION) { data, size, count, context in
            let transfer = Unmanaged<Transfer>.fromOpaque(context!).takeUnretainedValue()
            return transfer.receiveBody(UnsafeRawBufferPointer(start: data, count: size * count))
        })
    }

    private func configureMethodAndBody() throws(HTTPClientError) {
        let method = request.method
        if method == .head {
            try set(CURLOPT_NOBODY, 1)
            return
        }
        // POST, PUT and PATCH always carry a body (maybe empty, with Content-Length: 0), which
        // proxies and servers expect.
        let body = request.body ?? ([.post, .put, .patch].contains(method) ? [] : nil)
        if let body {
            try check(egressgw_curl_setopt_offset(easy, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body.count)))
            // COPYPOSTFIELDS copies exactly POSTFIELDSIZE bytes, so binary bodies survive.
            let code = body.withUnsafeBytes { bytes in
                let empty: StaticString = ""
                let start = bytes.baseAddress ?? UnsafeRawPointer(empty.utf8Start)
                return egressgw_curl_setopt_pointer(easy, CURLOPT_COPYPOSTFIELDS, UnsafeMutableRawPointer(mutating: start))
            }
            try check(code, option: CURLOPT_COPYPOSTFIELDS)
            if method != .post { try set(CURLOPT_CUSTOMREQUEST, method.rawValue) }
        } else {
            try set(CURLOPT_HTTPGET, 1)
            if method != .get { try set(CURLOPT_CUSTOMREQUEST, method.rawValue) }
        }
    }

    private func configureTimeouts() throws(HTTPClientError) {
        let limits = request.timeouts
        try set(CURLOPT_CONNECTTIMEOUT_MS, max(1, limits.connect.milliseconds))
        try set(CURLOPT_TIMEOUT_MS, limits.total.map { max(1, $0.milliseconds) } ?? 0)
        // The idle limit is enforced by the curl thread itself (see `Transfer.idleDeadline`):
        // libcurl's low-speed check averages over several seconds and cannot tell a silent server
        // from a transfer paused for a slow reader.
    }

    private func configureTLS() throws(HTTPClientError) {
        let tls = request.tls
        switch tls.trustRoots {
        case .system:
            break
        case .file(let path):
            // Only the named authorities: drop the system directory libcurl was built with.
            try set(CURLOPT_CAINFO, path)
            try set(CURLOPT_CAPATH, pointer: nil)
        case .pem(let bytes):
            try setBlob(CURLOPT_CAINFO_BLOB, bytes)
            try set(CURLOPT_CAINFO, pointer: nil)
            try set(CURLOPT_CAPATH, pointer: nil)
        }
        switch tls.clientIdentity {
        case .files(let certificate, let key)?:
            try set(CURLOPT_SSLCERT, certificate)
            try set(CURLOPT_SSLCERTTYPE, "PEM")
            try set(CURLOPT_SSLKEY, key)
            try set(CURLOPT_SSLKEYTYPE, "PEM")
        case .pem(let certificate, let key)?:
            try setBlob(CURLOPT_SSLCERT_BLOB, certificate)
            try set(CURLOPT_SSLCERTTYPE, "PEM")
            try setBlob(CURLOPT_SSLKEY_BLOB, key)
            try set(CURLOPT_SSLKEYTYPE, "PEM")
        case nil:
            break
        }
        if tls.insecureSkipVerify {
            try set(CURLOPT_SSL_VERIFYPEER, 0)
            try set(CURLOPT_SSL_VERIFYHOST, 0)
        }
    }

    // MARK: Option setters

    private func set(_ option: CURLoption, _ value: Int) throws(HTTPClientError) {
        try check(egressgw_curl_setopt_long(easy, option, value), option: option)
    }

    private func set(_ option: CURLoption, _ value: String) throws(HTTPClientError) {
        try check(egressgw_curl_setopt_string(easy, option, value), option: option)
    }

    private func set(_ option: CURLoption, pointer: UnsafeMutableRawPointer?) throws(HTTPClientError) {
        try check(egressgw_curl_setopt_pointer(easy, option, pointer), option: option)
    }

    private func set(_ option: CURLoption, pointer: UnsafeMutablePointer<CChar>) throws(HTTPClientError) {
        try set(option, pointer: UnsafeMutableRawPointer(pointer))
    }

    private func setBlob(_ option: CURLoption, _ bytes: [UInt8]) throws(HTTPClientError) {
        let code = bytes.withUnsafeBytes { egressgw_curl_setopt_blob(easy, option, $0.baseAddress, $0.count) }
        try check(code, option: option)
    }

    private func check(_ code: CURLcode, option: CURLoption? = nil) throws(HTTPClientError) {
        guard code != CURLE_OK else { return }
        let what = option.map { " (option \($0.rawValue))" } ?? ""
        throw .transfer(url: url, code: Int(code.rawValue), detail: String(cString: curl_easy_strerror(code)) + what)
    }
}

extension Duration {
    /// Whole milliseconds, rounded down, never negative.
    var milliseconds: Int {
        let (seconds, attoseconds) = components
        return max(0, Int(seconds) * 1000 + Int(attoseconds / 1_000_000_000_000_000))
    }
}
