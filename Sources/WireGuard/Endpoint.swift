import Netlink

/// Where a peer's encrypted UDP packets go: an IPv4 or IPv6 address and a port.
///
/// The text form is `192.0.2.1:51820` or `[2001:db8::1]:51820`, the form `wg` and the UAPI use.
/// Host names are not accepted: resolving them is the caller's business, not the device's.
public struct Endpoint: Hashable, Sendable, CustomStringConvertible {
    public var address: IPAddress
    public var port: UInt16

    public init(address: IPAddress, port: UInt16) {
        self.address = address
        self.port = port
    }

    /// Parses `v4:port` or `[v6]:port`; nil for anything else (including a port of 0).
    public init?(_ text: some StringProtocol) {
        let text = Substring(text)
        let host: Substring, portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]"), text[text.index(after: close)...].hasPrefix(":") else { return nil }
            host = text[text.index(after: text.startIndex)..<close]
            portText = text[text.index(close, offsetBy: 2)...]
            guard host.contains(":") else { return nil }
        } else {
            guard let colon = text.lastIndex(of: ":") else { return nil }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
            guard !host.contains(":") else { return nil }
        }
        guard let address = IPAddress(host), !portText.isEmpty, portText.count <= 5,
              portText.allSatisfy({ $0.isASCII && $0.isNumber }), let port = UInt16(portText), port != 0 else { return nil }
        self.init(address: address, port: port)
    }

    /// Parses endpoint text, throwing an error that names `field` and shows the value.
    public static func parse(_ text: String, field: String = "endpoint") throws(WireGuardError) -> Endpoint {
        guard let endpoint = Endpoint(text) else {
            throw .invalidEndpoint(field: field, value: text, reason: "expected IPv4:port or [IPv6]:port with a port of 1-65535")
        }
        return endpoint
    }

    public var description: String {
        address.isIPv4 ? "\(address):\(port)" : "[\(address)]:\(port)"
    }
}
