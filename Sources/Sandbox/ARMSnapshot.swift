import ARMEmulator

/// The ARM resources the sandbox's data plane and its clean-up check read, as the emulator answers GETs.
/// Instance NICs are the ones of scale-set instances: a scale-set model change reaches them (and so the data
/// plane) only when the instance is updated, as on Azure.
public struct ARMSnapshot: Sendable, Hashable {
    /// Standalone NICs and scale-set instance NICs.
    public var networkInterfaces: [ARMValue]
    /// Standalone public IPs and scale-set instance public IPs.
    public var publicIPAddresses: [ARMValue]
    public var publicIPPrefixes: [ARMValue]
    public var loadBalancers: [ARMValue]
    public var scaleSets: [ARMValue]
    public var scaleSetInstances: [ARMValue]

    public init(networkInterfaces: [ARMValue] = [], publicIPAddresses: [ARMValue] = [], publicIPPrefixes: [ARMValue] = [],
                loadBalancers: [ARMValue] = [], scaleSets: [ARMValue] = [], scaleSetInstances: [ARMValue] = []) {
        self.networkInterfaces = networkInterfaces
        self.publicIPAddresses = publicIPAddresses
        self.publicIPPrefixes = publicIPPrefixes
        self.loadBalancers = loadBalancers
        self.scaleSets = scaleSets
        self.scaleSetInstances = scaleSetInstances
    }

    /// What `arm` holds now. Each kind is read under its own lock acquisition; a write landing in between is
    /// followed by a change notification, and so by another snapshot.
    public init(_ arm: ARMEmulator) {
        self.init(networkInterfaces: arm.resources(.networkInterface) + arm.resources(.scaleSetNIC),
                  publicIPAddresses: arm.resources(.publicIPAddress) + arm.resources(.scaleSetPublicIP),
                  publicIPPrefixes: arm.resources(.publicIPPrefix), loadBalancers: arm.resources(.loadBalancer),
                  scaleSets: arm.resources(.scaleSet), scaleSetInstances: arm.resources(.scaleSetVM))
    }
}

extension ARMValue {
    /// `properties.<key>` as an array (empty when absent).
    func children(_ key: String) -> [ARMValue] { self[path: "properties", key]?.arrayValue ?? [] }

    /// ARM IDs compare case-insensitively.
    var lowercasedID: String? { self["id"]?.stringValue?.lowercased() }
}
