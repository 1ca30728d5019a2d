import CMnl
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A netlink socket (libmnl) bound to the network namespace it was opened in.
///
/// A socket keeps the namespace it was created in for its whole life, so one opened through
/// ``init(protocol:in:)`` talks to that namespace from any thread: callers never hold a thread in
/// a namespace just to make requests. Calls are serialised by a mutex and block only for the
/// kernel's answer, which for local netlink is microseconds.
public final class NetlinkSocket: Sendable {
    /// `NETLINK_ROUTE`.
    public static let route: Int32 = 0
    /// `NETLINK_GENERIC`.
    public static let generic: Int32 = 16

    /// Owns the libmnl handle; only touched under ``state``'s lock.
    private final class Handle: @unchecked Sendable {
        let socket: OpaquePointer
        init(_ socket: OpaquePointer) { self.socket = socket }
        deinit { mnl_socket_close(socket) }
    }

    private struct State: Sendable {
        let handle: Handle
        var socket: OpaquePointer { handle.socket }
        var sequence: UInt32
        var buffer: [UInt8]
    }

    private let state: Mutex<State>
    /// The port id the kernel assigned at bind time.
    public let portID: UInt32
    /// The protocol this socket speaks (``route`` or ``generic``).
    public let netlinkProtocol: Int32

    /// Largest request batch sent in one `sendto`; acknowledgements are read after each, so the
    /// receive buffer never overflows however many messages a caller batches.
    static let batchBytes = 32 * 1024
    static let receiveBytes = 64 * 1024

    /// Opens a socket in the calling thread's network namespace.
    public init(protocol netlinkProtocol: Int32) throws {
        let operation = "open netlink socket (protocol \(netlinkProtocol))"
        guard let socket = mnl_socket_open(netlinkProtocol) else {
            throw NetlinkError(operation: operation, errno: errno)
        }
        let fd = mnl_socket_get_fd(socket)
        var on: Int32 = 1
        // CAP_ACK keeps acknowledgements small; EXT_ACK makes the kernel explain its refusals.
        _ = setsockopt(fd, Int32(SOL_NETLINK), Int32(NETLINK_CAP_ACK), &on, socklen_t(MemoryLayout<Int32>.size))
        _ = setsockopt(fd, Int32(SOL_NETLINK), Int32(NETLINK_EXT_ACK), &on, socklen_t(MemoryLayout<Int32>.size))
        var size: Int32 = 4 * 1024 * 1024
        _ = setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        _ = setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        guard mnl_socket_bind(socket, 0, pid_t(MNL_SOCKET_AUTOPID)) == 0 else {
            let code = errno
            mnl_socket_close(socket)
            throw NetlinkError(operation: operation, errno: code)
        }
        self.portID = mnl_socket_get_portid(socket)
        self.netlinkProtocol = netlinkProtocol
        self.state = Mutex(State(handle: Handle(socket), sequence: UInt32(truncatingIfNeeded: time(nil)),
                                 buffer: [UInt8](repeating: 0, count: Self.receiveBytes)))
    }

    /// Opens a socket inside `namespace`; the socket stays there after this returns.
    public static func open(protocol netlinkProtocol: Int32, in namespace: NetworkNamespace) throws -> NetlinkSocket {
        try namespace.perform { try NetlinkSocket(protocol: netlinkProtocol) }
    }

    /// Sends one request and returns the kernel's data replies (the dump for `NLM_F_DUMP`, the
    /// echoed object for a get). Throws the kernel's error for the request, naming `operation`.
    @discardableResult
    public func request(_ message: NetlinkMessage, operation: @autoclosure () -> String) throws -> [NetlinkReply] {
        try state.withLock { state in
            state.sequence &+= 1
            let sequence = state.sequence
            try send(message.encoded(sequence: sequence, portID: portID), state: &state, operation: operation)
            var replies: [NetlinkReply] = []
            let isDump = message.flags & NetlinkFlags.dump == NetlinkFlags.dump
            var finished = false
            while !finished {
                for reply in try receive(state: &state, operation: operation) where reply.sequence == sequence {
                    switch reply.type {
                    case NetlinkMessageType.error:
                        let (code, detail) = try Self.decodeError(reply)
                        if code != 0 { throw NetlinkError(operation: operation(), errno: code, detail: detail) }
                        if !isDump { finished = true }
                    case NetlinkMessageType.done:
                        let code = (try? reply.read(Int32.self, at: 0)) ?? 0
                        if code < 0 { throw NetlinkError(operation: operation(), errno: -code) }
                        finished = true
                    case NetlinkMessageType.noop, NetlinkMessageType.overrun:
                        continue
                    default:
                        replies.append(reply)
                    }
                }
            }
            return replies
        }
    }

