/// A unicast (or blackhole, local, …) route of one routing table, as `RTM_GETROUTE` reports it
/// and `RTM_NEWROUTE` takes it. Multipath routes are not modelled.
public struct Route: Sendable, Hashable, CustomStringConvertible {
    public var family: IPFamily
    /// The destination prefix; nil for the default route (a /0 given to the initialiser becomes nil).
    public var destination: IPNetwork?
    /// `RTA_GATEWAY`: a next hop of the route's own family.
    public var gateway: IPAddress?
    /// `RTA_VIA`: a next hop of the *other* family, such as an IPv4 route via an IPv6 link-local
    /// address (`ip route add 0.0.0.0/0 via inet6 fe80::1 dev wg0`).
    public var via: IPAddress?
    /// `RTA_OIF`: the output link.
    public var linkIndex: Int32?
    /// The routing table (`RTA_TABLE`, 32 bits); see ``RouteTable``.
    public var table: UInt32
    public var scope: RouteScope
    /// Who installed the route (`rtm_protocol`).
    public var `protocol`: RouteProtocol
    public var type: RouteType
    /// `RTA_PRIORITY`, the metric. The kernel gives IPv6 routes 1024 when none is set.
    public var priority: UInt32?
    /// `RTA_PREFSRC`: the source address for locally generated packets.
    public var preferredSource: IPAddress?
    public var flags: RouteFlags

    /// A route to `destination` (nil: the default route).
    ///
    /// The family comes from `family`, else from the destination, else from the gateway, else it is
    /// IPv4: a default route given only `via: fe80::1` is the IPv4 default route through an IPv6
    /// next hop. A `via` of the route's own family is stored as the `gateway`, which is how the
    /// kernel reports it. Without `scope`, it is chosen as iproute2 does: `host` for local routes,
    /// `link` for routes without a next hop, `universe` otherwise.
    public init(destination: IPNetwork?, family: IPFamily? = nil, gateway: IPAddress? = nil, via: IPAddress? = nil,
                linkIndex: Int32? = nil, table: UInt32 = RouteTable.main, scope: RouteScope? = nil,
                protocol: RouteProtocol = .boot, type: RouteType = .unicast, priority: UInt32? = nil,
                preferredSource: IPAddress? = nil, flags: RouteFlags = []) {
        let family = family ?? destination?.address.ipFamily ?? gateway?.ipFamily ?? .ipv4
        self.family = family
        self.destination = destination?.prefixLength == 0 ? nil : destination
        if let via, via.ipFamily == family, gateway == nil {
            self.gateway = via
            self.via = nil
        } else {
            self.gateway = gateway
            self.via = via
        }
        self.linkIndex = linkIndex
        self.table = table
        self.scope = scope ?? Route.defaultScope(type: type, hasNextHop: gateway != nil || via != nil)
        self.protocol = `protocol`
        self.type = type
        self.priority = priority
        self.preferredSource = preferredSource
        self.flags = flags
    }

    private static func defaultScope(type: RouteType, hasNextHop: Bool) -> RouteScope {
        switch type {
        case .local, .nat: .host
        case .broadcast, .multicast, .anycast: .link
        case .unicast where !hasNextHop: .link
        default: .universe
        }
    }

    /// iproute2-like text: `route 10.0.0.0/24 via 10.0.0.1 dev #3 table 254`.
    public var description: String {
        var text = "route " + (destination.map(String.init(describing:)) ?? (family == .ipv4 ? "0.0.0.0/0" : "::/0"))
        if type != .unicast { text = "\(type) " + text }
        if let gateway { text += " via \(gateway)" }
        if let via { text += " via \(via.ipFamily) \(via)" }
        if let linkIndex { text += " dev #\(linkIndex)" }
        text += " table \(table)"
        if let priority { text += " metric \(priority)" }
        return text
    }
}

/// Well-known routing table ids (`RT_TABLE_*`); any other 32-bit id is a table of its own.
public enum RouteTable {
    /// `RT_TABLE_MAIN`: what `ip route` shows.
    public static let main: UInt32 = 254
    /// `RT_TABLE_LOCAL`: local and broadcast addresses, maintained by the kernel.
    public static let local: UInt32 = 255
    /// `RT_TABLE_DEFAULT`
    public static let `default`: UInt32 = 253
}

