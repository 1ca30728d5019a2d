#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Which proxy a request goes through. The client decides itself and always tells libcurl
/// explicitly (an empty proxy when none), so libcurl never consults the environment on its own
/// and the rules below are the whole story. They follow Go's `net/http` (`ProxyFromEnvironment`),
/// which `kubectl` and client-go use:
///
/// - `http://` URLs use `HTTP_PROXY` (or `http_proxy`), `https://` URLs use `HTTPS_PROXY` (or
///   `https_proxy`); the upper-case name wins; there is no fallback from one to the other and
///   `ALL_PROXY` is not read. A proxy without a scheme is `http://`; `https://`, `socks5://` and
///   `socks5h://` proxies work as libcurl supports them. Credentials in the proxy URL are used.
/// - `NO_PROXY` (or `no_proxy`) is a comma-separated list of `*` (no proxy at all), IP addresses,
///   CIDR ranges (`10.0.0.0/8`, `fd00::/8`), and domain names, optionally with `:port`. `example.com`
///   matches the domain and its subdomains, `.example.com` and `*.example.com` only subdomains.
/// - `localhost` and loopback addresses never go through a proxy; neither do unix-socket targets.
public struct ProxyConfiguration: Sendable, Equatable {
    public var httpProxy: String?
    public var httpsProxy: String?
    /// The raw `NO_PROXY` entries.
    public var noProxy: [String]

    public init(httpProxy: String? = nil, httpsProxy: String? = nil, noProxy: [String] = []) {
        self.httpProxy = httpProxy
        self.httpsProxy = httpsProxy
        self.noProxy = noProxy
    }

    /// No proxy for any request (what an IMDS client wants).
    public static let none = ProxyConfiguration()

    /// The configuration given by these environment variables.
    public init(environment: [String: String]) {
        func value(_ names: String...) -> String? {
            names.lazy.compactMap { environment[$0]?.trimmingWhitespace }.first { !$0.isEmpty }
        }
        self.init(
            httpProxy: value("HTTP_PROXY", "http_proxy"),
            httpsProxy: value("HTTPS_PROXY", "https_proxy"),
            noProxy: value("NO_PROXY", "no_proxy").map { $0.split(separator: ",").map { String($0).trimmingWhitespace } } ?? []
        )
    }

    /// The configuration given by this process's environment, read now.
    public static func fromProcessEnvironment() -> ProxyConfiguration {
        var variables: [String: String] = [:]
        for name in ["HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "NO_PROXY", "no_proxy"] {
            if let value = getenv(name) { variables[name] = String(cString: value) }
        }
        return ProxyConfiguration(environment: variables)
    }

    /// The proxy URL for a request to `scheme://host:port`, or nil to connect directly.
    /// `host` is as in a URL (IPv6 literals may keep their brackets).
    public func proxy(scheme: String, host: String, port: Int) -> String? {
        let chosen = switch scheme.lowercased() {
        case "http": httpProxy
        case "https": httpsProxy
        default: String?.none
        }
        guard let chosen, !chosen.isEmpty else { return nil }
        var name = host.lowercased()
        if name.hasPrefix("["), name.hasSuffix("]") { name = String(name.dropFirst().dropLast()) }
        if name.hasSuffix(".") { name.removeLast() }
        if name == "localhost" || IPAddressBytes(name)?.isLoopback == true { return nil }
        if noProxy.contains(where: { Self.entry($0, matches: name, port: port) }) { return nil }
        return chosen.contains("://") ? chosen : "http://" + chosen
    }

    private static func entry(_ raw: String, matches host: String, port: Int) -> Bool {
        let entry = raw.trimmingWhitespace.lowercased()
        if entry.isEmpty { return false }
        if entry == "*" { return true }
        if entry.contains("/") {
            guard let network = CIDR(entry), let address = IPAddressBytes(host) else { return false }
            return network.contains(address)
        }
        var (entryHost, entryPort) = splitPort(entry)
        if let entryPort, entryPort != port { return false }
        if let address = IPAddressBytes(entryHost) { return IPAddressBytes(host) == address }
        if entryHost.hasPrefix("*.") { entryHost.removeFirst() }
        if entryHost.hasPrefix(".") { return host.hasSuffix(entryHost) }
        return host == entryHost || host.hasSuffix("." + entryHost)
    }

    /// `host:port`, `[v6]:port`, or a bare host or IPv6 address.
    private static func splitPort(_ entry: String) -> (String, Int?) {
        if entry.hasPrefix("["), let close = entry.firstIndex(of: "]") {
            let host = String(entry[entry.index(after: entry.startIndex)..<close])
            let rest = entry[entry.index(after: close)...]
            return (host, rest.hasPrefix(":") ? Int(rest.dropFirst()) : nil)
        }
        let colons = entry.filter { $0 == ":" }.count
        if colons == 1, let colon = entry.firstIndex(of: ":"), let port = Int(entry[entry.index(after: colon)...]) {
            return (String(entry[..<colon]), port)
        }
        return (entry, nil)
    }
}

/// An IPv4 or IPv6 address as network-order bytes, enough for NO_PROXY matching.
struct IPAddressBytes: Equatable {
    let bytes: [UInt8]

    init?(_ text: String) {
        var v4 = in_addr()
        var v6 = in6_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            bytes = withUnsafeBytes(of: &v4) { Array($0) }
        } else if inet_pton(AF_INET6, text, &v6) == 1 {
            bytes = withUnsafeBytes(of: &v6) { Array($0) }
        } else {
            return nil
        }
    }

    var isLoopback: Bool {
        bytes.count == 4 ? bytes[0] == 127 : bytes == [UInt8](repeating: 0, count: 15) + [1]
    }
}

/// A CIDR range from a NO_PROXY entry.
struct CIDR {
    let address: IPAddressBytes
    let prefix: Int

    init?(_ text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let address = IPAddressBytes(String(parts[0])), let prefix = Int(parts[1]),
              prefix >= 0, prefix <= address.bytes.count * 8 else { return nil }
        self.address = address
        self.prefix = prefix
    }

    func contains(_ other: IPAddressBytes) -> Bool {
        guard other.bytes.count == address.bytes.count else { return false }
        for bit in 0..<prefix {
            let mask = UInt8(0x80) >> (bit % 8)
            if other.bytes[bit / 8] & mask != address.bytes[bit / 8] & mask { return false }
        }
        return true
    }
}