    /// Sends many requests with as few syscalls as fit, waits until the kernel has handled every
    /// one, and throws the first failure (the others still run: the kernel processes each message
    /// on its own). `operation` names message `i` for the error text.
    ///
    /// Only the last message of each datagram asks for an acknowledgement. The kernel handles the
    /// messages of one datagram in order, inside the `sendto`, and always reports a failure; so
    /// once the last one is acknowledged every earlier failure has been queued, and a batch of
    /// 10,000 successful requests costs a few dozen syscalls rather than one receive per message.
    public func batch(_ messages: [NetlinkMessage], operation: (Int) -> String) throws {
        guard !messages.isEmpty else { return }
        try state.withLock { state in
            var firstError: NetlinkError?
            var index = 0
            while index < messages.count {
                var end = index
                var size = 0
                while end < messages.count {
                    let length = Self.aligned(NetlinkMessage.headerLength + messages[end].payloadLength)
                    if end > index, size + length > Self.batchBytes { break }
                    size += length
                    end += 1
                }
                var chunk: [UInt8] = []
                chunk.reserveCapacity(size)
                var pending: [UInt32: Int] = [:]
                for i in index..<end {
                    state.sequence &+= 1
                    chunk += messages[i].encoded(sequence: state.sequence, portID: portID, acknowledged: i == end - 1)
                    chunk += repeatElement(0, count: Self.aligned(chunk.count) - chunk.count)
                    pending[state.sequence] = i
                }
                let last = state.sequence
                let first = index
                try send(chunk, state: &state, operation: { operation(first) })
                var finished = false
                while !finished {
                    for reply in try receive(state: &state, operation: { operation(first) }) where reply.type == NetlinkMessageType.error {
                        guard let which = pending[reply.sequence] else { continue }
                        let (code, detail) = try Self.decodeError(reply)
                        if code != 0, firstError == nil {
                            firstError = NetlinkError(operation: operation(which), errno: code, detail: detail)
                        }
                        if reply.sequence == last { finished = true }
                    }
                }
                index = end
            }
            if let firstError { throw firstError }
        }
    }

    /// `NLMSG_ALIGN`: messages in one datagram start on 4-byte boundaries.
    static func aligned(_ length: Int) -> Int { (length + 3) & ~3 }

    private func send(_ bytes: [UInt8], state: inout State, operation: () -> String) throws {
        let sent = bytes.withUnsafeBytes { mnl_socket_sendto(state.socket, $0.baseAddress, $0.count) }
        guard sent == bytes.count else { throw NetlinkError(operation: operation(), errno: errno) }
    }

    private func receive(state: inout State, operation: () -> String) throws -> [NetlinkReply] {
        var received = 0
        repeat {
            let socket = state.socket
            received = state.buffer.withUnsafeMutableBytes { mnl_socket_recvfrom(socket, $0.baseAddress, $0.count) }
        } while received < 0 && errno == EINTR
        guard received >= 0 else { throw NetlinkError(operation: operation(), errno: errno) }
        return try Self.split(state.buffer[0..<received])
    }

    /// Splits a datagram into its messages.
    static func split(_ bytes: ArraySlice<UInt8>) throws -> [NetlinkReply] {
        var replies: [NetlinkReply] = []
        var offset = 0
        while offset + NetlinkMessage.headerLength <= bytes.count {
            let length = Int(try bytes.readInteger(UInt32.self, at: offset))
            guard length >= NetlinkMessage.headerLength, offset + length <= bytes.count else {
                throw NetlinkError.malformedMessage(operation: "receive", reason: "message length \(length) at offset \(offset) overruns \(bytes.count) bytes")
            }
            let start = bytes.startIndex + offset
            replies.append(NetlinkReply(
                type: try bytes.readInteger(UInt16.self, at: offset + 4),
                flags: try bytes.readInteger(UInt16.self, at: offset + 6),
                sequence: try bytes.readInteger(UInt32.self, at: offset + 8),
                payload: bytes[(start + NetlinkMessage.headerLength)..<(start + length)]))
            offset += (length + 3) & ~3
        }
        return replies
    }

    /// Decodes an `NLMSG_ERROR`: the positive errno (0 for an acknowledgement) and the kernel's
    /// extended-ack message, if any.
    static func decodeError(_ reply: NetlinkReply) throws -> (Int32, String) {
        let code = -(try reply.read(Int32.self, at: 0))
        guard code != 0, reply.flags & 0x200 != 0 else { return (code, "") } // NLM_F_ACK_TLVS
        let originalLength = reply.flags & 0x100 != 0 // NLM_F_CAPPED: only the request's header is echoed
            ? NetlinkMessage.headerLength
            : Int(try reply.read(UInt32.self, at: 4))
        let tlvs = try NetlinkAttributes(reply.payload.dropFirst(4 + originalLength))
        return (code, tlvs[1]?.string ?? "") // NLMSGERR_ATTR_MSG
    }
}

/// Control message types of `linux/netlink.h`.
public enum NetlinkMessageType {
    public static let noop: UInt16 = 1
    public static let error: UInt16 = 2
    public static let done: UInt16 = 3
    public static let overrun: UInt16 = 4
}

/// Carries a non-Sendable value across a thread hop that the sender waits for, so the value is
/// never used by two threads at once.
struct UncheckedBox<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
