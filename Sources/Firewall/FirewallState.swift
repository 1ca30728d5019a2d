/// A user chain owned by its ``FirewallState``: applying the state makes the chain hold exactly
/// these rules, in this order.
public struct FirewallChain: Hashable, Sendable {
    public let table: FirewallTable
    public let name: String
    public let rules: [FirewallRule]

    public init(table: FirewallTable, name: String, rules: [FirewallRule]) throws(FirewallError) {
        try Self.validate(name: name)
        guard !FirewallTable.reservedChainNames.contains(name) else {
            throw .invalidArgument(field: "chain name", value: name, reason: "built-in chains cannot be owned")
        }
        self.table = table
        self.name = name
        self.rules = rules
    }

    /// iptables keeps chain names in 29 bytes with the terminating NUL; a name must also read as
    /// one word that is not an option.
    static func validate(name: String) throws(FirewallError) {
        guard !name.isEmpty, name.utf8.count <= 28 else {
            throw .invalidArgument(field: "chain name", value: name, reason: "must be 1 to 28 bytes")
        }
        guard !name.hasPrefix("-"), !name.hasPrefix("!"),
              name.unicodeScalars.allSatisfy({ $0.isASCII && $0.value > 0x20 && $0.value < 0x7f && $0 != "\"" && $0 != "'" && $0 != "\\" })
        else {
            throw .invalidArgument(field: "chain name", value: name,
                                   reason: "must be printable ASCII without blanks or quotes and not start with '-' or '!'")
        }
    }
}

/// A rule that must be present somewhere in a chain this state does not own, typically a
/// built-in chain: it is added when absent and left where it is when present, wherever that is.
public struct RequiredRule: Hashable, Sendable {
    /// Where an absent rule is added.
    public enum Placement: Hashable, Sendable {
        /// Inserted at position 1 (`-I <chain> 1`), so it runs before rules other programs append.
        case first
        /// Appended (`-A <chain>`).
        case last
    }

    public let table: FirewallTable
    public let chain: String
    public let rule: FirewallRule
    public let placement: Placement

    public init(table: FirewallTable, chain: String, rule: FirewallRule, placement: Placement) throws(FirewallError) {
        try FirewallChain.validate(name: chain)
        self.table = table
        self.chain = chain
        self.rule = rule
        self.placement = placement
    }

    /// A commented jump from `chain` to `target`, inserted at position 1 when missing: how the
    /// spec hooks its chains into the built-in ones.
    public static func jump(table: FirewallTable, from chain: String, to target: String, comment: String) throws(FirewallError) -> RequiredRule {
        try RequiredRule(table: table, chain: chain, rule: .jump(to: target, comment: comment), placement: .first)
    }
}

/// What the firewall of one network namespace should contain: user chains with exactly their
/// rules, and rules required in chains owned by others. Everything else is left alone, so
/// states of independent owners (one per gateway port, say) apply side by side.
public struct FirewallState: Hashable, Sendable {
    public private(set) var chains: [FirewallChain]
    public private(set) var requiredRules: [RequiredRule]

    /// Combines chains and required rules, dropping exact duplicates. Throws when one chain is
    /// given two contents or a rule is required inside a chain the state owns.
    public init(chains: [FirewallChain] = [], requiredRules: [RequiredRule] = []) throws(FirewallError) {
        var ownedChains: [ChainKey: FirewallChain] = [:]
        var uniqueChains: [FirewallChain] = []
        for chain in chains {
            let key = ChainKey(table: chain.table, name: chain.name)
            if let existing = ownedChains[key] {
                guard existing.rules == chain.rules else {
                    throw .conflictingState("chain \(chain.name) of table \(chain.table) is given two different contents")
                }
                continue
            }
            ownedChains[key] = chain
            uniqueChains.append(chain)
        }
        var seen: Set<RequiredRule> = []
        var uniqueRules: [RequiredRule] = []
        for required in requiredRules where seen.insert(required).inserted {
            guard ownedChains[ChainKey(table: required.table, name: required.chain)] == nil else {
                throw .conflictingState("rule \"\(required.rule)\" is required in chain \(required.chain) of table \(required.table), which the same state owns")
            }
            uniqueRules.append(required)
        }
        self.chains = uniqueChains
        self.requiredRules = uniqueRules
    }

    /// Both states together, for one apply.
    public func merging(_ other: FirewallState) throws(FirewallError) -> FirewallState {
        try FirewallState(chains: chains + other.chains, requiredRules: requiredRules + other.requiredRules)
    }

    /// The tables this state touches, in first-mention order.
    public var tables: [FirewallTable] {
        var seen: Set<FirewallTable> = []
        return (chains.map(\.table) + requiredRules.map(\.table)).filter { seen.insert($0).inserted }
    }

    public var isEmpty: Bool { chains.isEmpty && requiredRules.isEmpty }

    struct ChainKey: Hashable {
        let table: FirewallTable
        let name: String
    }
}
