/// An IP address configured on a link, as `RTM_GETADDR` reports it and `RTM_NEWADDR` takes it.
public struct Address: Sendable, Hashable, CustomStringConvertible {
    /// The link that carries the address.
    public var linkIndex: Int32
    /// The local address and its prefix length (`10.0.0.7/24`: host bits are kept).
    public var network: IPNetwork
    /// `IFA_LABEL` (IPv4 only), e.g. `eth0:web`. The kernel reports the link's name for an IPv4
    /// address added without a label.
    public var label: String?
    /// `ifa_scope`. For IPv6 the kernel derives it from the address and ignores what is sent.
    public var scope: RouteScope
    public var flags: AddressFlags
    /// `IFA_BROADCAST` (IPv4 only).
    public var broadcast: IPAddress?

    /// An address to add to the link with index `linkIndex`. IPv6 addresses usually want
    /// `flags: .noDAD` when they must be usable at once.
    public init(linkIndex: Int32, network: IPNetwork, label: String? = nil, scope: RouteScope = .universe,
                flags: AddressFlags = [], broadcast: IPAddress? = nil) {
        self.linkIndex = linkIndex
        self.network = network
        self.label = label
        self.scope = scope
        self.flags = flags
        self.broadcast = broadcast
    }

    public var family: IPFamily { network.address.ipFamily }

    public var description: String { "address \(network) on link \(linkIndex)" }
}

/// `IFA_F_*` of `linux/if_addr.h`, sent in full through `IFA_FLAGS` because `ifa_flags` has only 8 bits.
public struct AddressFlags: OptionSet, Sendable, Hashable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// `IFA_F_SECONDARY` (IPv4) / `IFA_F_TEMPORARY` (IPv6 privacy address).
    public static let secondary = AddressFlags(rawValue: 0x01)
    /// `IFA_F_NODAD`: skip IPv6 duplicate-address detection, so the address is usable at once.
    public static let noDAD = AddressFlags(rawValue: 0x02)
    /// `IFA_F_OPTIMISTIC`
    public static let optimistic = AddressFlags(rawValue: 0x04)
    /// `IFA_F_DADFAILED`
    public static let dadFailed = AddressFlags(rawValue: 0x08)
    /// `IFA_F_HOMEADDRESS`
    public static let homeAddress = AddressFlags(rawValue: 0x10)
    /// `IFA_F_DEPRECATED`
    public static let deprecated = AddressFlags(rawValue: 0x20)
    /// `IFA_F_TENTATIVE`: IPv6 duplicate-address detection has not finished.
    public static let tentative = AddressFlags(rawValue: 0x40)
    /// `IFA_F_PERMANENT`: no lifetime; the kernel sets it on every manually added address.
    public static let permanent = AddressFlags(rawValue: 0x80)
    /// `IFA_F_MANAGETEMPADDR`
    public static let manageTemporaryAddresses = AddressFlags(rawValue: 0x100)
    /// `IFA_F_NOPREFIXROUTE`: do not add the route to the prefix.
    public static let noPrefixRoute = AddressFlags(rawValue: 0x200)
    /// `IFA_F_MCAUTOJOIN`
    public static let multicastAutoJoin = AddressFlags(rawValue: 0x400)
    /// `IFA_F_STABLE_PRIVACY`
    public static let stablePrivacy = AddressFlags(rawValue: 0x800)
}

/// `IFA_*` attribute numbers of `linux/if_addr.h`.
enum AddressAttribute {
    /// `IFA_ADDRESS`: the prefix address, which is the peer on point-to-point links.
    static let address: UInt16 = 1
    /// `IFA_LOCAL`: the local address (IPv4, and IPv6 with a peer).
    static let local: UInt16 = 2
    /// `IFA_LABEL`
    static let label: UInt16 = 3
    /// `IFA_BROADCAST`
    static let broadcast: UInt16 = 4
    /// `IFA_FLAGS`
    static let flags: UInt16 = 8
}

// MARK: Messages

extension Address {
    /// `sizeof(struct ifaddrmsg)`.
    static let headerLength = 8

    /// Checks the parts the kernel would refuse with an unexplained `EINVAL`, or silently ignore.
    func validate(operation: String) throws {
        if let label {
            guard family == .ipv4 else {
                throw NetlinkError.invalidArgument(operation: operation, reason: "label \"\(label)\": only IPv4 addresses have labels")
            }
            guard !label.isEmpty, label.utf8.count <= InterfaceName.maximumBytes, !label.contains("\0") else {
                throw NetlinkError.invalidArgument(operation: operation, reason: "label \"\(label)\" must be 1 to \(InterfaceName.maximumBytes) bytes")
            }
        }
        if let broadcast, broadcast.ipFamily != .ipv4 || family != .ipv4 {
            throw NetlinkError.invalidArgument(operation: operation, reason: "broadcast \(broadcast): only IPv4 addresses have a broadcast address")
        }
        guard linkIndex > 0 else {
            throw NetlinkError.invalidArgument(operation: operation, reason: "link index \(linkIndex) must be positive")
        }
    }

