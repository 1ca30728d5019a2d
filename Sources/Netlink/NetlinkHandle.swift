/// The rtnetlink object API: links, addresses, routes and rules of one network namespace.
///
/// A handle owns one `NETLINK_ROUTE` socket. Opened with ``init(namespace:)``, the socket is
/// created inside that namespace and stays there, so every call acts on the namespace whatever
/// thread makes it; no thread ever has to `setns` to change links or routes. Calls are
/// serialised by the socket and block only for the kernel's answer.
///
/// The operations live in one file per object kind (`Link.swift`, `Address.swift`, `Route.swift`,
/// `Rule.swift`), in the manner of vishvananda/netlink.
public final class NetlinkHandle: Sendable {
    let socket: NetlinkSocket
    /// The namespace the handle acts on; nil for the one the handle was created in.
    public let namespace: NetworkNamespace?

    /// A handle on the calling thread's network namespace.
    public init() throws {
        socket = try NetlinkSocket(protocol: NetlinkSocket.route)
        namespace = nil
    }

    /// A handle on `namespace`. A namespace that does not exist is
    /// ``NetlinkError/notFound(operation:)``.
    public init(namespace: NetworkNamespace) throws {
        socket = try NetlinkSocket.open(protocol: NetlinkSocket.route, in: namespace)
        self.namespace = namespace
    }

    /// `operation` followed by the namespace when the handle has one, so an error read in a log
    /// says where it happened.
    func describe(_ operation: String) -> String {
        namespace.map { "\(operation) in \($0)" } ?? operation
    }

    /// Sends a request that changes something and waits for the acknowledgement.
    func execute(_ message: NetlinkMessage, _ operation: String) throws {
        try socket.request(message, operation: describe(operation))
    }

    /// Sends a dump request and returns every object the kernel listed.
    func dump(_ message: NetlinkMessage, _ operation: String) throws -> [NetlinkReply] {
        var request = message
        request.flags |= NetlinkFlags.dump
        return try socket.request(request, operation: describe(operation))
    }
}
