/// An IPv4 or IPv6 address, stored as its network-order bytes.
///
/// Parsing is strict (no leading zeros tricks, no zone IDs) because these values end up in kernel
/// messages, iptables rules and Kubernetes objects, where a lenient parse hides user mistakes.
public enum IPAddress: Hashable, Sendable, Comparable, CustomStringConvertible {
    case v4(UInt32)
    case v6([UInt8])

    /// Parses dotted-quad IPv4 or RFC 4291 IPv6 text; returns nil when the text is neither.
    public init?(_ text: some StringProtocol) {
        if let v4 = IPAddress.parseV4(Substring(text)) {
            self = .v4(v4)
        } else if let v6 = IPAddress.parseV6(Substring(text)) {
            self = .v6(v6)
        } else {
            return nil
        }
    }

    /// Builds an address from 4 or 16 network-order bytes.
    public init?(bytes: some Collection<UInt8>) {
        let array = Array(bytes)
        switch array.count {
        case 4: self = .v4(array.reduce(0) { $0 << 8 | UInt32($1) })
        case 16: self = .v6(array)
        default: return nil
        }
    }

    /// The address family constant (`AF_INET` 2 or `AF_INET6` 10).
    public var family: UInt8 { isIPv4 ? 2 : 10 }
    public var isIPv4: Bool { if case .v4 = self { true } else { false } }
    public var bitLength: Int { isIPv4 ? 32 : 128 }

    /// Network-order bytes.
    public var bytes: [UInt8] {
        switch self {
        case .v4(let value): [UInt8(value >> 24), UInt8(value >> 16 & 0xff), UInt8(value >> 8 & 0xff), UInt8(value & 0xff)]
        case .v6(let bytes): bytes
        }
    }

    public var description: String {
        switch self {
        case .v4: return bytes.map(String.init).joined(separator: ".")
        case .v6(let b): return IPAddress.formatV6(b)
        }
    }

    public static func < (lhs: IPAddress, rhs: IPAddress) -> Bool {
        if lhs.family != rhs.family { return lhs.family < rhs.family }
        return lhs.bytes.lexicographicallyPrecedes(rhs.bytes)
    }

    /// The address with every bit after `prefixLength` cleared.
    public func masked(to prefixLength: Int) -> IPAddress {
        var out = bytes
        for i in 0..<out.count {
            let keep = max(0, min(8, prefixLength - i * 8))
            out[i] &= keep == 0 ? 0 : UInt8(truncatingIfNeeded: 0xff << (8 - keep))
        }
        return IPAddress(bytes: out)!
    }

    private static func parseV4(_ s: Substring) -> UInt32? {
        let parts = s.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var value: UInt32 = 0
        for part in parts {
            // Digits only: UInt8("+4") and UInt8("-0") would parse.
            guard !part.isEmpty, part.count <= 3, part.utf8.allSatisfy({ (0x30...0x39).contains($0) }), let octet = UInt8(part),
                  part.count == 1 || part.first != "0" else { return nil }
            value = value << 8 | UInt32(octet)
        }
        return value
    }

