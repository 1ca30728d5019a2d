/// A generic-netlink family as the kernel's controller (`nlctrl`) describes it.
public struct GenericNetlinkFamily: Sendable, Equatable {
    public let name: String
    /// The message type to use for this family's requests.
    public let id: UInt16
    public let version: UInt32
    /// Multicast group names and ids.
    public let multicastGroups: [String: UInt32]
}

/// The `genlmsghdr` that follows `nlmsghdr` in every generic-netlink message.
public enum GenericNetlink {
    static let controllerID: UInt16 = 0x10 // GENL_ID_CTRL
    static let getFamilyCommand: UInt8 = 3 // CTRL_CMD_GETFAMILY
    public static let headerLength = 4

    /// Starts a message for `family` with command `command` and the family's version.
    public static func message(family: UInt16, command: UInt8, version: UInt8 = 1, flags: UInt16 = 0) -> NetlinkMessage {
        var message = NetlinkMessage(type: family, flags: flags)
        message.append(command)
        message.append(version)
        message.append(UInt16(0))
        return message
    }

    /// Looks a family up by name. A family whose module is not loaded is ``NetlinkError/notFound(operation:)``.
    public static func resolve(_ name: String, on socket: NetlinkSocket) throws -> GenericNetlinkFamily {
        var request = message(family: controllerID, command: getFamilyCommand)
        request.attribute(2, string: name) // CTRL_ATTR_FAMILY_NAME
        let replies = try socket.request(request, operation: "resolve generic netlink family \"\(name)\"")
        guard let reply = replies.first else {
            throw NetlinkError.malformedMessage(operation: "resolve generic netlink family \"\(name)\"", reason: "no reply")
        }
        let attributes = try reply.attributes(after: headerLength)
        guard let id = attributes[1]?.u16 else { // CTRL_ATTR_FAMILY_ID
            throw NetlinkError.malformedMessage(operation: "resolve generic netlink family \"\(name)\"", reason: "reply has no family id")
        }
        var groups: [String: UInt32] = [:]
        if let list = try attributes[7]?.nested() { // CTRL_ATTR_MCAST_GROUPS
            for group in list {
                let fields = try group.nested()
                if let groupName = fields[1]?.string, let groupID = fields[2]?.u32 { groups[groupName] = groupID }
            }
        }
        return GenericNetlinkFamily(name: attributes[2]?.string ?? name, id: id,
                                    version: attributes[3]?.u32 ?? 1, multicastGroups: groups)
    }
}
