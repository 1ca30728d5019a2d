#if canImport(Glibc)
import Glibc
#endif

/// rtnetlink message types (`RTM_*` in `linux/rtnetlink.h`). The values are fixed kernel ABI;
/// Swift does not import the header's anonymous enums as typed constants, so they are spelled here.
enum RouteMessageType {
    /// `RTM_NEWLINK`
    static let newLink: UInt16 = 16
    /// `RTM_DELLINK`
    static let deleteLink: UInt16 = 17
    /// `RTM_GETLINK`
    static let getLink: UInt16 = 18
    /// `RTM_SETLINK`
    static let setLink: UInt16 = 19
    /// `RTM_NEWADDR`
    static let newAddress: UInt16 = 20
    /// `RTM_DELADDR`
    static let deleteAddress: UInt16 = 21
    /// `RTM_GETADDR`
    static let getAddress: UInt16 = 22
    /// `RTM_NEWROUTE`
    static let newRoute: UInt16 = 24
    /// `RTM_DELROUTE`
    static let deleteRoute: UInt16 = 25
    /// `RTM_GETROUTE`
    static let getRoute: UInt16 = 26
    /// `RTM_NEWRULE`
    static let newRule: UInt16 = 32
    /// `RTM_DELRULE`
    static let deleteRule: UInt16 = 33
    /// `RTM_GETRULE`
    static let getRule: UInt16 = 34
}

/// An IP address family as rtnetlink headers carry it.
public enum IPFamily: UInt8, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// `AF_INET`
    case ipv4 = 2
    /// `AF_INET6`
    case ipv6 = 10

    /// `AF_UNSPEC`, which asks a dump for every family.
    static let unspecified: UInt8 = 0

    public var description: String { self == .ipv4 ? "inet" : "inet6" }
}

extension IPAddress {
    /// The family of this address.
    public var ipFamily: IPFamily { isIPv4 ? .ipv4 : .ipv6 }
}

/// How far a destination or an address reaches (`rtm_scope`, `ifa_scope`; `RT_SCOPE_*`).
///
/// A raw-value struct rather than an enum because the kernel accepts, and reports, any byte.
public struct RouteScope: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// `RT_SCOPE_UNIVERSE`: reached through a gateway; iproute2 prints it as `global`.
    public static let universe = RouteScope(rawValue: 0)
    /// `RT_SCOPE_SITE`
    public static let site = RouteScope(rawValue: 200)
    /// `RT_SCOPE_LINK`: directly on an attached link.
    public static let link = RouteScope(rawValue: 253)
    /// `RT_SCOPE_HOST`: this host's own addresses.
    public static let host = RouteScope(rawValue: 254)
    /// `RT_SCOPE_NOWHERE`: no destination; in a delete request it matches any scope.
    public static let nowhere = RouteScope(rawValue: 255)

    /// The word iproute2 uses (`global`, `link`, `host`, …), or the number.
    public var description: String {
        switch self {
        case .universe: "global"
        case .site: "site"
        case .link: "link"
        case .host: "host"
        case .nowhere: "nowhere"
        default: String(rawValue)
        }
    }
}

/// Checks interface names before they reach the kernel, with the kernel's own rules
/// (`dev_valid_name`), so a bad name fails with a message naming it rather than a bare `EINVAL`.
/// `%` is refused too: the kernel would expand `wg%d` into a name the caller never asked for, and
/// the link could not be found again under the name given.
public enum InterfaceName {
    /// `IFNAMSIZ` minus the terminating NUL.
    public static let maximumBytes = 15

    /// Why the kernel would refuse `name` ("it is 20 bytes; at most 15 are allowed"), or nil when it
    /// is a valid interface name.
    public static func problem(with name: String) -> String? {
        if name.isEmpty { return "it is empty" }
        if name.utf8.count > maximumBytes { return "it is \(name.utf8.count) bytes; at most \(maximumBytes) are allowed" }
        if name == "." || name == ".." { return "it is reserved" }
        if let bad = name.first(where: { $0 == "/" || $0 == ":" || $0 == "%" || $0 == "\0" || $0.isWhitespace }) {
            return "it contains \(bad.isWhitespace || bad == "\0" ? "whitespace or NUL" : "'\(bad)'")"
        }
        return nil
    }

    /// Throws ``NetlinkError/invalidArgument(operation:reason:)`` naming `name` when the kernel would refuse it.
    public static func validate(_ name: String, operation: String) throws {
        if let problem = problem(with: name) {
            throw NetlinkError.invalidArgument(operation: operation, reason: "interface name \"\(name)\": \(problem)")
        }
    }
}

extension NetworkNamespace {
    /// Opens this namespace for the duration of `body`, which gets the descriptor to put into an
    /// `IFLA_NET_NS_FD` attribute. A missing namespace is ``NetlinkError/notFound(operation:)``
    /// naming both the namespace and the operation that needed it.
    func withDescriptor<T>(for operation: String, _ body: (Int32) throws -> T) throws -> T {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw NetlinkError(operation: "\(operation): open \(self)", errno: errno) }
        defer { close(fd) }
        return try body(fd)
    }
}
