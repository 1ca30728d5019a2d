import EgressGatewayAPI

/// Why the egress prefix of a configuration is not usable; the texts follow the Go operator's.
public enum PublicIPPrefixError: Error, Equatable, CustomStringConvertible {
    case malformedID(String)
    case otherSubscription(prefix: String, configured: String)
    case notFound(id: String)
    case wrongLength(actual: Int32?, required: Int32)
    case noPrefixLength(pool: String)
    case invalidPrefixSize(pool: String, value: String)
    case managedLengthChanged(name: String, actual: Int32?, required: Int32)

    public var description: String {
        switch self {
        case .malformedID(let id): "failed to parse public ip prefix id: \(id)"
        case .otherSubscription(let prefix, let configured):
            "public ip prefix subscription(\(prefix)) is not in the same subscription(\(configured))"
        case .notFound(let id): "failed to get public ip prefix(\(id)): not found"
        case .wrongLength(let actual, let required):
            "provided public ip prefix has invalid length(\(actual.map(String.init) ?? "none")), required(\(required))"
        case .noPrefixLength(let pool): "nodepool \(pool) does not have IP prefix size"
        case .invalidPrefixSize(let pool, let value):
            "failed to parse nodepool \(pool) IP prefix size: \(value) (tag \(GatewayPoolResolver.prefixSizeTag) must be a "
                + "positive prefix length)"
        case .managedLengthChanged(let name, let actual, let required):
            "managed public ip prefix \(name) has length \(actual.map(String.init) ?? "none") but the pool requires "
                + "\(required); delete the StaticGatewayConfiguration and create it again to get a new prefix"
        }
    }
}

/// The egress prefix a GatewayVMConfiguration uses (spec §4.4): none in private mode, the bring-your-own one, or
/// the managed `egressgateway-<uid>`, created when missing.
enum PublicIPPrefixPlan {
    struct Resolved: Equatable {
        var id: String
        var cidr: String
        var isManaged: Bool
    }

    static func ensure(for vmConfiguration: GatewayVMConfiguration, pool: GatewayPool, cloud: CloudTarget,
                       fabric: some ScaleSetFabric) async throws -> Resolved? {
        let spec = vmConfiguration.spec
        guard spec.provisionPublicIps else { return nil }
        if !spec.publicIpPrefixId.isEmpty {
            guard let id = try? ARMResourceID.publicIPPrefix(spec.publicIpPrefixId) else {
                throw PublicIPPrefixError.malformedID(spec.publicIpPrefixId)
            }
            // ARM IDs are case-insensitive; Go compares the subscription case-sensitively (spec §8.2 item 13).
            guard id.subscriptionID.lowercased() == cloud.subscriptionID.lowercased() else {
                throw PublicIPPrefixError.otherSubscription(prefix: id.subscriptionID, configured: cloud.subscriptionID)
            }
            guard let prefix = try await fabric.publicIPPrefix(resourceGroup: id.resourceGroup, name: id.name) else {
                throw PublicIPPrefixError.notFound(id: spec.publicIpPrefixId)
            }
            if let required = pool.prefixLength, required > 0, prefix.prefixLength != required {
                throw PublicIPPrefixError.wrongLength(actual: prefix.prefixLength, required: required)
            }
            return Resolved(id: prefix.id, cidr: prefix.ipPrefix ?? "", isManaged: false)
        }
        let name = EgressGateway.managedResourceName(gatewayVMConfigurationUID: vmConfiguration.metadata.uid)
        guard let required = pool.prefixLength, required > 0 else {
            // A tag that is there but unusable (`0`, `abc`) is another mistake than a missing one: say which.
            if let tag = pool.prefixSizeTag {
                throw PublicIPPrefixError.invalidPrefixSize(pool: spec.gatewayNodepoolName, value: tag)
            }
            throw PublicIPPrefixError.noPrefixLength(pool: spec.gatewayNodepoolName)
        }
        if let existing = try await fabric.publicIPPrefix(resourceGroup: cloud.resourceGroup, name: name) {
            // Go keeps a managed prefix of the wrong length silently (spec §8.2 item 9): it is kept, the egress IPs
            // stay, and the mismatch is reported.
            if existing.prefixLength != required {
                throw PublicIPPrefixError.managedLengthChanged(name: name, actual: existing.prefixLength,
                                                               required: required)
            }
            return Resolved(id: existing.id, cidr: existing.ipPrefix ?? "", isManaged: true)
        }
        let created = try await fabric.createPublicIPPrefix(name: name, prefixLength: required)
        return Resolved(id: created.id, cidr: created.ipPrefix ?? "", isManaged: true)
    }

    /// Deletes the managed prefix of `vmConfiguration` and the public IPs still taken from it (ARM refuses to
    /// delete a prefix in use).
    static func deleteManaged(of vmConfiguration: GatewayVMConfiguration, cloud: CloudTarget,
                              fabric: some ScaleSetFabric) async throws {
        let name = EgressGateway.managedResourceName(gatewayVMConfigurationUID: vmConfiguration.metadata.uid)
        guard let prefix = try await fabric.publicIPPrefix(resourceGroup: cloud.resourceGroup, name: name) else { return }
        for id in prefix.publicIPAddressIDs {
            let parsed: ARMResourceID
            do {
                parsed = try ARMResourceID(parsing: id)
            } catch {
                throw OperatorError.fabric("failed to parse managed public ip prefix(\(id)): \(error)")
            }
            try await fabric.deletePublicIPAddress(name: parsed.name)
        }
        try await fabric.deletePublicIPPrefix(name: name)
    }
}
