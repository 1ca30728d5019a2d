/// One decoded netlink attribute. `type` has the `NLA_F_NESTED` / `NLA_F_NET_BYTEORDER` bits removed.
public struct NetlinkAttribute: Sendable {
    public static let nestedFlag: UInt16 = 0x8000
    public static let netByteOrderFlag: UInt16 = 0x4000
    static let typeMask: UInt16 = 0x3fff

    public let type: UInt16
    public let payload: ArraySlice<UInt8>

    public var u8: UInt8? { payload.count >= 1 ? payload.first : nil }
    public var u16: UInt16? { try? payload.readInteger(UInt16.self, at: 0) }
    public var u32: UInt32? { try? payload.readInteger(UInt32.self, at: 0) }
    public var u64: UInt64? { try? payload.readInteger(UInt64.self, at: 0) }
    public var i32: Int32? { try? payload.readInteger(Int32.self, at: 0) }
    /// The payload as text, without the trailing NUL the kernel usually sends.
    public var string: String {
        let bytes = payload.prefix { $0 != 0 }
        return String(decoding: bytes, as: UTF8.self)
    }
    /// The payload read as a sequence of attributes.
    public func nested() throws -> NetlinkAttributes { try NetlinkAttributes(payload) }
}

/// The attributes of one message or one nest, in wire order. Lookups return the last occurrence,
/// as the kernel's own `nla_parse` does.
public struct NetlinkAttributes: Sendable, Sequence {
    public let all: [NetlinkAttribute]

    public init(_ bytes: ArraySlice<UInt8>) throws {
        var result: [NetlinkAttribute] = []
        var offset = 0
        while offset + 4 <= bytes.count {
            let length = Int(try bytes.readInteger(UInt16.self, at: offset))
            let rawType = try bytes.readInteger(UInt16.self, at: offset + 2)
            guard length >= 4, offset + length <= bytes.count else {
                throw NetlinkError.malformedMessage(operation: "decode attributes", reason: "attribute length \(length) at offset \(offset) overruns \(bytes.count) bytes")
            }
            let start = bytes.startIndex + offset
            result.append(NetlinkAttribute(type: rawType & NetlinkAttribute.typeMask, payload: bytes[(start + 4)..<(start + length)]))
            offset += (length + 3) & ~3
        }
        all = result
    }

    public subscript(type: UInt16) -> NetlinkAttribute? { all.last { $0.type == type } }
    public func makeIterator() -> IndexingIterator<[NetlinkAttribute]> { all.makeIterator() }
}
