import Netlink

/// Reads and changes the iptables rules of one network namespace.
///
/// State is read with `iptables-save -t <table>` and changed with one
/// `iptables-restore --noflush --wait` per table that needs a change, so each table changes in
/// one transaction under the xtables lock, and rules of other programs are kept. The programs
/// run from a thread inside ``namespace``; the caller's thread never changes namespace.
///
/// Reading and writing are two steps: a program that changes the same chains in between makes
/// the restore fail (a deleted rule is gone) or, at worst, lets a required rule be added twice.
/// Run one owner per set of chains.
public struct IPTables: Sendable {
    /// The save and restore programs; names are looked up on `PATH`, paths are used as given.
    public struct Executables: Hashable, Sendable {
        public var save: String
        public var restore: String

        public init(save: String, restore: String) {
            self.save = save
            self.restore = restore
        }

        /// `iptables-save` / `iptables-restore` from `PATH`: the flavour the host selected (on
        /// Debian, through `update-alternatives`), which is what the rest of the node uses.
        public static let standard = Executables(save: "iptables-save", restore: "iptables-restore")
        /// The nf_tables flavour, whatever the host default.
        public static let nft = Executables(save: "iptables-nft-save", restore: "iptables-nft-restore")
        /// The legacy (x_tables) flavour, whatever the host default.
        public static let legacy = Executables(save: "iptables-legacy-save", restore: "iptables-legacy-restore")
    }

    public let namespace: NetworkNamespace
    public let executables: Executables

    public init(namespace: NetworkNamespace = .process, executables: Executables = .standard) {
        self.namespace = namespace
        self.executables = executables
    }

    /// The current content of `table`.
    public func snapshot(of table: FirewallTable) async throws(FirewallError) -> TableSnapshot {
        try await onNamespaceThread { () throws(FirewallError) in try read(table) }
    }

    /// Makes the firewall hold `state`: owned chains get exactly their rules, required rules are
    /// added where missing. Returns what was changed; an empty plan means nothing was run but the
    /// reads, so applying the same state twice changes nothing the second time.
    ///
    /// Each table is one transaction; when a later table fails, earlier ones stay applied and the
    /// next apply completes the rest.
    @discardableResult
    public func apply(_ state: FirewallState) async throws(FirewallError) -> FirewallPlan {
        try await changing { () throws(FirewallError) in
            try state.tables.map { table throws(FirewallError) in
                try change(table) { TablePlan.applying(state, to: $0) }
            }
        }
    }

    /// Deletes `state`'s chains (with every rule that jumps to them) and its required rules.
    /// What is already gone is skipped, so removing twice is harmless.
    @discardableResult
    public func remove(_ state: FirewallState) async throws(FirewallError) -> FirewallPlan {
        try await changing { () throws(FirewallError) in
            try state.tables.map { table throws(FirewallError) in
                let chains = Set(state.chains.filter { $0.table == table }.map(\.name))
                return try change(table) { TablePlan.removing(chains: chains, rules: state.requiredRules, from: $0) }
            }
        }
    }

    /// Deletes the user chains `names` of `table` that exist, with every rule that jumps to them.
    @discardableResult
    public func removeChains(_ names: Set<String>, in table: FirewallTable) async throws(FirewallError) -> FirewallPlan {
        try await changing { () throws(FirewallError) in
            [try change(table) { TablePlan.removing(chains: names, rules: [], from: $0) }]
        }
    }

    /// Deletes every user chain of `table` whose name starts with `prefix`, except `keeping`,
    /// with every rule that jumps to them: the cleanup of chains another program (or an earlier
    /// run) left behind.
    @discardableResult
    public func removeChains(withPrefix prefix: String, in table: FirewallTable,
                             keeping: Set<String> = []) async throws(FirewallError) -> FirewallPlan {
        guard !prefix.isEmpty else {
            throw .invalidArgument(field: "chain prefix", value: prefix, reason: "an empty prefix would match every user chain")
        }
        return try await changing { () throws(FirewallError) in
            [try change(table) { snapshot in
                let names = snapshot.userChains.map(\.name).filter { $0.hasPrefix(prefix) && !keeping.contains($0) }
                return TablePlan.removing(chains: Set(names), rules: [], from: snapshot)
            }]
        }
    }

    // MARK: Running the programs

    /// Reads `table`, plans, and restores when the plan is not empty.
    private func change(_ table: FirewallTable, _ plan: (TableSnapshot) -> TablePlan) throws(FirewallError) -> TablePlan {
        let planned = plan(try read(table))
        if !planned.isEmpty { try restore(planned) }
        return planned
    }

    private func read(_ table: FirewallTable) throws(FirewallError) -> TableSnapshot {
        let output = try execute(executables.save, ["-t", table.rawValue])
        guard output.exitCode == 0 else {
            throw .saveFailed(table: table, namespace: namespace.description, exitCode: output.exitCode, stderr: output.stderr)
        }
        return try TableSnapshot.parse(output.stdout, table: table)
    }

    private func restore(_ plan: TablePlan) throws(FirewallError) {
        let input = plan.restoreInput
        let output = try execute(executables.restore, ["--noflush", "--wait"], input: Array(input.utf8))
        guard output.exitCode == 0 else {
            throw .restoreFailed(table: plan.table, namespace: namespace.description,
                                 exitCode: output.exitCode, stderr: output.stderr, input: input)
        }
    }

    private func execute(_ executable: String, _ arguments: [String], input: [UInt8] = []) throws(FirewallError) -> CommandOutput {
        do {
            return try namespace.execute(executable, arguments, input: input)
        } catch {
            throw map(error)
        }
    }

    /// Runs `body` on a dedicated thread, so the blocking program runs never hold a thread of the
    /// cooperative pool. Entering the namespace there first also reports a missing namespace
    /// before any program is started.
    private func onNamespaceThread<T: Sendable>(_ body: @escaping @Sendable () throws(FirewallError) -> T) async throws(FirewallError) -> T {
        do {
            return try await namespace.run { try body() }
        } catch {
            throw map(error)
        }
    }

    private func changing(_ body: @escaping @Sendable () throws(FirewallError) -> [TablePlan]) async throws(FirewallError) -> FirewallPlan {
        FirewallPlan(tables: try await onNamespaceThread(body))
    }

    private func map(_ error: any Error) -> FirewallError {
        switch error {
        case let error as FirewallError: error
        case let error as NetlinkError: .namespaceUnavailable(namespace: namespace.description, cause: error)
        case CommandError.executableNotFound(let name): .executableNotFound(name)
        default: .spawnFailed("run iptables in \(namespace): \(error)")
        }
    }
}
