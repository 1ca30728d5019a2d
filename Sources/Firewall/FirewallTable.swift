/// An iptables table.
public enum FirewallTable: String, CaseIterable, Hashable, Sendable, CustomStringConvertible {
    case filter, nat, mangle, raw, security

    /// The chains the kernel gives this table; they have a policy, cannot be deleted, and
    /// are never owned by a ``FirewallState``.
    public var builtinChains: [String] {
        switch self {
        case .filter, .security: ["INPUT", "FORWARD", "OUTPUT"]
        case .nat: ["PREROUTING", "INPUT", "OUTPUT", "POSTROUTING"]
        case .mangle: ["PREROUTING", "INPUT", "FORWARD", "OUTPUT", "POSTROUTING"]
        case .raw: ["PREROUTING", "OUTPUT"]
        }
    }

    /// Every name some table uses for a built-in chain: a user chain may not take one of them.
    static let reservedChainNames: Set<String> = ["PREROUTING", "INPUT", "FORWARD", "OUTPUT", "POSTROUTING"]

    public var description: String { rawValue }
}
