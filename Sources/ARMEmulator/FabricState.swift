import Foundation

/// A resource as stored: its ID, the body ARM answers with (read-only members included, members the emulator
/// does not model kept), and its place in list order.
struct StoredResource: Sendable {
    var id: ResourceID
    var body: ARMValue
    var sequence: Int
    /// The long-running operation still working on it; further writes get 409 until it ends.
    var pendingOperation: String?

    var etag: String { body["etag"]?.stringValue ?? "" }
}

/// A long-running PUT or DELETE.
struct PendingOperation: Sendable {
    var id: String
    var target: ResourceID
    var isDelete: Bool
    var pollsLeft: Int
    var failure: ARMError?
    /// `InProgress`, `Succeeded` or `Failed`.
    var status = "InProgress"
    /// When the operation finishes by itself, polled or not (nil: only polls finish it).
    var deadline: ContinuousClock.Instant?
}

/// Everything the emulated subscription holds. All of it changes under one lock, so every request is atomic.
struct FabricState: Sendable {
    /// Lowercased subscription IDs.
    var subscriptions: Set<String> = []
    /// Resource groups by lowercased `subscription/name`: their spelling and location.
    var resourceGroups: [String: (name: String, location: String)] = [:]
    var resources: [String: StoredResource] = [:]
    var operations: [String: PendingOperation] = [:]
    var nextSequence = 0
    var publicAddressPool: [IPv4Prefix]

    init(publicAddressPool: [IPv4Prefix]) {
        self.publicAddressPool = publicAddressPool
    }

    // MARK: Scopes

    mutating func addResourceGroup(subscription: String, name: String, location: String) {
        subscriptions.insert(subscription.lowercased())
        resourceGroups["\(subscription)/\(name)".lowercased()] = (name, location)
    }

    func resourceGroup(subscription: String, name: String) throws(ARMError) -> (name: String, location: String) {
        guard subscriptions.contains(subscription.lowercased()) else { throw .subscriptionNotFound(subscription) }
        guard let group = resourceGroups["\(subscription)/\(name)".lowercased()] else {
            throw .resourceGroupNotFound(name)
        }
        return group
    }

    /// The ID spelled as stored: the resource group's spelling, and the parent's names for a child.
    func canonical(_ id: ResourceID) -> ResourceID {
        var result = id
        if let group = resourceGroups["\(id.subscription)/\(id.resourceGroup)".lowercased()] {
            result.resourceGroup = group.name
        }
        if let parent = id.parent, let stored = resources[parent.key] {
            result.names = stored.id.names + [id.name]
            result.subscription = stored.id.subscription
        }
        return result
    }

    // MARK: Reads

    func stored(_ id: ResourceID) throws(ARMError) -> StoredResource {
        _ = try resourceGroup(subscription: id.subscription, name: id.resourceGroup)
        if id.kind == .subnet { return try subnet(id) }
        if let parent = id.parent, resources[parent.key] == nil { throw .notFound(parent) }
        guard let resource = resources[id.key] else { throw .notFound(id) }
        return resource
    }

    /// The body ARM answers a GET with: the stored body plus the back-references ARM computes.
    func read(_ id: ResourceID) throws(ARMError) -> ARMValue {
        decorate(try stored(id))
    }

    /// Every resource of `kind` directly under a parent (or the resource group), in creation order.
    func list(subscription: String, resourceGroup: String, kind: ResourceKind, parentNames: [String])
        throws(ARMError) -> [ARMValue]
    {
        _ = try self.resourceGroup(subscription: subscription, name: resourceGroup)
        var prefix = "/subscriptions/\(subscription)/resourceGroups/\(resourceGroup)/providers/\(kind.namespace)"
        for (type, name) in zip(kind.typeSegments, parentNames) { prefix += "/\(type)/\(name)" }
        if !parentNames.isEmpty, let parentKind = ResourceID(prefix)?.kind {
            let parent = ResourceID(subscription: subscription, resourceGroup: resourceGroup, kind: parentKind,
                                    names: parentNames)
            guard resources[parent.key] != nil else { throw .notFound(parent) }
            if kind == .subnet { return subnets(of: parent) }
        }
        let collection = (prefix + "/" + kind.typeSegments.last!).lowercased()
        return resources.values.filter { $0.id.kind == kind && $0.id.collectionKey == collection }
            .sorted { $0.sequence < $1.sequence }
            .map(decorate)
    }

    /// All stored resources of a kind, in creation order.
    func all(_ kind: ResourceKind) -> [StoredResource] {
        resources.values.filter { $0.id.kind == kind }.sorted { $0.sequence < $1.sequence }
    }

    // MARK: Writes

    /// Checks `If-Match` / `If-None-Match` against the stored resource.
    func checkPreconditions(_ id: ResourceID, existing: StoredResource?, ifMatch: String?, ifNoneMatch: String?)
        throws(ARMError)
    {
        if let ifMatch {
            guard let existing, ifMatch == "*" || ifMatch == existing.etag else { throw .preconditionFailed(ifMatch, id) }
        }
        if let ifNoneMatch, let existing, ifNoneMatch == "*" || ifNoneMatch == existing.etag {
            throw ARMError(status: 412, code: "PreconditionFailed",
                           message: "The condition If-None-Match: \(ifNoneMatch) is not met: \(id) exists.")
        }
    }

