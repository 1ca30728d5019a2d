/// The AKS tags of a VM, from the single `k1:v1;k2:v2` string IMDS reports in `compute.tags`.
///
/// Parsed as the Go daemon does so both agree on which SGCs apply to a node: split on `;`, then on `:`; a part that
/// does not give exactly two pieces is dropped (so a value containing `:` is lost), and key and value are trimmed.
/// `a:b; c : d ;e` gives `a=b, c=d`. Later duplicates win.
public struct NodeTags: Sendable, Equatable {
    public private(set) var values: [String: String]

    public static let poolNameKey = "aks-managed-poolName"
    public static let nicNameKey = "aks-managed-nic-name"

    public init(parsing tags: String) {
        values = [:]
        for (key, value) in Self.pairs(tags) {
            values[key.trimmingWhitespace] = value.trimmingWhitespace
        }
    }

    public subscript(key: String) -> String? { values[key] }

    /// `aks-managed-poolName`: the node pool a gateway SGC names in `gatewayNodepoolName`.
    public var poolName: String? { values[Self.poolNameKey] }

    /// The NIC name a VM-pool node is known by in `gatewayVMProfiles`. The Go daemon reads this one tag with a second
    /// parser that does not trim and requires the key exactly; keeping that matters only for tags with stray spaces,
    /// where the two parsers disagree and the daemon's match must stay the same as before an upgrade.
    public static func nicName(in tags: String) -> String? {
        var found: String?
        for (key, value) in pairs(tags) where key == nicNameKey { found = String(value) }
        return found
    }

    private static func pairs(_ tags: String) -> [(Substring, Substring)] {
        tags.split(separator: ";", omittingEmptySubsequences: false).compactMap { part in
            let pieces = part.split(separator: ":", omittingEmptySubsequences: false)
            return pieces.count == 2 ? (pieces[0], pieces[1]) : nil
        }
    }
}

extension StringProtocol {
    var trimmingWhitespace: String {
        var slice = Substring(self)
        while let first = slice.first, first.isWhitespace { slice.removeFirst() }
        while let last = slice.last, last.isWhitespace { slice.removeLast() }
        return String(slice)
    }
}