    private static func parseV6(_ s: Substring) -> [UInt8]? {
        guard s.contains(":"), s.allSatisfy({ $0.isHexDigit || $0 == ":" || $0 == "." }) else { return nil }
        let halves = s.split(separator: "::", omittingEmptySubsequences: false).map(String.init)
        guard halves.count <= 2 else { return nil }
        // A dotted IPv4 tail may only end the whole address, so only the last half may have one.
        func groups(_ part: String, isLast: Bool) -> [UInt16]? {
            if part.isEmpty { return [] }
            var out: [UInt16] = []
            let items = part.split(separator: ":", omittingEmptySubsequences: false)
            for (index, item) in items.enumerated() {
                if item.contains(".") {
                    guard isLast, index == items.count - 1, let v4 = parseV4(item) else { return nil }
                    out += [UInt16(v4 >> 16), UInt16(v4 & 0xffff)]
                } else {
                    guard (1...4).contains(item.count), let g = UInt16(item, radix: 16) else { return nil }
                    out.append(g)
                }
            }
            return out
        }
        guard let head = groups(halves[0], isLast: halves.count == 1) else { return nil }
        var all = head
        if halves.count == 2 {
            guard let tail = groups(halves[1], isLast: true), head.count + tail.count <= 7 else { return nil }
            all += Array(repeating: 0, count: 8 - head.count - tail.count) + tail
        }
        guard all.count == 8 else { return nil }
        return all.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xff)] }
    }

    /// RFC 5952 text: lower case, longest run of two or more zero groups shortened to `::`, and an
    /// IPv4-mapped address with its dotted tail (`::ffff:192.0.2.1`, §5), as `inet_ntop` prints it.
    private static func formatV6(_ b: [UInt8]) -> String {
        if b[0..<10].allSatisfy({ $0 == 0 }), b[10] == 0xff, b[11] == 0xff {
            return "::ffff:" + b[12...].map(String.init).joined(separator: ".")
        }
        let groups = (0..<8).map { UInt16(b[2 * $0]) << 8 | UInt16(b[2 * $0 + 1]) }
        var bestStart = -1, bestLength = 0, runStart = -1
        for i in 0...8 {
            if i < 8, groups[i] == 0 {
                if runStart < 0 { runStart = i }
            } else if runStart >= 0 {
                if i - runStart > bestLength, i - runStart >= 2 { bestStart = runStart; bestLength = i - runStart }
                runStart = -1
            }
        }
        func hex(_ range: Range<Int>) -> String { range.map { String(groups[$0], radix: 16) }.joined(separator: ":") }
        if bestStart < 0 { return hex(0..<8) }
        return hex(0..<bestStart) + "::" + hex((bestStart + bestLength)..<8)
    }
}

/// An address with a prefix length, as written in CIDR notation (`10.0.0.7/32`, `fe80::1/64`).
///
/// The address is kept as given (an interface address keeps its host bits); use ``network`` for
/// the masked form that routes and allowed-IPs need.
public struct IPNetwork: Hashable, Sendable, Comparable, CustomStringConvertible {
    public let address: IPAddress
    public let prefixLength: Int

    /// Creates a prefix; nil when the length exceeds the family's bit length.
    public init?(address: IPAddress, prefixLength: Int) {
        guard (0...address.bitLength).contains(prefixLength) else { return nil }
        self.address = address
        self.prefixLength = prefixLength
    }

    /// A single-host prefix (/32 or /128).
    public init(host: IPAddress) {
        self.address = host
        self.prefixLength = host.bitLength
    }

    /// Parses `address/length`; nil when either part is invalid or the length is missing.
    public init?(_ text: some StringProtocol) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2 else { return nil }
        // Digits only, without leading zeros: Int("+8") parses, and iproute2 reads "08" as octal.
        let digits = Array(parts[1].utf8)
        guard let address = IPAddress(parts[0]),
              !digits.isEmpty, digits.count <= 3, digits.allSatisfy({ (0x30...0x39).contains($0) }),
              digits.count == 1 || digits.first != 0x30, let length = Int(parts[1]) else { return nil }
        self.init(address: address, prefixLength: length)
    }

    /// Parses CIDR text, throwing an error that names the field and the value.
    public static func parse(_ text: String, field: String) throws -> IPNetwork {
        guard let network = IPNetwork(text) else {
            throw NetlinkError.invalidArgument(operation: "parse \(field)", reason: "\"\(text)\" is not a CIDR (address/prefix-length)")
        }
        return network
    }

    /// The prefix with its host bits cleared (`172.17.0.4/16` → `172.17.0.0/16`).
    public var network: IPNetwork { IPNetwork(address: address.masked(to: prefixLength), prefixLength: prefixLength)! }

    public func contains(_ other: IPAddress) -> Bool {
        other.family == address.family && other.masked(to: prefixLength) == address.masked(to: prefixLength)
    }

    public var description: String { "\(address)/\(prefixLength)" }

    public static func < (lhs: IPNetwork, rhs: IPNetwork) -> Bool {
        lhs.address == rhs.address ? lhs.prefixLength < rhs.prefixLength : lhs.address < rhs.address
    }
}
