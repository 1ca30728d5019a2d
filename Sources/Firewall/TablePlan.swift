/// The changes that bring one table from what `iptables-save` showed to what is wanted, as the
/// input of one `iptables-restore --noflush` transaction: either all of it applies or none.
public struct TablePlan: Hashable, Sendable {
    /// One line of restore input.
    public enum Operation: Hashable, Sendable {
        /// `:<chain> - [0:0]`: creates a user chain, or empties an existing one (under `--noflush`),
        /// so the appends that follow replace its contents in the same transaction.
        case declare(chain: String)
        /// `-A <chain> <rule>`.
        case append(chain: String, rule: FirewallRule)
        /// `-I <chain> 1 <rule>`.
        case insertFirst(chain: String, rule: FirewallRule)
        /// `-D <chain> <rule>`: deletes the first rule equal to `rule`.
        case delete(chain: String, rule: FirewallRule)
        /// `-X <chain>`: deletes an empty, unreferenced user chain.
        case deleteChain(chain: String)
    }

    public let table: FirewallTable
    public let operations: [Operation]

    init(table: FirewallTable, operations: [Operation]) {
        self.table = table
        self.operations = operations
    }

    /// Nothing to change: no restore is run.
    public var isEmpty: Bool { operations.isEmpty }

    /// The `iptables-restore` input, from `*<table>` to `COMMIT`.
    public var restoreInput: String {
        let lines = operations.map { operation -> String in
            switch operation {
            case .declare(let chain): ":\(chain) - [0:0]"
            case .append(let chain, let rule): "-A \(chain) \(rule)"
            case .insertFirst(let chain, let rule): "-I \(chain) 1 \(rule)"
            case .delete(let chain, let rule): "-D \(chain) \(rule)"
            case .deleteChain(let chain): "-X \(chain)"
            }
        }
        return (["*\(table)"] + lines + ["COMMIT"]).joined(separator: "\n") + "\n"
    }

    /// What makes `snapshot` hold `state`'s part for this table.
    ///
    /// An owned chain whose rules differ (or that is missing) is declared and refilled; one that
    /// already matches is not touched. A required rule present anywhere in its chain is left
    /// there, as the original daemon does; missing ones are inserted at position 1 (several into one
    /// chain end up in the order given) or appended.
    public static func applying(_ state: FirewallState, to snapshot: TableSnapshot) -> TablePlan {
        let table = snapshot.table
        var declarations: [Operation] = []
        var contents: [Operation] = []
        for chain in state.chains where chain.table == table {
            if let existing = snapshot.chain(chain.name), !existing.isBuiltin, existing.rules == chain.rules { continue }
            declarations.append(.declare(chain: chain.name))
            contents += chain.rules.map { .append(chain: chain.name, rule: $0) }
        }
        let missing = state.requiredRules.filter { required in
            required.table == table && !(snapshot.chain(required.chain)?.rules.contains(required.rule) ?? false)
        }
        // Each insert lands above the previous one, so a chain's inserts go in reverse.
        var insertOrder: [String] = []
        var insertsByChain: [String: [FirewallRule]] = [:]
        for required in missing where required.placement == .first {
            if insertsByChain[required.chain] == nil { insertOrder.append(required.chain) }
            insertsByChain[required.chain, default: []].append(required.rule)
        }
        let inserts = insertOrder.flatMap { chain in
            insertsByChain[chain, default: []].reversed().map { Operation.insertFirst(chain: chain, rule: $0) }
        }
        let appends = missing.filter { $0.placement == .last }
            .map { Operation.append(chain: $0.chain, rule: $0.rule) }
        return TablePlan(table: table, operations: declarations + contents + inserts + appends)
    }

    /// What deletes `chains` (those that exist) and `rules` (every copy present) from `snapshot`.
    ///
    /// Every rule of another chain that jumps or goes to a deleted chain is deleted too, whatever
    /// its comment, since the kernel refuses to delete a referenced chain. The chains are emptied
    /// by their declaration line, so their own rules need no deletes.
    public static func removing(chains: Set<String>, rules: [RequiredRule], from snapshot: TableSnapshot) -> TablePlan {
        let doomed = snapshot.userChains.map(\.name).filter(chains.contains)
        let doomedSet = Set(doomed)
        let unwanted = Set(rules.filter { $0.table == snapshot.table }.map { UnwantedRule(chain: $0.chain, rule: $0.rule) })
        var deletes: [Operation] = []
        for chain in snapshot.chains where !doomedSet.contains(chain.name) {
            for rule in chain.rules {
                let jumpsToDoomed = rule.target.map(doomedSet.contains) ?? false
                if jumpsToDoomed || unwanted.contains(UnwantedRule(chain: chain.name, rule: rule)) {
                    deletes.append(.delete(chain: chain.name, rule: rule))
                }
            }
        }
        return TablePlan(table: snapshot.table,
                         operations: doomed.map { .declare(chain: $0) } + deletes + doomed.map { .deleteChain(chain: $0) })
    }

    private struct UnwantedRule: Hashable {
        let chain: String
        let rule: FirewallRule
    }
}

/// The restores one call ran, one per table that needed a change; empty when the firewall
/// already was as asked.
public struct FirewallPlan: Hashable, Sendable {
    public let tables: [TablePlan]

    init(tables: [TablePlan]) {
        self.tables = tables.filter { !$0.isEmpty }
    }

    /// True when nothing had to change.
    public var isEmpty: Bool { tables.isEmpty }
}
