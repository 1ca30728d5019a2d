/// An Azure Resource Manager resource ID:
/// `/subscriptions/SUB/resourceGroups/RG/providers/NAMESPACE/TYPE/NAME[/CHILDTYPE/CHILDNAME...]`.
///
/// ARM treats IDs case-insensitively, and so does this type: keywords parse in any case, and two IDs that differ
/// only in case are equal. The text is kept as written.
public struct ARMResourceID: Hashable, Sendable, CustomStringConvertible {
    public let subscriptionID: String
    public let resourceGroup: String
    /// The resource provider namespace, such as `Microsoft.Network`.
    public let providerNamespace: String
    /// Type and name pairs from the top-level resource down, such as `[("publicIPPrefixes", "prefix1")]`.
    public let types: [(type: String, name: String)]

    /// The full type, such as `Microsoft.Network/publicIPPrefixes` or
    /// `Microsoft.Compute/virtualMachineScaleSets/virtualMachines`.
    public var resourceType: String { ([providerNamespace] + types.map(\.type)).joined(separator: "/") }

    /// Name of the innermost resource.
    public var name: String { types.last?.name ?? "" }

    public var description: String {
        "/subscriptions/\(subscriptionID)/resourceGroups/\(resourceGroup)/providers/\(providerNamespace)/"
            + types.map { "\($0.type)/\($0.name)" }.joined(separator: "/")
    }

    /// Parses a resource ID; every segment must be non-empty and types and names must pair up.
    public init(parsing text: String) throws(ARMResourceIDError) {
        let segments = text.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        func fail(_ reason: String) -> ARMResourceIDError { ARMResourceIDError(id: text, reason: reason) }
        guard segments.count >= 9, segments[0].isEmpty else {
            throw fail("expected /subscriptions/SUB/resourceGroups/RG/providers/NAMESPACE/TYPE/NAME")
        }
        let keywords = [(1, "subscriptions"), (3, "resourceGroups"), (5, "providers")]
        for (index, keyword) in keywords where segments[index].lowercased() != keyword.lowercased() {
            throw fail("segment \(index + 1) must be \"\(keyword)\"")
        }
        guard segments.dropFirst().allSatisfy({ !$0.isEmpty }) else { throw fail("empty segment") }
        let typed = Array(segments.dropFirst(7))
        guard typed.count % 2 == 0 else { throw fail("resource type without a name") }
        subscriptionID = segments[2]
        resourceGroup = segments[4]
        providerNamespace = segments[6]
        types = stride(from: 0, to: typed.count, by: 2).map { (type: typed[$0], name: typed[$0 + 1]) }
    }

    /// Whether this is a resource of `resourceType` (such as `Microsoft.Network/publicIPPrefixes`), ignoring case.
    public func isType(_ resourceType: String) -> Bool {
        self.resourceType.lowercased() == resourceType.lowercased()
    }

    /// The ARM type of public IP prefixes.
    public static let publicIPPrefixType = "Microsoft.Network/publicIPPrefixes"

    /// Parses the ID of a public IP prefix, rejecting IDs of other resource types.
    public static func publicIPPrefix(_ text: String) throws(ARMResourceIDError) -> ARMResourceID {
        let id = try ARMResourceID(parsing: text)
        guard id.isType(publicIPPrefixType) else {
            throw ARMResourceIDError(id: text, reason: "not a \(publicIPPrefixType) resource")
        }
        return id
    }

    private var canonical: String { description.lowercased() }

    public static func == (lhs: ARMResourceID, rhs: ARMResourceID) -> Bool { lhs.canonical == rhs.canonical }

    public func hash(into hasher: inout Hasher) { hasher.combine(canonical) }
}

/// A string that is not the expected ARM resource ID.
public struct ARMResourceIDError: Error, Hashable, Sendable, CustomStringConvertible {
    public let id: String
    public let reason: String

    public var description: String { "invalid ARM resource ID \"\(id)\": \(reason)" }
}
