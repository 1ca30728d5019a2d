/// A public IP prefix: the block egress addresses come from.
public struct PublicIPPrefix: ARMResource {
    public var json: AzureJSON
    public init(json: AzureJSON) { self.json = json }

    /// The body of a managed prefix (§4.4): Standard, regional, IPv4; no tags and no zones, as the Go operator.
    public init(name: String, location: String, prefixLength: Int) {
        json = ["name": .string(name), "location": .string(location), "sku": ["name": "Standard", "tier": "Regional"],
                "properties": ["prefixLength": .integer(Int64(prefixLength)), "publicIPAddressVersion": "IPv4"]]
    }

    public var prefixLength: Int? { self[property: "prefixLength"]?.intValue }
    /// The allocated block, e.g. `203.0.113.16/30`.
    public var ipPrefix: String? { self[property: "ipPrefix"]?.stringValue }
    /// The public IPs allocated from the prefix; they block its deletion.
    public var publicIPAddressIDs: [String] {
        self[property: "publicIPAddresses"]?.arrayValue?.compactMap { $0["id"]?.stringValue } ?? []
    }
}

/// A public IP address (VM-pool NICs get one each from the prefix).
public struct PublicIPAddress: ARMResource {
    public var json: AzureJSON
    public init(json: AzureJSON) { self.json = json }

    /// The body of a per-NIC public IP (§4.6): Standard, regional, static IPv4 from `prefixID`.
    public init(name: String, location: String, publicIPPrefixID: String) {
        json = ["name": .string(name), "location": .string(location), "sku": ["name": "Standard", "tier": "Regional"],
                "properties": ["publicIPAddressVersion": "IPv4", "publicIPAllocationMethod": "Static",
                               "publicIPPrefix": ["id": .string(publicIPPrefixID)]]]
    }

    public var ipAddress: String? { self[property: "ipAddress"]?.stringValue }
    public var publicIPPrefixID: String? { reference("publicIPPrefix") }
}

/// A subnet of a virtual network.
public struct Subnet: ARMObject {
    public var json: AzureJSON
    public init(json: AzureJSON) { self.json = json }

    public var addressPrefix: String? { self[property: "addressPrefix"]?.stringValue }
    public var addressPrefixes: [String] { self[property: "addressPrefixes"]?.arrayValue?.compactMap(\.stringValue) ?? [] }
}
