/// A CNI specification version as written in `cniVersion` (`major.minor.patch`).
///
/// The result format depends on it: 0.3.x and 0.4.0 results carry a `version` field in each IP,
/// 1.x results do not, and only 1.1.0 knows the interface and route fields it added.
public struct CNIVersion: Comparable, Hashable, Sendable, CustomStringConvertible {
    public let major: Int
    public let minor: Int
    public let patch: Int

    public init(_ major: Int, _ minor: Int, _ patch: Int) {
        self.major = major
        self.minor = minor
        self.patch = patch
    }

    /// Parses `1.0.0`; nil for anything that is not three dot-separated decimal numbers.
    public init?(_ text: String) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3,
              parts.allSatisfy({ !$0.isEmpty && $0.count <= 4 && $0.allSatisfy { $0.isASCII && $0.isNumber } }),
              let major = Int(parts[0]), let minor = Int(parts[1]), let patch = Int(parts[2]) else { return nil }
        self.init(major, minor, patch)
    }

    public var description: String { "\(major).\(minor).\(patch)" }

    public static func < (lhs: CNIVersion, rhs: CNIVersion) -> Bool {
        (lhs.major, lhs.minor, lhs.patch) < (rhs.major, rhs.minor, rhs.patch)
    }

    public static let v0_3_0 = CNIVersion(0, 3, 0)
    public static let v0_3_1 = CNIVersion(0, 3, 1)
    public static let v0_4_0 = CNIVersion(0, 4, 0)
    public static let v1_0_0 = CNIVersion(1, 0, 0)
    public static let v1_1_0 = CNIVersion(1, 1, 0)

    /// The version of every reply this plugin writes on its own (VERSION, errors without a config).
    public static let current = v1_1_0
    /// The config versions accepted: those whose ADD/DEL/CHECK result format the plugins write.
    /// 0.1.0 and 0.2.0 results have no interface list to append `wg0` to.
    public static let supported = [v0_3_0, v0_3_1, v0_4_0, v1_0_0, v1_1_0]
    /// What a config without `cniVersion` means, per the spec.
    public static let implied = CNIVersion(0, 1, 0)

    /// CHECK exists from 0.4.0 on.
    public var allowsCheck: Bool { self >= .v0_4_0 }
    /// STATUS and GC exist from 1.1.0 on.
    public var allowsStatusAndGC: Bool { self >= .v1_1_0 }
    /// 0.3.x and 0.4.0 results name each IP's family (`"version": "4"`).
    var resultsCarryIPVersion: Bool { self < .v1_0_0 }
    /// The interface (`mtu`, `socketPath`, `pciID`) and route (`mtu`, `advmss`, `priority`,
    /// `table`, `scope`) fields added by 1.1.0.
    var resultsCarryExtendedFields: Bool { self >= .v1_1_0 }
}
