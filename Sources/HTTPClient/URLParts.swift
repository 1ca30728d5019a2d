import CCurl

/// The parts of a request URL the client decides on (scheme, host, port), parsed by libcurl's own
/// URL parser so that the check and the transfer agree on what the URL means.
struct URLParts {
    let scheme: String
    /// As written in the URL: IPv6 literals keep their brackets.
    let host: String
    let port: Int

    init(_ url: String) throws(HTTPClientError) {
        guard let handle = curl_url() else { throw .invalidURL(url, reason: "out of memory") }
        defer { curl_url_cleanup(handle) }
        let code = curl_url_set(handle, CURLUPART_URL, url, 0)
        guard code == CURLUE_OK else { throw .invalidURL(url, reason: String(cString: curl_url_strerror(code))) }
        func part(_ what: CURLUPart, flags: UInt32 = 0) -> String? {
            var value: UnsafeMutablePointer<CChar>?
            guard curl_url_get(handle, what, &value, flags) == CURLUE_OK, let value else { return nil }
            defer { curl_free(value) }
            return String(cString: value)
        }
        guard let scheme = part(CURLUPART_SCHEME)?.lowercased(), scheme == "http" || scheme == "https" else {
            throw .invalidURL(url, reason: "only http and https URLs are supported")
        }
        guard let host = part(CURLUPART_HOST), !host.isEmpty else { throw .invalidURL(url, reason: "no host") }
        guard let port = part(CURLUPART_PORT, flags: UInt32(CURLU_DEFAULT_PORT)).flatMap({ Int($0) }) else {
            throw .invalidURL(url, reason: "no port")
        }
        self.scheme = scheme
        self.host = host
        self.port = port
    }
}
