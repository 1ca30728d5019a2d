/// A network interface as `RTM_GETLINK` reports it.
public struct Link: Sendable, Hashable, CustomStringConvertible {
    /// `ifi_index`: stable for the link's life in its namespace, changed by a move to another one.
    public var index: Int32
    public var name: String
    /// `IFLA_INFO_KIND` (`veth`, `bridge`, `wireguard`, …); nil for devices without a link type,
    /// such as `lo` or a TUN device made through `/dev/net/tun`.
    public var kind: String?
    /// `ifi_flags` (`IFF_*` of `linux/if.h`).
    public var flags: UInt32
    public var mtu: UInt32
    /// `IFLA_IFALIAS`; nil when none is set.
    public var alias: String?
    /// `IFLA_ADDRESS`; nil for devices without one (layer-3 tunnels such as WireGuard).
    public var hardwareAddress: HardwareAddress?
    /// `IFLA_LINK`: the peer of a veth or the lower device of a VLAN; absent for standalone links.
    /// The index is in the namespace of ``parentNamespaceID`` when that is set.
    public var parentIndex: Int32?
    /// `IFLA_LINK_NETNSID`: the id, as this namespace knows it, of the namespace holding the parent.
    public var parentNamespaceID: Int32?

    /// `IFF_UP`: administratively up.
    public var isUp: Bool { flags & Link.upFlag != 0 }
    /// `IFF_LOWER_UP`: the driver reports a carrier.
    public var hasCarrier: Bool { flags & Link.lowerUpFlag != 0 }

    public var description: String { "link \"\(name)\" (index \(index)\(kind.map { ", \($0)" } ?? ""))" }

    static let upFlag: UInt32 = 0x1 // IFF_UP
    static let lowerUpFlag: UInt32 = 0x10000 // IFF_LOWER_UP
}

/// A link-layer address, printed as iproute2 does (`aa:bb:cc:dd:ee:ff`).
public struct HardwareAddress: Hashable, Sendable, CustomStringConvertible {
    public let bytes: [UInt8]
    public init(bytes: [UInt8]) { self.bytes = bytes }

    public var description: String {
        bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined(separator: ":")
    }
}

/// `IFLA_*` attribute numbers of `linux/if_link.h`.
enum LinkAttribute {
    /// `IFLA_ADDRESS`
    static let address: UInt16 = 1
    /// `IFLA_IFNAME`
    static let name: UInt16 = 3
    /// `IFLA_MTU`
    static let mtu: UInt16 = 4
    /// `IFLA_LINK`
    static let link: UInt16 = 5
    /// `IFLA_LINKINFO`
    static let info: UInt16 = 18
    /// `IFLA_IFALIAS`
    static let alias: UInt16 = 20
    /// `IFLA_NET_NS_FD`
    static let namespaceFD: UInt16 = 28
    /// `IFLA_LINK_NETNSID`
    static let linkNamespaceID: UInt16 = 37

    /// `IFLA_INFO_KIND`, inside `IFLA_LINKINFO`.
    static let infoKind: UInt16 = 1
    /// `IFLA_INFO_DATA`, inside `IFLA_LINKINFO`.
    static let infoData: UInt16 = 2
    /// `VETH_INFO_PEER` (`linux/veth.h`), inside `IFLA_INFO_DATA` of a veth.
    static let vethPeer: UInt16 = 1

    /// `IFALIASZ` minus one: the longest alias the kernel stores.
    static let aliasMaximumBytes = 255
}

// MARK: Messages

extension Link {
    /// `sizeof(struct ifinfomsg)`.
    static let headerLength = 16

    /// Appends a `struct ifinfomsg`: family `AF_UNSPEC`, the link index (0 when the request names
    /// the link with `IFLA_IFNAME` instead), and the flags to change.
    static func appendHeader(to message: inout NetlinkMessage, index: Int32 = 0, flags: UInt32 = 0, change: UInt32 = 0) {
        message.append(IPFamily.unspecified)
        message.append(UInt8(0)) // __ifi_pad
        message.append(UInt16(0)) // ifi_type: set by the driver
        message.append(index)
        message.append(flags)
        message.append(change)
    }

    /// A request aimed at one existing link, identified by name (the kernel resolves `IFLA_IFNAME`
    /// when the index is 0, so lookup and change happen in one message, with no race in between).
    static func message(_ type: UInt16, named name: String, flags: UInt32 = 0, change: UInt32 = 0) -> NetlinkMessage {
        var message = NetlinkMessage(type: type)
        appendHeader(to: &message, flags: flags, change: change)
        message.attribute(LinkAttribute.name, string: name)
        return message
    }

    /// `RTM_NEWLINK` for a link of `kind` with no type-specific data.
    static func newLinkMessage(name: String, kind: String) -> NetlinkMessage {
        var message = NetlinkMessage(type: RouteMessageType.newLink, flags: NetlinkFlags.create | NetlinkFlags.excl)
        appendHeader(to: &message)
        message.attribute(LinkAttribute.name, string: name)
        message.nested(LinkAttribute.info) { $0.attribute(LinkAttribute.infoKind, string: kind) }
        return message
    }