/// `rtm_protocol` (`RTPROT_*`): a tag for who installed a route; the kernel interprets only the
/// values below `static`.
public struct RouteProtocol: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let unspecified = RouteProtocol(rawValue: 0)
    /// `RTPROT_REDIRECT`
    public static let redirect = RouteProtocol(rawValue: 1)
    /// `RTPROT_KERNEL`: made by the kernel, e.g. the prefix route of an address.
    public static let kernel = RouteProtocol(rawValue: 2)
    /// `RTPROT_BOOT`: iproute2's default, shown without a `proto` word.
    public static let boot = RouteProtocol(rawValue: 3)
    /// `RTPROT_STATIC`: made by an administrator.
    public static let `static` = RouteProtocol(rawValue: 4)
    /// `RTPROT_RA`
    public static let routerAdvertisement = RouteProtocol(rawValue: 9)
    /// `RTPROT_DHCP`
    public static let dhcp = RouteProtocol(rawValue: 16)

    public var description: String {
        switch self {
        case .unspecified: "unspec"
        case .redirect: "redirect"
        case .kernel: "kernel"
        case .boot: "boot"
        case .static: "static"
        case .routerAdvertisement: "ra"
        case .dhcp: "dhcp"
        default: String(rawValue)
        }
    }
}

/// `rtm_type` (`RTN_*`).
public struct RouteType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// `RTN_UNSPEC`; in a delete request it matches any type.
    public static let unspecified = RouteType(rawValue: 0)
    /// `RTN_UNICAST`: a gateway or direct route.
    public static let unicast = RouteType(rawValue: 1)
    /// `RTN_LOCAL`: delivered to this host.
    public static let local = RouteType(rawValue: 2)
    /// `RTN_BROADCAST`
    public static let broadcast = RouteType(rawValue: 3)
    /// `RTN_ANYCAST`
    public static let anycast = RouteType(rawValue: 4)
    /// `RTN_MULTICAST`
    public static let multicast = RouteType(rawValue: 5)
    /// `RTN_BLACKHOLE`: dropped silently.
    public static let blackhole = RouteType(rawValue: 6)
    /// `RTN_UNREACHABLE`: dropped with "network unreachable".
    public static let unreachable = RouteType(rawValue: 7)
    /// `RTN_PROHIBIT`: dropped with "administratively prohibited".
    public static let prohibit = RouteType(rawValue: 8)
    /// `RTN_THROW`: lookup continues with the next rule.
    public static let `throw` = RouteType(rawValue: 9)
    /// `RTN_NAT`
    public static let nat = RouteType(rawValue: 10)

    public var description: String {
        switch self {
        case .unspecified: "unspec"
        case .unicast: "unicast"
        case .local: "local"
        case .broadcast: "broadcast"
        case .anycast: "anycast"
        case .multicast: "multicast"
        case .blackhole: "blackhole"
        case .unreachable: "unreachable"
        case .prohibit: "prohibit"
        case .throw: "throw"
        case .nat: "nat"
        default: String(rawValue)
        }
    }
}

/// Next-hop flags carried in `rtm_flags` (`RTNH_F_*`).
public struct RouteFlags: OptionSet, Hashable, Sendable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// `RTNH_F_DEAD` (reported only).
    public static let dead = RouteFlags(rawValue: 0x1)
    /// `RTNH_F_ONLINK`: use the gateway even though no local prefix covers it.
    public static let onLink = RouteFlags(rawValue: 0x4)
    /// `RTNH_F_LINKDOWN`: the output link has no carrier (reported only).
    public static let linkDown = RouteFlags(rawValue: 0x10)

    /// What a request may carry: the kernel refuses a route sent with the reported-only flags, so
    /// a route read back from a link that is down can still be copied into another table.
    static let requestable: RouteFlags = [.onLink]
}

/// `RTA_*` attribute numbers of `linux/rtnetlink.h`.
enum RouteAttribute {
    /// `RTA_DST`
    static let destination: UInt16 = 1
    /// `RTA_OIF`
    static let outputLink: UInt16 = 4
    /// `RTA_GATEWAY`
    static let gateway: UInt16 = 5
    /// `RTA_PRIORITY`
    static let priority: UInt16 = 6
    /// `RTA_PREFSRC`
    static let preferredSource: UInt16 = 7
    /// `RTA_TABLE`
    static let table: UInt16 = 15
    /// `RTA_VIA`: `struct rtvia`, a 16-bit address family followed by the address bytes.
    static let via: UInt16 = 18
}

