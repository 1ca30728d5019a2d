/// One table as `iptables-save` showed it: its chains in declaration order and each chain's
/// rules in order.
public struct TableSnapshot: Hashable, Sendable {
    /// A declared chain. Built-in chains have a policy (`ACCEPT`, `DROP`); user chains have none.
    public struct Chain: Hashable, Sendable {
        public let name: String
        public let policy: String?
        public internal(set) var rules: [FirewallRule]

        public var isBuiltin: Bool { policy != nil }
    }

    public let table: FirewallTable
    public private(set) var chains: [Chain]

    init(table: FirewallTable, chains: [Chain] = []) {
        self.table = table
        self.chains = chains
    }

    /// The chain named `name`, if declared.
    public func chain(_ name: String) -> Chain? { chains.first { $0.name == name } }

    /// The user chains (no policy), in declaration order.
    public var userChains: [Chain] { chains.filter { !$0.isBuiltin } }

    /// Parses the output of `iptables-save -t <table>`.
    ///
    /// Comment lines, blank lines and counters (`[packets:bytes]`, before rules or after chain
    /// declarations) are skipped. Sections of other tables are ignored; when `table` has no
    /// section the snapshot is empty, as for a table the kernel has not created yet.
    public static func parse(_ text: String, table: FirewallTable) throws(FirewallError) -> TableSnapshot {
        var snapshot = TableSnapshot(table: table)
        var current: String?
        var index: [String: Int] = [:]
        for (offset, raw) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            let lineNumber = offset + 1
            var line = raw.drop { $0 == " " || $0 == "\t" }
            func malformed(_ reason: String) -> FirewallError {
                .malformedSave(table: table, line: lineNumber, text: String(raw), reason: reason)
            }
            if line.isEmpty || line.hasPrefix("#") { continue }
            if line.hasPrefix("*") {
                current = String(line.dropFirst())
                continue
            }
            guard let section = current else { throw malformed("content outside a *table section") }
            if line == "COMMIT" {
                current = nil
                continue
            }
            guard section == table.rawValue else { continue }
            if line.hasPrefix(":") {
                let fields = line.dropFirst().split(separator: " ")
                guard fields.count >= 2 else { throw malformed("chain declaration without policy") }
                let name = String(fields[0])
                guard index[name] == nil else { throw malformed("chain \(name) declared twice") }
                index[name] = snapshot.chains.count
                snapshot.chains.append(Chain(name: name, policy: fields[1] == "-" ? nil : String(fields[1]), rules: []))
                continue
            }
            if line.hasPrefix("[") {
                guard let end = line.firstIndex(of: "]") else { throw malformed("unterminated counters") }
                line = line[line.index(after: end)...].drop { $0 == " " }
            }
            let words: [String]
            do {
                words = try SaveSyntax.split(line)
            } catch {
                throw malformed(error.reason)
            }
            guard words.count >= 3, words[0] == "-A" else { throw malformed("expected -A <chain> <rule>") }
            guard let position = index[words[1]] else { throw malformed("rule for undeclared chain \(words[1])") }
            snapshot.chains[position].rules.append(FirewallRule(trusted: Array(words.dropFirst(2))))
        }
        return snapshot
    }
}
