/// The resource types the emulator serves, by their ARM type path.
public enum ResourceKind: String, CaseIterable, Sendable {
    case loadBalancer = "Microsoft.Network/loadBalancers"
    case virtualNetwork = "Microsoft.Network/virtualNetworks"
    case subnet = "Microsoft.Network/virtualNetworks/subnets"
    case networkInterface = "Microsoft.Network/networkInterfaces"
    case publicIPPrefix = "Microsoft.Network/publicIPPrefixes"
    case publicIPAddress = "Microsoft.Network/publicIPAddresses"
    case scaleSet = "Microsoft.Compute/virtualMachineScaleSets"
    case scaleSetVM = "Microsoft.Compute/virtualMachineScaleSets/virtualMachines"
    case scaleSetNIC = "Microsoft.Compute/virtualMachineScaleSets/virtualMachines/networkInterfaces"
    case scaleSetPublicIP =
        "Microsoft.Compute/virtualMachineScaleSets/virtualMachines/networkInterfaces/ipConfigurations/publicIPAddresses"
    case virtualMachine = "Microsoft.Compute/virtualMachines"

    init?(typePath: String) {
        guard let kind = Self.allCases.first(where: { $0.rawValue.caseInsensitiveCompare(typePath) == .orderedSame }) else {
            return nil
        }
        self = kind
    }

    /// The provider namespace, `Microsoft.Network` or `Microsoft.Compute`.
    public var namespace: String { String(rawValue.prefix { $0 != "/" }) }

    /// The type segments after the namespace, in ARM's spelling.
    var typeSegments: [String] { rawValue.split(separator: "/").dropFirst().map(String.init) }

    /// The `type` member of a body: scale-set NICs and public IPs are Network objects seen through Compute.
    var bodyType: String {
        switch self {
        case .scaleSetNIC: ResourceKind.networkInterface.rawValue
        case .scaleSetPublicIP: ResourceKind.publicIPAddress.rawValue
        default: rawValue
        }
    }

    /// Whether writes are accepted at all (the rest are created by the seed or derived from other resources).
    var isWritable: Bool {
        switch self {
        case .loadBalancer, .networkInterface, .publicIPPrefix, .publicIPAddress, .scaleSet, .scaleSetVM, .virtualNetwork:
            true
        case .subnet, .scaleSetNIC, .scaleSetPublicIP, .virtualMachine: false
        }
    }

    /// Whether PUT merges the body into the stored resource (Compute) instead of replacing it (Network).
    var putMerges: Bool { self == .scaleSet || self == .scaleSetVM }
}

/// An ARM resource ID, `/subscriptions/S/resourceGroups/G/providers/NS/type/name[/type/name…]`. IDs compare
/// case-insensitively, as ARM compares them; the spelling is kept for answers.
public struct ResourceID: Hashable, Sendable, CustomStringConvertible {
    public var subscription: String
    public var resourceGroup: String
    public var kind: ResourceKind
    /// One name per type segment.
    public var names: [String]

    public init(subscription: String, resourceGroup: String, kind: ResourceKind, names: [String]) {
        precondition(names.count == kind.typeSegments.count, "\(kind.rawValue) needs \(kind.typeSegments.count) names")
        self.subscription = subscription
        self.resourceGroup = resourceGroup
        self.kind = kind
        self.names = names
    }

    /// Parses an ID; nil when it is not the ID of a served resource type.
    public init?(_ text: String) {
        let segments = text.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        guard let parsed = ARMPath(segments: segments), case .resource(let id) = parsed else { return nil }
        self = id
    }

    public var name: String { names.last ?? "" }

    /// The ID of the enclosing resource (the scale set of an instance, the VNet of a subnet).
    public var parent: ResourceID? {
        guard names.count > 1,
              let parentKind = ResourceKind(typePath: ([kind.namespace] + kind.typeSegments.dropLast()).joined(separator: "/"))
        else { return nil }
        return ResourceID(subscription: subscription, resourceGroup: resourceGroup, kind: parentKind,
                          names: Array(names.dropLast()))
    }

    public var path: String {
        var text = "/subscriptions/\(subscription)/resourceGroups/\(resourceGroup)/providers/\(kind.namespace)"
        for (type, name) in zip(kind.typeSegments, names) { text += "/\(type)/\(name)" }
        return text
    }

    public var description: String { path }

    /// The case-insensitive identity.
    public var key: String { path.lowercased() }

    public static func == (left: ResourceID, right: ResourceID) -> Bool { left.key == right.key }
    public func hash(into hasher: inout Hasher) { hasher.combine(key) }

    /// `ID/segment/name`: a child object of a resource body (frontend, backend pool, ipconfig, …).
    public func member(_ segment: String, _ name: String) -> String { "\(path)/\(segment)/\(name)" }

    /// The key of the collection this resource is listed in.
    var collectionKey: String { collectionPath.lowercased() }

    var collectionPath: String { String(path[..<path.lastIndex(of: "/")!]) }
}

/// What a request path addresses.
enum ARMPath: Equatable {
    case resourceGroup(subscription: String, name: String)
    case resource(ResourceID)
    /// The resources of `kind` under `parent` names (empty for a top-level type) in a resource group.
    case collection(subscription: String, resourceGroup: String, kind: ResourceKind, parentNames: [String])
    /// `/subscriptions/S/providers/NS/locations/L/operations|operationResults/ID`.
    case operation(subscription: String, id: String, isResult: Bool)

    init?(segments: [String]) {
        guard segments.count >= 2, segments[0].lowercased() == "subscriptions" else { return nil }
        let subscription = segments[1]
        let rest = Array(segments.dropFirst(2))
        if rest.count == 6, rest[0].lowercased() == "providers", rest[2].lowercased() == "locations",
           ["operations", "operationresults"].contains(rest[4].lowercased())
        {
            self = .operation(subscription: subscription, id: rest[5], isResult: rest[4].lowercased() == "operationresults")
            return
        }
        guard rest.count >= 2, rest[0].lowercased() == "resourcegroups" else { return nil }
        let group = rest[1]
        if rest.count == 2 {
            self = .resourceGroup(subscription: subscription, name: group)
            return
        }
        guard rest.count >= 5, rest[2].lowercased() == "providers" else { return nil }
        let namespace = rest[3]
        let pairs = Array(rest.dropFirst(4))
        let types = stride(from: 0, to: pairs.count, by: 2).map { pairs[$0] }
        let names = stride(from: 1, to: pairs.count, by: 2).map { pairs[$0] }
        guard let kind = ResourceKind(typePath: ([namespace] + types).joined(separator: "/")) else { return nil }
        if names.count == types.count {
            self = .resource(ResourceID(subscription: subscription, resourceGroup: group, kind: kind, names: names))
        } else {
            self = .collection(subscription: subscription, resourceGroup: group, kind: kind, parentNames: names)
        }
    }
}