// MARK: Messages

extension Route {
    /// `sizeof(struct rtmsg)`.
    static let headerLength = 12
    /// `RTM_F_CLONED`: a cached clone, not a configured route.
    static let clonedFlag: UInt32 = 0x200

    /// Checks what the kernel would refuse without saying which field was wrong.
    func validate(operation: String) throws {
        func fail(_ reason: String) -> NetlinkError { .invalidArgument(operation: operation, reason: reason) }
        if let destination, destination.address.ipFamily != family {
            throw fail("destination \(destination) is not an \(family) prefix")
        }
        if gateway != nil, via != nil { throw fail("a route has either a gateway or a via next hop, not both") }
        if let gateway, gateway.ipFamily != family {
            throw fail("gateway \(gateway) is not an \(family) address; a next hop of the other family goes in `via`")
        }
        if let preferredSource, preferredSource.ipFamily != family {
            throw fail("preferred source \(preferredSource) is not an \(family) address")
        }
        if let linkIndex, linkIndex <= 0 { throw fail("link index \(linkIndex) must be positive") }
    }

    /// `RTM_NEWROUTE` with `messageFlags` (create, replace, exclusive).
    func message(_ type: UInt16, flags messageFlags: UInt16) -> NetlinkMessage {
        var message = NetlinkMessage(type: type, flags: messageFlags)
        appendHeader(to: &message, scope: scope, protocol: `protocol`, type: self.type)
        appendAttributes(to: &message)
        return message
    }

    /// `RTM_DELROUTE`: scope, protocol and type are wildcards, so the route is found by its
    /// destination, table and whichever next hop, link and metric it names (as iproute2 does).
    func deleteMessage() -> NetlinkMessage {
        var message = NetlinkMessage(type: RouteMessageType.deleteRoute)
        appendHeader(to: &message, scope: .nowhere, protocol: .unspecified, type: .unspecified)
        appendAttributes(to: &message)
        return message
    }

    private func appendHeader(to message: inout NetlinkMessage, scope: RouteScope, protocol: RouteProtocol, type: RouteType) {
        message.append(family.rawValue)
        message.append(UInt8(destination?.prefixLength ?? 0))
        message.append(UInt8(0)) // rtm_src_len
        message.append(UInt8(0)) // rtm_tos
        message.append(table < 256 ? UInt8(table) : 0) // RT_TABLE_UNSPEC: RTA_TABLE holds the id
        message.append(`protocol`.rawValue)
        message.append(scope.rawValue)
        message.append(type.rawValue)
        message.append(flags.intersection(.requestable).rawValue)
    }

    private func appendAttributes(to message: inout NetlinkMessage) {
        message.attribute(RouteAttribute.table, u32: table)
        if let destination { message.attribute(RouteAttribute.destination, destination.address.bytes) }
        if let gateway { message.attribute(RouteAttribute.gateway, gateway.bytes) }
        if let via {
            var rtvia: [UInt8] = []
            withUnsafeBytes(of: UInt16(via.family)) { rtvia += $0 }
            message.attribute(RouteAttribute.via, rtvia + via.bytes)
        }
        if let linkIndex { message.attribute(RouteAttribute.outputLink, u32: UInt32(bitPattern: linkIndex)) }
        if let preferredSource { message.attribute(RouteAttribute.preferredSource, preferredSource.bytes) }
        if let priority { message.attribute(RouteAttribute.priority, u32: priority) }
    }