    /// `RTM_NEWLINK` for a veth pair. The peer's description is a whole `ifinfomsg` plus attributes;
    /// passing `peerNamespaceFD` makes the kernel create the peer directly in that namespace.
    static func newVethMessage(name: String, peerName: String, peerNamespaceFD: Int32?) -> NetlinkMessage {
        var message = NetlinkMessage(type: RouteMessageType.newLink, flags: NetlinkFlags.create | NetlinkFlags.excl)
        appendHeader(to: &message)
        message.attribute(LinkAttribute.name, string: name)
        message.nested(LinkAttribute.info) { info in
            info.attribute(LinkAttribute.infoKind, string: "veth")
            info.nested(LinkAttribute.infoData) { data in
                var peer = NetlinkMessage(type: 0)
                appendHeader(to: &peer)
                peer.attribute(LinkAttribute.name, string: peerName)
                if let peerNamespaceFD { peer.attribute(LinkAttribute.namespaceFD, u32: UInt32(bitPattern: peerNamespaceFD)) }
                // Written without NLA_F_NESTED, as iproute2 does: the payload starts with a struct,
                // so it is not a plain attribute list.
                data.attribute(LinkAttribute.vethPeer, peer.payload)
            }
        }
        return message
    }

    /// Decodes one `RTM_NEWLINK` answer.
    init(reply: NetlinkReply) throws {
        index = try reply.read(Int32.self, at: 4)
        flags = try reply.read(UInt32.self, at: 8)
        let attributes = try reply.attributes(after: Link.headerLength)
        name = attributes[LinkAttribute.name]?.string ?? ""
        mtu = attributes[LinkAttribute.mtu]?.u32 ?? 0
        alias = attributes[LinkAttribute.alias].map(\.string).flatMap { $0.isEmpty ? nil : $0 }
        hardwareAddress = attributes[LinkAttribute.address].flatMap { $0.payload.isEmpty ? nil : HardwareAddress(bytes: Array($0.payload)) }
        parentIndex = attributes[LinkAttribute.link]?.i32
        parentNamespaceID = attributes[LinkAttribute.linkNamespaceID]?.i32
        kind = try attributes[LinkAttribute.info]?.nested()[LinkAttribute.infoKind]?.string
    }
}

// MARK: Operations

extension NetlinkHandle {
    /// Every link of the namespace, in index order.
    public func links() throws -> [Link] {
        var request = NetlinkMessage(type: RouteMessageType.getLink)
        Link.appendHeader(to: &request)
        return try dump(request, "list links").map(Link.init(reply:))
    }

    /// The link called `name`; ``NetlinkError/notFound(operation:)`` naming it when there is none.
    public func link(named name: String) throws -> Link {
        let operation = "get link \"\(name)\""
        try InterfaceName.validate(name, operation: operation)
        return try single(Link.message(RouteMessageType.getLink, named: name), operation)
    }

    /// The link with index `index`; ``NetlinkError/notFound(operation:)`` naming it when there is none.
    public func link(index: Int32) throws -> Link {
        let operation = "get link with index \(index)"
        guard index > 0 else { throw NetlinkError.invalidArgument(operation: describe(operation), reason: "link index must be positive") }
        var request = NetlinkMessage(type: RouteMessageType.getLink)
        Link.appendHeader(to: &request, index: index)
        return try single(request, operation)
    }

    /// Creates a veth pair. With `peerNamespace`, the peer is created directly inside it, so it
    /// never appears here and needs no separate move. Either both ends exist afterwards or neither.
    @discardableResult
    public func addVeth(name: String, peerName: String, peerNamespace: NetworkNamespace? = nil) throws -> Link {
        let operation = "add veth \"\(name)\" with peer \"\(peerName)\"" + (peerNamespace.map { " in \($0)" } ?? "")
        try InterfaceName.validate(name, operation: operation)
        try InterfaceName.validate(peerName, operation: operation)
        if let peerNamespace {
            try peerNamespace.withDescriptor(for: describe(operation)) { fd in
                try execute(Link.newVethMessage(name: name, peerName: peerName, peerNamespaceFD: fd), operation)
            }
        } else {
            try execute(Link.newVethMessage(name: name, peerName: peerName, peerNamespaceFD: nil), operation)
        }
        return try link(named: name)
    }

    /// Creates a link of `kind` that needs no type-specific attributes (`bridge`, `wireguard`, …).
    /// A kind the kernel does not know is ``NetlinkError/notSupported(operation:detail:)``, with
    /// the kernel's explanation ("Unknown device type") as the detail.
    @discardableResult
    public func addLink(name: String, kind: String) throws -> Link {
        let operation = "add link \"\(name)\" of kind \(kind)"
        try InterfaceName.validate(name, operation: operation)
        guard !kind.isEmpty, kind.utf8.count < 64, !kind.contains("\0") else {
            throw NetlinkError.invalidArgument(operation: describe(operation), reason: "link kind \"\(kind)\" is not a kernel link type name")
        }
        try execute(Link.newLinkMessage(name: name, kind: kind), operation)
        return try link(named: name)
    }

