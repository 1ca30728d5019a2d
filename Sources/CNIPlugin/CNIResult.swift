import Netlink

/// An ADD result in the 1.1.0 model, read from and written to any supported version.
///
/// 0.3.x/0.4.0 results differ only in the `version` field of each IP ("4" or "6") and in lacking
/// the 1.1.0 interface and route fields; reading accepts either shape, writing produces exactly
/// the shape of the requested version (upstream-cni §1.1, libcni's converters).
public struct CNIResult: Equatable, Sendable {
    /// The version the result is written in.
    public var cniVersion: CNIVersion
    public var interfaces: [Interface]
    public var ips: [IPConfig]
    public var routes: [RouteEntry]
    public var dns: DNS

    public init(cniVersion: CNIVersion = .current, interfaces: [Interface] = [], ips: [IPConfig] = [],
                routes: [RouteEntry] = [], dns: DNS = DNS()) {
        self.cniVersion = cniVersion
        self.interfaces = interfaces
        self.ips = ips
        self.routes = routes
        self.dns = dns
    }

    /// An interface the chain created or configured.
    public struct Interface: Equatable, Sendable {
        public var name: String
        /// Omitted for devices without a hardware address (WireGuard).
        public var mac: String?
        /// 1.1.0 only.
        public var mtu: Int?
        /// The namespace path for interfaces inside the container; nil for host-side ones.
        public var sandbox: String?
        /// 1.1.0 only: the socket of a vhost-user interface.
        public var socketPath: String?
        /// 1.1.0 only: the PCI address of a device interface.
        public var pciID: String?

        public init(name: String, mac: String? = nil, mtu: Int? = nil, sandbox: String? = nil,
                    socketPath: String? = nil, pciID: String? = nil) {
            self.name = name
            self.mac = mac
            self.mtu = mtu
            self.sandbox = sandbox
            self.socketPath = socketPath
            self.pciID = pciID
        }
    }

    /// An address, with its prefix, on the interface at index ``interface`` of ``interfaces``.
    public struct IPConfig: Equatable, Sendable {
        /// Host bits are kept: `10.1.0.5/16`.
        public var address: IPNetwork
        public var gateway: IPAddress?
        public var interface: Int?

        public init(address: IPNetwork, gateway: IPAddress? = nil, interface: Int? = nil) {
            self.address = address
            self.gateway = gateway
            self.interface = interface
        }
    }

    /// A route the chain added. `gw` may be of the other family (`0.0.0.0/0` via `fe80::1`).
    public struct RouteEntry: Equatable, Sendable {
        public var destination: IPNetwork
        public var gateway: IPAddress?
        /// 1.1.0 only, like the four fields after it.
        public var mtu: Int?
        public var advmss: Int?
        public var priority: Int?
        public var table: Int?
        public var scope: Int?

        public init(destination: IPNetwork, gateway: IPAddress? = nil, mtu: Int? = nil, advmss: Int? = nil,
                    priority: Int? = nil, table: Int? = nil, scope: Int? = nil) {
            self.destination = destination
            self.gateway = gateway
            self.mtu = mtu
            self.advmss = advmss
            self.priority = priority
            self.table = table
            self.scope = scope
        }
    }

    /// Resolver settings; every field may be absent.
    public struct DNS: Equatable, Sendable, Codable {
        public var nameservers: [String]?
        public var domain: String?
        public var search: [String]?
        public var options: [String]?

        public init(nameservers: [String]? = nil, domain: String? = nil, search: [String]? = nil, options: [String]? = nil) {
            self.nameservers = nameservers
            self.domain = domain
            self.search = search
            self.options = options
        }
    }

    /// The result as the runtime reads it: indented JSON in ``cniVersion``'s shape.
    public var json: String { CNIJSON.pretty(self) }

    /// The same result written in `version`'s shape.
    public func converted(to version: CNIVersion) -> CNIResult {
        var result = self
        result.cniVersion = version
        return result
    }
}

// MARK: Wire format

extension CNIResult: Codable {
    private enum Keys: String, CodingKey {
        case cniVersion, interfaces, ips, routes, dns
    }

    /// Reads a result of any supported version; `cniVersion` is taken from the document, or 1.1.0
    /// when it has none (a prevResult's version is the config's, which callers set afterwards).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Keys.self)
        if let text = try container.decodeIfPresent(String.self, forKey: .cniVersion) {
            guard let version = CNIVersion(text) else {
                throw DecodingError.dataCorruptedError(forKey: .cniVersion, in: container,
                                                       debugDescription: "\"\(text)\" is not a version like 1.0.0")
            }
            cniVersion = version
        } else {
            cniVersion = .current
        }
        interfaces = try container.decodeIfPresent([Interface].self, forKey: .interfaces) ?? []
        ips = try container.decodeIfPresent([IPConfig].self, forKey: .ips) ?? []
        routes = try container.decodeIfPresent([RouteEntry].self, forKey: .routes) ?? []
        dns = try container.decodeIfPresent(DNS.self, forKey: .dns) ?? DNS()
        for (index, ip) in ips.enumerated() {
            if let interface = ip.interface, !interfaces.indices.contains(interface) {
                throw DecodingError.dataCorrupted(.init(
                    codingPath: decoder.codingPath + [Keys.ips, IndexKey(index)],
                    debugDescription: "interface index \(interface) is outside the \(interfaces.count) interfaces"))
            }
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode(cniVersion.description, forKey: .cniVersion)
        let extended = cniVersion.resultsCarryExtendedFields
        if !interfaces.isEmpty {
            try container.encode(interfaces.map { VersionedInterface(interface: $0, extended: extended) }, forKey: .interfaces)
        }
        if !ips.isEmpty {
            try container.encode(ips.map { VersionedIP(ip: $0, withVersion: cniVersion.resultsCarryIPVersion) }, forKey: .ips)
        }
        if !routes.isEmpty {
            try container.encode(routes.map { VersionedRoute(route: $0, extended: extended) }, forKey: .routes)
        }
        // libcni always writes the object, empty or not.
        try container.encode(dns, forKey: .dns)
    }
}

