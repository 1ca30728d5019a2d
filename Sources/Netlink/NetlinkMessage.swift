/// One netlink request under construction: the family header and its attributes, encoded exactly as
/// the kernel reads them (host byte order, every attribute padded to 4 bytes).
///
/// It is a value type with no socket behind it, so the bytes of any request can be checked in a
/// unit test; ``NetlinkSocket`` adds the `nlmsghdr` (length, sequence, port) when it sends.
public struct NetlinkMessage: Sendable, Equatable {
    /// `nlmsg_type`: an rtnetlink message type or a generic-netlink family id.
    public var type: UInt16
    /// `nlmsg_flags` besides `NLM_F_REQUEST` and `NLM_F_ACK`, which the socket sets.
    public var flags: UInt16
    /// Family header followed by attributes.
    public private(set) var payload: [UInt8]

    public init(type: UInt16, flags: UInt16 = 0) {
        self.type = type
        self.flags = flags
        self.payload = []
        payload.reserveCapacity(256)
    }

    public static let headerLength = 16

    // MARK: Family header fields (written in order, host byte order)

    public mutating func append(_ value: UInt8) { payload.append(value) }
    public mutating func append(_ value: UInt16) { withUnsafeBytes(of: value) { payload += $0 } }
    public mutating func append(_ value: UInt32) { withUnsafeBytes(of: value) { payload += $0 } }
    public mutating func append(_ value: Int32) { withUnsafeBytes(of: value) { payload += $0 } }
    public mutating func append(zeros count: Int) { payload += repeatElement(0, count: count) }

    // MARK: Attributes

    /// Appends one attribute with a raw payload, padded to 4 bytes.
    public mutating func attribute(_ type: UInt16, _ bytes: some Collection<UInt8>) {
        let length = 4 + bytes.count
        append(UInt16(length))
        append(type)
        payload += bytes
        padToAlignment()
    }

    public mutating func attribute(_ type: UInt16, u8 value: UInt8) { attribute(type, [value]) }
    public mutating func attribute(_ type: UInt16, u16 value: UInt16) { withUnsafeBytes(of: value) { attribute(type, Array($0)) } }
    public mutating func attribute(_ type: UInt16, u32 value: UInt32) { withUnsafeBytes(of: value) { attribute(type, Array($0)) } }
    public mutating func attribute(_ type: UInt16, u64 value: UInt64) { withUnsafeBytes(of: value) { attribute(type, Array($0)) } }
    public mutating func attribute(_ type: UInt16, i32 value: Int32) { withUnsafeBytes(of: value) { attribute(type, Array($0)) } }
    /// A NUL-terminated string attribute (`NLA_NUL_STRING` / `NLA_STRING` both accept it).
    public mutating func attribute(_ type: UInt16, string value: String) { attribute(type, Array(value.utf8) + [0]) }
    /// An attribute with no payload (`NLA_FLAG`).
    public mutating func attribute(flag type: UInt16) { attribute(type, EmptyCollection<UInt8>()) }

    /// Appends a nested attribute (`NLA_F_NESTED` set) whose children `body` writes.
    public mutating func nested(_ type: UInt16, _ body: (inout NetlinkMessage) throws -> Void) rethrows {
        let start = payload.count
        append(UInt16(0))
        append(type | NetlinkAttribute.nestedFlag)
        try body(&self)
        let length = UInt16(payload.count - start)
        withUnsafeBytes(of: length) { payload.replaceSubrange(start..<start + 2, with: $0) }
    }

    /// The current payload size; a caller splitting big requests compares it with its budget.
    public var payloadLength: Int { payload.count }

    private mutating func padToAlignment() {
        let pad = (4 - payload.count % 4) % 4
        if pad > 0 { payload += repeatElement(0, count: pad) }
    }

    /// The whole message as sent: `nlmsghdr` (with `NLM_F_REQUEST | NLM_F_ACK` added) then payload.
    public func encoded(sequence: UInt32, portID: UInt32 = 0) -> [UInt8] {
        encoded(sequence: sequence, portID: portID, acknowledged: true)
    }

    /// Without `acknowledged` the kernel answers only if the request fails, which lets a batch wait
    /// for a single acknowledgement, that of its last message.
    func encoded(sequence: UInt32, portID: UInt32, acknowledged: Bool) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(Self.headerLength + payload.count)
        func put<T: FixedWidthInteger>(_ v: T) { withUnsafeBytes(of: v) { out += $0 } }
        put(UInt32(Self.headerLength + payload.count))
        put(type)
        put(flags | NetlinkFlags.request | (acknowledged ? NetlinkFlags.ack : 0))
        put(sequence)
        put(portID)
        out += payload
        return out
    }
}

/// `nlmsg_flags` values used by this module (from `linux/netlink.h`).
public enum NetlinkFlags {
    public static let request: UInt16 = 0x1
    public static let multi: UInt16 = 0x2
    public static let ack: UInt16 = 0x4
    public static let dump: UInt16 = 0x300
    public static let replace: UInt16 = 0x100
    public static let excl: UInt16 = 0x200
    public static let create: UInt16 = 0x400
    public static let append: UInt16 = 0x800
}

/// One message the kernel sent back: its type and flags, and the bytes after `nlmsghdr`.
public struct NetlinkReply: Sendable {
    public let type: UInt16
    public let flags: UInt16
    public let sequence: UInt32
    public let payload: ArraySlice<UInt8>

    /// Reads a fixed-size field of the family header at `offset`.
    public func read<T: FixedWidthInteger>(_: T.Type, at offset: Int) throws -> T {
        try payload.readInteger(T.self, at: offset)
    }

    /// Decodes the attributes that follow a family header of `headerLength` bytes.
    public func attributes(after headerLength: Int) throws -> NetlinkAttributes {
        guard payload.count >= headerLength else {
            throw NetlinkError.malformedMessage(operation: "decode message type \(type)", reason: "payload of \(payload.count) bytes is shorter than its \(headerLength)-byte header")
        }
        return try NetlinkAttributes(payload.dropFirst(headerLength))
    }
}

extension ArraySlice<UInt8> {
    func readInteger<T: FixedWidthInteger>(_: T.Type, at offset: Int) throws -> T {
        let size = MemoryLayout<T>.size
        guard offset >= 0, offset + size <= count else {
            throw NetlinkError.malformedMessage(operation: "read field", reason: "\(size) bytes at offset \(offset) exceed \(count)")
        }
        var value: T = 0
        Swift.withUnsafeMutableBytes(of: &value) { dst in
            for i in 0..<size { dst[i] = self[startIndex + offset + i] }
        }
        return value
    }
}