    /// Deletes the link called `name` (for a veth, both ends go).
    public func deleteLink(named name: String) throws {
        let operation = "delete link \"\(name)\""
        try InterfaceName.validate(name, operation: operation)
        try execute(Link.message(RouteMessageType.deleteLink, named: name), operation)
    }

    /// Sets `IFF_UP` on the link called `name`.
    public func setLinkUp(_ name: String) throws {
        let operation = "set link \"\(name)\" up"
        try InterfaceName.validate(name, operation: operation)
        try execute(Link.message(RouteMessageType.setLink, named: name, flags: Link.upFlag, change: Link.upFlag), operation)
    }

    /// Clears `IFF_UP` on the link called `name`.
    public func setLinkDown(_ name: String) throws {
        let operation = "set link \"\(name)\" down"
        try InterfaceName.validate(name, operation: operation)
        try execute(Link.message(RouteMessageType.setLink, named: name, flags: 0, change: Link.upFlag), operation)
    }

    /// Sets the MTU; the kernel refuses values outside the device's range with `EINVAL`.
    public func setMTU(_ name: String, _ mtu: UInt32) throws {
        let operation = "set mtu \(mtu) on link \"\(name)\""
        try InterfaceName.validate(name, operation: operation)
        var request = Link.message(RouteMessageType.setLink, named: name)
        request.attribute(LinkAttribute.mtu, u32: mtu)
        try execute(request, operation)
    }

    /// Renames a link. The kernel refuses to rename a link that is up (`EBUSY`): set it down first.
    public func renameLink(_ name: String, to newName: String) throws {
        let operation = "rename link \"\(name)\" to \"\(newName)\""
        try InterfaceName.validate(name, operation: operation)
        try InterfaceName.validate(newName, operation: operation)
        // IFLA_IFNAME carries the new name here, so the link has to be named by its index.
        let index = try link(named: name).index
        var request = NetlinkMessage(type: RouteMessageType.setLink)
        Link.appendHeader(to: &request, index: index)
        request.attribute(LinkAttribute.name, string: newName)
        try execute(request, operation)
    }

    /// Sets the link's alias (`IFLA_IFALIAS`); an empty alias removes it. This is a request of its
    /// own because the kernel ignores an alias given when a link is created.
    public func setAlias(_ name: String, _ alias: String) throws {
        let operation = "set alias \"\(alias)\" on link \"\(name)\""
        try InterfaceName.validate(name, operation: operation)
        guard alias.utf8.count <= LinkAttribute.aliasMaximumBytes, !alias.contains("\0") else {
            throw NetlinkError.invalidArgument(operation: describe(operation),
                                               reason: "alias must be at most \(LinkAttribute.aliasMaximumBytes) bytes without NUL")
        }
        var request = Link.message(RouteMessageType.setLink, named: name)
        // Sent without a trailing NUL, as iproute2 does: the kernel stores exactly the bytes given,
        // and a zero-length payload clears the alias.
        request.attribute(LinkAttribute.alias, Array(alias.utf8))
        try execute(request, operation)
    }

    /// Moves the link called `name` into `namespace` (by descriptor, `IFLA_NET_NS_FD`), optionally
    /// renaming it on the way so that a name taken here is never needed there. Addresses and
    /// routes do not follow a link across namespaces; its index may change.
    public func moveLink(_ name: String, to namespace: NetworkNamespace, newName: String? = nil) throws {
        let operation = "move link \"\(name)\" to \(namespace)" + (newName.map { " as \"\($0)\"" } ?? "")
        try InterfaceName.validate(name, operation: operation)
        var request: NetlinkMessage
        if let newName {
            try InterfaceName.validate(newName, operation: operation)
            request = NetlinkMessage(type: RouteMessageType.setLink)
            Link.appendHeader(to: &request, index: try link(named: name).index)
            request.attribute(LinkAttribute.name, string: newName)
        } else {
            request = Link.message(RouteMessageType.setLink, named: name)
        }
        try namespace.withDescriptor(for: describe(operation)) { fd in
            var message = request
            message.attribute(LinkAttribute.namespaceFD, u32: UInt32(bitPattern: fd))
            try execute(message, operation)
        }
    }

    private func single(_ request: NetlinkMessage, _ operation: String) throws -> Link {
        let replies = try socket.request(request, operation: describe(operation))
        guard let reply = replies.first(where: { $0.type == RouteMessageType.newLink }) else {
            throw NetlinkError.malformedMessage(operation: describe(operation), reason: "no link in the answer")
        }
        return try Link(reply: reply)
    }
}