private struct IndexKey: CodingKey {
    let intValue: Int?
    let stringValue: String
    init(_ index: Int) { intValue = index; stringValue = String(index) }
    init?(intValue: Int) { self.init(intValue) }
    init?(stringValue: String) { return nil }
}

extension CNIResult.Interface: Decodable {
    private enum Keys: String, CodingKey {
        case name, mac, mtu, sandbox, socketPath, pciID
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Keys.self)
        name = try container.decode(String.self, forKey: .name)
        mac = try container.decodeIfPresent(String.self, forKey: .mac).flatMap { $0.isEmpty ? nil : $0 }
        mtu = try container.decodeIfPresent(Int.self, forKey: .mtu)
        sandbox = try container.decodeIfPresent(String.self, forKey: .sandbox).flatMap { $0.isEmpty ? nil : $0 }
        socketPath = try container.decodeIfPresent(String.self, forKey: .socketPath)
        pciID = try container.decodeIfPresent(String.self, forKey: .pciID)
    }

    fileprivate func encode(to encoder: any Encoder, extended: Bool) throws {
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode(name, forKey: .name)
        try container.encodeIfPresent(mac, forKey: .mac)
        try container.encodeIfPresent(sandbox, forKey: .sandbox)
        if extended {
            try container.encodeIfPresent(mtu, forKey: .mtu)
            try container.encodeIfPresent(socketPath, forKey: .socketPath)
            try container.encodeIfPresent(pciID, forKey: .pciID)
        }
    }
}

extension CNIResult.IPConfig: Decodable {
    private enum Keys: String, CodingKey {
        case address, gateway, interface, version
    }

    /// The `version` field of 0.x results is ignored: the address says which family it is.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Keys.self)
        let text = try container.decode(String.self, forKey: .address)
        guard let address = IPNetwork(text) else {
            throw DecodingError.dataCorruptedError(forKey: .address, in: container, debugDescription: "\"\(text)\" is not an address/prefix")
        }
        self.address = address
        if let gatewayText = try container.decodeIfPresent(String.self, forKey: .gateway), !gatewayText.isEmpty {
            guard let gateway = IPAddress(gatewayText) else {
                throw DecodingError.dataCorruptedError(forKey: .gateway, in: container, debugDescription: "\"\(gatewayText)\" is not an IP address")
            }
            self.gateway = gateway
        }
        interface = try container.decodeIfPresent(Int.self, forKey: .interface)
    }

    fileprivate func encode(to encoder: any Encoder, withVersion: Bool) throws {
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode(address.description, forKey: .address)
        try container.encodeIfPresent(gateway?.description, forKey: .gateway)
        try container.encodeIfPresent(interface, forKey: .interface)
        if withVersion { try container.encode(address.address.isIPv4 ? "4" : "6", forKey: .version) }
    }
}

extension CNIResult.RouteEntry: Decodable {
    private enum Keys: String, CodingKey {
        case dst, gw, mtu, advmss, priority, table, scope
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Keys.self)
        let text = try container.decode(String.self, forKey: .dst)
        guard let destination = IPNetwork(text) else {
            throw DecodingError.dataCorruptedError(forKey: .dst, in: container, debugDescription: "\"\(text)\" is not an address/prefix")
        }
        self.destination = destination
        if let gatewayText = try container.decodeIfPresent(String.self, forKey: .gw), !gatewayText.isEmpty {
            guard let gateway = IPAddress(gatewayText) else {
                throw DecodingError.dataCorruptedError(forKey: .gw, in: container, debugDescription: "\"\(gatewayText)\" is not an IP address")
            }
            self.gateway = gateway
        }
        mtu = try container.decodeIfPresent(Int.self, forKey: .mtu)
        advmss = try container.decodeIfPresent(Int.self, forKey: .advmss)
        priority = try container.decodeIfPresent(Int.self, forKey: .priority)
        table = try container.decodeIfPresent(Int.self, forKey: .table)
        scope = try container.decodeIfPresent(Int.self, forKey: .scope)
    }

    fileprivate func encode(to encoder: any Encoder, extended: Bool) throws {
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode(destination.description, forKey: .dst)
        try container.encodeIfPresent(gateway?.description, forKey: .gw)
        if extended {
            try container.encodeIfPresent(mtu, forKey: .mtu)
            try container.encodeIfPresent(advmss, forKey: .advmss)
            try container.encodeIfPresent(priority, forKey: .priority)
            try container.encodeIfPresent(table, forKey: .table)
            try container.encodeIfPresent(scope, forKey: .scope)
        }
    }
}

/// Adapters that carry the target version's shape into the element encoders.
private struct VersionedInterface: Encodable {
    let interface: CNIResult.Interface
    let extended: Bool
    func encode(to encoder: any Encoder) throws { try interface.encode(to: encoder, extended: extended) }
}

private struct VersionedIP: Encodable {
    let ip: CNIResult.IPConfig
    let withVersion: Bool
    func encode(to encoder: any Encoder) throws { try ip.encode(to: encoder, withVersion: withVersion) }
}

private struct VersionedRoute: Encodable {
    let route: CNIResult.RouteEntry
    let extended: Bool
    func encode(to encoder: any Encoder) throws { try route.encode(to: encoder, extended: extended) }
}