    /// Decodes one `RTM_NEWROUTE` answer; nil for families other than IPv4 and IPv6 (multicast
    /// routing tables share the dump).
    static func decode(_ reply: NetlinkReply) throws -> Route? {
        guard reply.type == RouteMessageType.newRoute,
              let family = IPFamily(rawValue: try reply.read(UInt8.self, at: 0)) else { return nil }
        let prefixLength = Int(try reply.read(UInt8.self, at: 1))
        let headerTable = UInt32(try reply.read(UInt8.self, at: 4))
        let routeProtocol = RouteProtocol(rawValue: try reply.read(UInt8.self, at: 5))
        let scope = RouteScope(rawValue: try reply.read(UInt8.self, at: 6))
        let type = RouteType(rawValue: try reply.read(UInt8.self, at: 7))
        let flags = RouteFlags(rawValue: try reply.read(UInt32.self, at: 8))
        let attributes = try reply.attributes(after: headerLength)
        let operation = "decode \(family) route"

        var destination: IPNetwork?
        if let raw = attributes[RouteAttribute.destination] {
            guard let address = IPAddress(bytes: raw.payload), let prefix = IPNetwork(address: address, prefixLength: prefixLength) else {
                throw NetlinkError.malformedMessage(operation: operation, reason: "bad RTA_DST of \(raw.payload.count) bytes, prefix length \(prefixLength)")
            }
            destination = prefix
        }
        var via: IPAddress?
        if let raw = attributes[RouteAttribute.via] {
            guard raw.payload.count > 2, let address = IPAddress(bytes: raw.payload.dropFirst(2)) else {
                throw NetlinkError.malformedMessage(operation: operation, reason: "bad RTA_VIA of \(raw.payload.count) bytes")
            }
            via = address
        }
        return Route(
            destination: destination, family: family,
            gateway: attributes[RouteAttribute.gateway].flatMap { IPAddress(bytes: $0.payload) },
            via: via,
            linkIndex: attributes[RouteAttribute.outputLink]?.i32,
            table: attributes[RouteAttribute.table]?.u32 ?? headerTable,
            scope: scope,
            protocol: routeProtocol,
            type: type,
            priority: attributes[RouteAttribute.priority]?.u32,
            preferredSource: attributes[RouteAttribute.preferredSource].flatMap { IPAddress(bytes: $0.payload) },
            flags: flags)
    }
}

// MARK: Operations

extension NetlinkHandle {
    /// The routes of `table` (nil: every table), optionally of one family and one output link.
    /// Cached clones are left out.
    public func routes(table: UInt32? = RouteTable.main, family: IPFamily? = nil, linkIndex: Int32? = nil) throws -> [Route] {
        var request = NetlinkMessage(type: RouteMessageType.getRoute)
        request.append(family?.rawValue ?? IPFamily.unspecified)
        request.append(zeros: Route.headerLength - 1)
        let replies = try dump(request, "list routes" + (table.map { " of table \($0)" } ?? ""))
        return try replies.compactMap { reply -> Route? in
            guard let flags = try? reply.read(UInt32.self, at: 8), flags & Route.clonedFlag == 0 else { return nil }
            return try Route.decode(reply)
        }.filter { route in
            (table.map { route.table == $0 } ?? true) && (linkIndex.map { route.linkIndex == $0 } ?? true)
        }
    }

    /// Adds a route; an existing route to the same destination (and metric) is
    /// ``NetlinkError/exists(operation:)``.
    public func addRoute(_ route: Route) throws {
        let operation = "add \(route)"
        try route.validate(operation: describe(operation))
        try execute(route.message(RouteMessageType.newRoute, flags: NetlinkFlags.create | NetlinkFlags.excl), operation)
    }

    /// Adds a route or overwrites the one to the same destination (and metric).
    public func replaceRoute(_ route: Route) throws {
        let operation = "replace \(route)"
        try route.validate(operation: describe(operation))
        try execute(route.message(RouteMessageType.newRoute, flags: NetlinkFlags.create | NetlinkFlags.replace), operation)
    }

    /// Deletes a route; a missing one is ``NetlinkError/notFound(operation:)``.
    public func deleteRoute(_ route: Route) throws {
        let operation = "delete \(route)"
        try route.validate(operation: describe(operation))
        try execute(route.deleteMessage(), operation)
    }

    /// Replaces many routes with a few system calls (``NetlinkSocket/batch(_:operation:)``). Every
    /// route is validated before anything is sent; the kernel then handles each on its own, so on
    /// a failure the others are still applied and the first error is thrown.
    public func replaceRoutes(_ routes: [Route]) throws {
        let messages = try routes.map { route in
            try route.validate(operation: describe("replace \(route)"))
            return route.message(RouteMessageType.newRoute, flags: NetlinkFlags.create | NetlinkFlags.replace)
        }
        try socket.batch(messages) { describe("replace \(routes[$0])") }
    }

    /// Deletes many routes with a few system calls; like ``replaceRoutes(_:)``, every route is
    /// attempted and the first error is thrown.
    public func deleteRoutes(_ routes: [Route]) throws {
        let messages = try routes.map { route in
            try route.validate(operation: describe("delete \(route)"))
            return route.deleteMessage()
        }
        try socket.batch(messages) { describe("delete \(routes[$0])") }
    }
}
