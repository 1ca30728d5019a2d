/// One iptables rule: the arguments that follow `-A <chain>` (matches, then the target).
///
/// Two rules are equal when iptables would store them alike: comparison uses ``normalized``, the
/// form `iptables-save` prints, so a rule written as `--set-mark 6000` matches the
/// `--set-xmark 0x1770/0xffffffff` that another program left in the kernel.
public struct FirewallRule: Hashable, Sendable, CustomStringConvertible {
    /// The arguments as written; this is what `iptables-restore` receives.
    public let arguments: [String]
    /// The arguments in `iptables-save`'s form; used only to compare rules.
    public let normalized: [String]

    /// Options that would turn a rule into another command or another table when rendered
    /// after `-A <chain>`.
    private static let commandOptions: Set<String> = [
        "-A", "--append", "-C", "--check", "-D", "--delete", "-I", "--insert", "-R", "--replace",
        "-L", "--list", "-S", "--list-rules", "-F", "--flush", "-Z", "--zero", "-N", "--new-chain",
        "-X", "--delete-chain", "-P", "--policy", "-E", "--rename-chain", "-t", "--table",
    ]

    /// A rule from its iptables arguments, e.g. `["-s", "10.0.0.1/32", "-j", "ACCEPT"]`.
    /// Refuses an empty rule, command options (`-A`, `-t`, …) and control characters, which
    /// would let one argument inject lines into the restore input.
    public init(_ arguments: [String]) throws(FirewallError) {
        guard !arguments.isEmpty else {
            throw .invalidArgument(field: "rule", value: "", reason: "a rule needs at least a target")
        }
        for argument in arguments {
            if Self.commandOptions.contains(argument) {
                throw .invalidArgument(field: "rule argument", value: argument,
                                       reason: "commands and tables are chosen by the firewall state, not inside a rule")
            }
            if argument.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
                throw .invalidArgument(field: "rule argument", value: argument.debugDescription,
                                       reason: "control characters are not allowed")
            }
        }
        self.init(trusted: arguments)
    }

    /// A rule read back from `iptables-save`, already in a form the kernel accepted.
    init(trusted arguments: [String]) {
        self.arguments = arguments
        self.normalized = RuleNormalizer.normalize(arguments)
    }

    /// `-m comment --comment <comment> -j <chain>`, the shape of every jump in the spec.
    public static func jump(to chain: String, comment: String? = nil) throws(FirewallError) -> FirewallRule {
        try FirewallChain.validate(name: chain)
        let commentArguments = comment.map { ["-m", "comment", "--comment", $0] } ?? []
        if let comment, comment.utf8.count > 255 {
            throw .invalidArgument(field: "comment", value: comment, reason: "longer than iptables' 255 bytes")
        }
        return try FirewallRule(commentArguments + ["-j", chain])
    }

    /// The chain or target this rule jumps or goes to (`-j` / `-g`), if any.
    public var target: String? {
        guard let index = normalized.lastIndex(where: { $0 == "-j" || $0 == "-g" }),
              index + 1 < normalized.count else { return nil }
        return normalized[index + 1]
    }

    public static func == (lhs: FirewallRule, rhs: FirewallRule) -> Bool { lhs.normalized == rhs.normalized }
    public func hash(into hasher: inout Hasher) { hasher.combine(normalized) }

    /// The arguments as one line of restore input.
    public var description: String { SaveSyntax.render(arguments) }
}