    /// `RTM_NEWADDR` or `RTM_DELADDR` for this address.
    func message(_ type: UInt16, flags messageFlags: UInt16 = 0) -> NetlinkMessage {
        var message = NetlinkMessage(type: type, flags: messageFlags)
        message.append(family.rawValue)
        message.append(UInt8(network.prefixLength))
        message.append(UInt8(truncatingIfNeeded: flags.rawValue)) // the low bits; IFA_FLAGS has them all
        message.append(scope.rawValue)
        message.append(UInt32(bitPattern: linkIndex))
        let bytes = network.address.bytes
        // Without a peer both attributes carry the local address, as iproute2 sends them.
        message.attribute(AddressAttribute.local, bytes)
        message.attribute(AddressAttribute.address, bytes)
        if let label { message.attribute(AddressAttribute.label, string: label) }
        if let broadcast { message.attribute(AddressAttribute.broadcast, broadcast.bytes) }
        if !flags.isEmpty { message.attribute(AddressAttribute.flags, u32: flags.rawValue) }
        return message
    }

    /// Decodes one `RTM_NEWADDR` answer.
    init(reply: NetlinkReply) throws {
        let prefixLength = Int(try reply.read(UInt8.self, at: 1))
        let shortFlags = try reply.read(UInt8.self, at: 2)
        scope = RouteScope(rawValue: try reply.read(UInt8.self, at: 3))
        linkIndex = Int32(bitPattern: try reply.read(UInt32.self, at: 4))
        let attributes = try reply.attributes(after: Address.headerLength)
        let operation = "decode address on link \(linkIndex)"
        guard let raw = attributes[AddressAttribute.local] ?? attributes[AddressAttribute.address],
              let address = IPAddress(bytes: raw.payload),
              let network = IPNetwork(address: address, prefixLength: prefixLength) else {
            throw NetlinkError.malformedMessage(operation: operation, reason: "no valid IFA_LOCAL or IFA_ADDRESS with prefix length \(prefixLength)")
        }
        self.network = network
        flags = AddressFlags(rawValue: attributes[AddressAttribute.flags]?.u32 ?? UInt32(shortFlags))
        label = attributes[AddressAttribute.label]?.string
        broadcast = attributes[AddressAttribute.broadcast].flatMap { IPAddress(bytes: $0.payload) }
    }
}

// MARK: Operations

extension NetlinkHandle {
    /// Every address of every link, optionally of one family only.
    public func addresses(family: IPFamily? = nil) throws -> [Address] {
        var request = NetlinkMessage(type: RouteMessageType.getAddress)
        request.append(family?.rawValue ?? IPFamily.unspecified)
        request.append(zeros: Address.headerLength - 1)
        let operation = "list \(family.map { "\($0) " } ?? "")addresses"
        return try dump(request, operation)
            .filter { $0.type == RouteMessageType.newAddress }
            .map(Address.init(reply:))
    }

    /// The addresses of the link called `linkNamed`; ``NetlinkError/notFound(operation:)`` when
    /// there is no such link.
    public func addresses(linkNamed name: String, family: IPFamily? = nil) throws -> [Address] {
        let index = try link(named: name).index
        return try addresses(family: family).filter { $0.linkIndex == index }
    }

    /// Adds an address; one that is already there is ``NetlinkError/exists(operation:)``.
    public func addAddress(_ address: Address) throws {
        let operation = "add \(address)"
        try address.validate(operation: describe(operation))
        try execute(address.message(RouteMessageType.newAddress, flags: NetlinkFlags.create | NetlinkFlags.excl), operation)
    }

    /// Removes an address (matched by link, address and prefix length); a missing one is
    /// ``NetlinkError/notFound(operation:)``.
    public func deleteAddress(_ address: Address) throws {
        let operation = "delete \(address)"
        var match = address
        // Deletion matches on address, prefix and label; flags and scope of the request would only
        // make an otherwise matching address look different.
        match.flags = []
        match.scope = .universe
        match.broadcast = nil
        try match.validate(operation: describe(operation))
        try execute(match.message(RouteMessageType.deleteAddress), operation)
    }
}