    /// Creates or replaces a resource (merges, for Compute). Returns the stored body and whether it was created.
    mutating func put(_ id: ResourceID, body: ARMValue, merge: Bool, ifMatch: String?, ifNoneMatch: String?)
        throws(ARMError) -> (body: ARMValue, created: Bool)
    {
        let group = try resourceGroup(subscription: id.subscription, name: id.resourceGroup)
        let id = canonical(id)
        if let parent = id.parent, resources[parent.key] == nil { throw .notFound(parent) }
        let existing = resources[id.key]
        if existing?.pendingOperation != nil { throw .anotherOperationInProgress(id) }
        try checkPreconditions(id, existing: existing, ifMatch: ifMatch, ifNoneMatch: ifNoneMatch)
        guard body.objectValue != nil else { throw .unparsableBody }
        var desired = merge ? (existing?.body ?? [:]).merging(body) : body
        if let location = desired["location"], location.stringValue == nil {
            throw .invalidFormat("location", "must be a string")
        }
        if id.parent == nil, (desired["location"]?.stringValue ?? "").isEmpty {
            guard existing == nil else { throw .locationRequired }
            if !id.kind.putMerges { throw .locationRequired }
            desired["location"] = .string(group.location)
        }
        if let properties = desired["properties"], properties.objectValue == nil, !properties.isNull {
            throw .invalidFormat("properties", "must be an object")
        }
        var result = try materialize(id, desired, existing: existing?.body)
        stamp(&result, id: id, previous: existing?.body)
        resources[id.key] = StoredResource(id: id, body: result, sequence: existing?.sequence ?? takeSequence())
        try afterWrite(id)
        return (resources[id.key]!.body, existing == nil)
    }

    /// The resource a DELETE may remove, after the checks ARM makes; nil when there is none (ARM answers 204).
    func checkDelete(_ id: ResourceID, ifMatch: String?) throws(ARMError) -> StoredResource? {
        _ = try resourceGroup(subscription: id.subscription, name: id.resourceGroup)
        guard let existing = resources[id.key] else {
            if let ifMatch { throw .preconditionFailed(ifMatch, id) }
            return nil
        }
        guard id.kind.isWritable, id.kind != .scaleSetVM, id.kind != .virtualNetwork else {
            throw .methodNotAllowed("DELETE", id.path)
        }
        if existing.pendingOperation != nil { throw .anotherOperationInProgress(id) }
        try checkPreconditions(id, existing: existing, ifMatch: ifMatch, ifNoneMatch: nil)
        try checkNotInUse(existing)
        return existing
    }

    mutating func remove(_ id: ResourceID) {
        resources[id.key] = nil
        // Children (instance NICs, their public IPs) go with their parent.
        let prefix = id.key + "/"
        for key in resources.keys where key.hasPrefix(prefix) { resources[key] = nil }
    }

    mutating func takeSequence() -> Int {
        nextSequence += 1
        return nextSequence
    }

    /// Sets the members every ARM resource carries: id, name, type, a new etag, `provisioningState`.
    func stamp(_ body: inout ARMValue, id: ResourceID, previous: ARMValue?) {
        body["id"] = .string(id.path)
        body["name"] = .string(id.kind == .scaleSetVM ? "\(id.names[0])_\(id.name)" : id.name)
        body["type"] = .string(id.kind.bodyType)
        body["etag"] = .string(Self.nextETag(for: id.kind, previous: previous?["etag"]?.stringValue))
        body[path: "properties", "provisioningState"] = "Succeeded"
    }

    /// Network etags are opaque weak tags; Compute counts versions in a quoted number.
    static func nextETag(for kind: ResourceKind, previous: String?) -> String {
        if kind.namespace == "Microsoft.Compute" {
            let version = previous.flatMap { Int($0.trimmingCharacters(in: CharacterSet(charactersIn: "\""))) } ?? 0
            return "\"\(version + 1)\""
        }
        return "W/\"\(UUID().uuidString.lowercased())\""
    }

    /// Kind-specific validation and read-only members of a new body.
    func materialize(_ id: ResourceID, _ body: ARMValue, existing: ARMValue?) throws(ARMError) -> ARMValue {
        switch id.kind {
        case .loadBalancer: try materializeLoadBalancer(id, body, existing: existing)
        case .networkInterface: try materializeNetworkInterface(id, body, existing: existing)
        case .publicIPPrefix: try materializePublicIPPrefix(id, body, existing: existing)
        case .publicIPAddress: try materializePublicIPAddress(id, body, existing: existing)
        case .virtualNetwork: try materializeVirtualNetwork(id, body)
        case .scaleSet: try materializeScaleSet(id, body, existing: existing)
        case .scaleSetVM: try materializeScaleSetVM(id, body, existing: existing)
        case .subnet, .scaleSetNIC, .scaleSetPublicIP, .virtualMachine: throw .methodNotAllowed("PUT", id.path)
        }
    }

    /// Derived resources that follow a write: instance NICs and public IPs follow their instance's configuration,
    /// and a scale set's instances learn whether they still match the model.
    mutating func afterWrite(_ id: ResourceID) throws(ARMError) {
        switch id.kind {
        case .scaleSetVM: try syncInstanceNetwork(id)
        case .scaleSet: refreshLatestModelApplied(scaleSet: id)
        default: break
        }
    }
}
