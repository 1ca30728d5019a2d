import Netlink

/// A firewall operation that could not be done. Every case names the object (table, chain,
/// namespace, field) so the text can go into a log line or a Kubernetes event as it is.
public enum FirewallError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A value given to a builder or to the model was refused before anything ran.
    case invalidArgument(field: String, value: String, reason: String)
    /// The desired state contradicts itself (one chain with two contents, a required rule inside an owned chain).
    case conflictingState(String)
    /// An iptables program is not installed (or the configured path does not exist).
    case executableNotFound(String)
    /// The namespace to run in could not be opened or entered.
    case namespaceUnavailable(namespace: String, cause: NetlinkError)
    /// A program could not be started for another reason.
    case spawnFailed(String)
    /// `iptables-save` exited non-zero.
    case saveFailed(table: FirewallTable, namespace: String, exitCode: Int32, stderr: String)
    /// `iptables-save` printed something this parser does not understand.
    case malformedSave(table: FirewallTable, line: Int, text: String, reason: String)
    /// `iptables-restore` refused the change; nothing of it was applied (a restore is one transaction).
    case restoreFailed(table: FirewallTable, namespace: String, exitCode: Int32, stderr: String, input: String)

    public var description: String {
        switch self {
        case .invalidArgument(let field, let value, let reason):
            "invalid \(field) \"\(value)\": \(reason)"
        case .conflictingState(let detail):
            "conflicting firewall state: \(detail)"
        case .executableNotFound(let name):
            "executable \"\(name)\" not found (install iptables, or configure the iptables executables)"
        case .namespaceUnavailable(let namespace, let cause):
            "run iptables in \(namespace): \(cause)"
        case .spawnFailed(let detail):
            detail
        case .saveFailed(let table, let namespace, let code, let stderr):
            "iptables-save -t \(table) in \(namespace) exited \(code)" + Self.suffix(stderr)
        case .malformedSave(let table, let line, let text, let reason):
            "parse iptables-save -t \(table), line \(line) \"\(text)\": \(reason)"
        case .restoreFailed(let table, let namespace, let code, let stderr, let input):
            "iptables-restore of table \(table) in \(namespace) exited \(code)" + Self.suffix(stderr)
                + (Self.failingLine(stderr: stderr, input: input).map { " (input line: \($0))" } ?? "")
        }
    }

    private static func suffix(_ stderr: String) -> String {
        let lines = stderr.split(separator: "\n").filter { !$0.hasPrefix("#") && !$0.hasPrefix("Try `") }
        return lines.isEmpty ? "" : ": " + lines.joined(separator: "; ")
    }

    /// iptables-restore names the line it choked on ("line 3 failed", "Error occurred at line: 3");
    /// quoting that line of our input saves the reader from reconstructing it.
    static func failingLine(stderr: String, input: String) -> String? {
        let lines = input.split(separator: "\n", omittingEmptySubsequences: false)
        for marker in ["Error occurred at line: ", "line "] {
            var rest = Substring(stderr)
            while let start = rest.firstRange(of: marker) {
                rest = rest[start.upperBound...]
                if let number = Int(rest.prefix { $0.isNumber }), (1...lines.count).contains(number) {
                    return String(lines[number - 1])
                }
            }
        }
        return nil
    }
}
