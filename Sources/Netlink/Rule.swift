/// A policy-routing rule (`ip rule`): which table a packet's route is looked up in. Only the
/// firewall-mark selector is modelled; a rule without one matches every packet.
public struct Rule: Sendable, Hashable, CustomStringConvertible {
    public var family: IPFamily
    /// `FRA_PRIORITY`: rules are tried in increasing order. Nil when adding lets the kernel pick
    /// the number just below the first non-zero rule (normally 32765); read back it is always set.
    public var priority: UInt32?
    /// `FRA_TABLE`: the table to look up (for ``RuleAction/toTable``).
    public var table: UInt32?
    /// `FRA_FWMARK`: match packets whose mark, masked with ``fwmask``, equals this.
    public var fwmark: UInt32?
    /// `FRA_FWMASK`; the kernel uses all 32 bits when a mark is given without one.
    public var fwmask: UInt32?
    public var action: RuleAction

    public init(family: IPFamily = .ipv4, priority: UInt32? = nil, table: UInt32? = nil,
                fwmark: UInt32? = nil, fwmask: UInt32? = nil, action: RuleAction = .toTable) {
        self.family = family
        self.priority = priority
        self.table = table
        self.fwmark = fwmark
        self.fwmask = fwmask
        self.action = action
    }

    /// iproute2-like text: `rule 32765: from all fwmark 0x2222 lookup 8738`.
    public var description: String {
        var text = "\(family) rule" + (priority.map { " \($0):" } ?? "") + " from all"
        if let fwmark { text += " fwmark 0x" + String(fwmark, radix: 16) + (fwmask.map { "/0x" + String($0, radix: 16) } ?? "") }
        if action == .toTable, let table { text += " lookup \(table)" } else { text += " \(action)" }
        return text
    }
}

/// What a matching rule does (`FR_ACT_*` of `linux/fib_rules.h`).
public struct RuleAction: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// `FR_ACT_TO_TBL`: look the route up in the rule's table.
    public static let toTable = RuleAction(rawValue: 1)
    /// `FR_ACT_GOTO`
    public static let goto = RuleAction(rawValue: 2)
    /// `FR_ACT_NOP`
    public static let nop = RuleAction(rawValue: 3)
    /// `FR_ACT_BLACKHOLE`
    public static let blackhole = RuleAction(rawValue: 6)
    /// `FR_ACT_UNREACHABLE`
    public static let unreachable = RuleAction(rawValue: 7)
    /// `FR_ACT_PROHIBIT`
    public static let prohibit = RuleAction(rawValue: 8)

    public var description: String {
        switch self {
        case .toTable: "lookup"
        case .goto: "goto"
        case .nop: "nop"
        case .blackhole: "blackhole"
        case .unreachable: "unreachable"
        case .prohibit: "prohibit"
        default: "action \(rawValue)"
        }
    }
}

/// `FRA_*` attribute numbers of `linux/fib_rules.h`.
enum RuleAttribute {
    /// `FRA_PRIORITY`
    static let priority: UInt16 = 6
    /// `FRA_FWMARK`
    static let fwmark: UInt16 = 10
    /// `FRA_TABLE`
    static let table: UInt16 = 15
    /// `FRA_FWMASK`
    static let fwmask: UInt16 = 16
}

// MARK: Messages

extension Rule {
    /// `sizeof(struct fib_rule_hdr)`.
    static let headerLength = 12

    /// A deletion may leave the table out (it then matches any), an addition may not.
    func validate(operation: String, adding: Bool) throws {
        if adding, action == .toTable, table == nil {
            throw NetlinkError.invalidArgument(operation: operation, reason: "a lookup rule needs a table")
        }
        if fwmask != nil, fwmark == nil {
            throw NetlinkError.invalidArgument(operation: operation, reason: "fwmask 0x\(String(fwmask ?? 0, radix: 16)) without an fwmark")
        }
    }

    /// `RTM_NEWRULE` or `RTM_DELRULE`; the kernel matches a deletion on the fields that are set.
    func message(_ type: UInt16, flags messageFlags: UInt16 = 0) -> NetlinkMessage {
        var message = NetlinkMessage(type: type, flags: messageFlags)
        message.append(family.rawValue)
        message.append(UInt8(0)) // dst_len
        message.append(UInt8(0)) // src_len
        message.append(UInt8(0)) // tos
        message.append(table.map { $0 < 256 ? UInt8($0) : 0 } ?? 0) // RT_TABLE_UNSPEC: FRA_TABLE holds the id
        message.append(zeros: 2) // res1, res2
        message.append(action.rawValue)
        message.append(UInt32(0)) // flags
        if let table { message.attribute(RuleAttribute.table, u32: table) }
        if let priority { message.attribute(RuleAttribute.priority, u32: priority) }
        if let fwmark { message.attribute(RuleAttribute.fwmark, u32: fwmark) }
        if let fwmask { message.attribute(RuleAttribute.fwmask, u32: fwmask) }
        return message
    }

    /// Decodes one `RTM_NEWRULE` answer; nil for families other than IPv4 and IPv6.
    static func decode(_ reply: NetlinkReply) throws -> Rule? {
        guard reply.type == RouteMessageType.newRule,
              let family = IPFamily(rawValue: try reply.read(UInt8.self, at: 0)) else { return nil }
        let attributes = try reply.attributes(after: headerLength)
        let headerTable = UInt32(try reply.read(UInt8.self, at: 4))
        return Rule(
            family: family,
            // The kernel leaves FRA_PRIORITY out for priority 0 (the `local` rule).
            priority: attributes[RuleAttribute.priority]?.u32 ?? 0,
            table: attributes[RuleAttribute.table]?.u32 ?? (headerTable == 0 ? nil : headerTable),
            fwmark: attributes[RuleAttribute.fwmark]?.u32,
            fwmask: attributes[RuleAttribute.fwmask]?.u32,
            action: RuleAction(rawValue: try reply.read(UInt8.self, at: 7)))
    }
}

// MARK: Operations

extension NetlinkHandle {
    /// The policy-routing rules, in priority order, optionally of one family.
    public func rules(family: IPFamily? = nil) throws -> [Rule] {
        var request = NetlinkMessage(type: RouteMessageType.getRule)
        request.append(family?.rawValue ?? IPFamily.unspecified)
        request.append(zeros: Rule.headerLength - 1)
        return try dump(request, "list \(family.map { "\($0) " } ?? "")rules").compactMap(Rule.decode)
    }

    /// Adds a rule; an identical rule (same priority included) is ``NetlinkError/exists(operation:)``.
    /// Without a priority the kernel numbers each new rule below the previous one, so adding the
    /// same priority-less rule twice makes two rules: list first when that matters.
    public func addRule(_ rule: Rule) throws {
        let operation = "add \(rule)"
        try rule.validate(operation: describe(operation), adding: true)
        try execute(rule.message(RouteMessageType.newRule, flags: NetlinkFlags.create | NetlinkFlags.excl), operation)
    }

    /// Deletes the first rule that matches every field set in `rule`; none is
    /// ``NetlinkError/notFound(operation:)``.
    public func deleteRule(_ rule: Rule) throws {
        let operation = "delete \(rule)"
        try rule.validate(operation: describe(operation), adding: false)
        try execute(rule.message(RouteMessageType.deleteRule), operation)
    }
}
