/// An IPv4 address, for the emulator's address allocation.
struct IPv4Address: Hashable, Comparable, Sendable, CustomStringConvertible {
    var value: UInt32

    init(_ value: UInt32) { self.value = value }

    init?(_ text: String) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var value: UInt32 = 0
        for part in parts {
            guard !part.isEmpty, part.count <= 3, let octet = UInt8(part) else { return nil }
            value = value << 8 | UInt32(octet)
        }
        self.value = value
    }

    var description: String {
        [24, 16, 8, 0].map { String(value >> UInt32($0) & 0xFF) }.joined(separator: ".")
    }

    static func < (left: IPv4Address, right: IPv4Address) -> Bool { left.value < right.value }
}

/// An IPv4 prefix, `a.b.c.d/n`.
struct IPv4Prefix: Hashable, Sendable, CustomStringConvertible {
    var network: IPv4Address
    var length: Int

    init?(_ text: String) {
        let parts = text.split(separator: "/")
        guard parts.count == 2, let address = IPv4Address(String(parts[0])), let length = Int(parts[1]),
              (0...32).contains(length)
        else { return nil }
        self.init(network: address, length: length)
    }

    init(network: IPv4Address, length: Int) {
        self.length = length
        self.network = IPv4Address(network.value & Self.mask(length))
    }

    static func mask(_ length: Int) -> UInt32 { length == 0 ? 0 : ~UInt32(0) << UInt32(32 - length) }

    var size: UInt64 { UInt64(1) << UInt64(32 - length) }
    var first: IPv4Address { network }
    var last: IPv4Address { IPv4Address(network.value | ~Self.mask(length)) }

    func contains(_ address: IPv4Address) -> Bool { address.value & Self.mask(length) == network.value }

    func overlaps(_ other: IPv4Prefix) -> Bool { contains(other.network) || other.contains(network) }

    var description: String { "\(network)/\(length)" }

    /// The addresses Azure hands out in a subnet: the network address, the gateway and two DNS addresses at the
    /// start, and the broadcast address at the end, are reserved.
    var subnetHosts: ClosedRange<UInt32>? {
        guard length <= 29 else { return nil }
        return (network.value + 4)...(last.value - 1)
    }

    /// The aligned sub-prefixes of `length` inside this one, in order.
    func subprefixes(of length: Int) -> [IPv4Prefix] {
        guard length >= self.length, length <= 32 else { return [] }
        let step = UInt64(1) << UInt64(32 - length)
        return stride(from: UInt64(network.value), to: UInt64(network.value) + size, by: Int(step)).map {
            IPv4Prefix(network: IPv4Address(UInt32($0)), length: length)
        }
    }
}
