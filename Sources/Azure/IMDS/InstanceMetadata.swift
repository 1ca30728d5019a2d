/// The IMDS instance document (`/metadata/instance`, api-version 2021-10-01), reduced to the fields the gateway
/// daemon uses. Absent members decode as empty, as the Go structs see them, so an older IMDS schema still loads.
public struct InstanceMetadata: Sendable, Equatable, Decodable {
    public var compute: Compute
    public var network: Network

    public init(compute: Compute, network: Network) {
        self.compute = compute
        self.network = network
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        compute = try container.decodeIfPresent(Compute.self, forKey: .compute) ?? Compute()
        network = try container.decodeIfPresent(Network.self, forKey: .network) ?? Network()
    }

    private enum CodingKeys: String, CodingKey { case compute, network }

    /// The VM itself: where it runs and how AKS tagged it.
    public struct Compute: Sendable, Equatable, Decodable {
        public var azEnvironment = ""
        public var location = ""
        public var name = ""
        public var osType = ""
        /// `osProfile.computerName`: the name the operator writes into `gatewayVMProfiles` for VMSS pools.
        public var computerName = ""
        public var resourceGroupName = ""
        public var resourceId = ""
        public var subscriptionId = ""
        /// The raw `k1:v1;k2:v2` string; see ``NodeTags``.
        public var tags = ""
        public var vmScaleSetName = ""

        public init() {}

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            func string(_ key: CodingKeys) throws -> String { try container.decodeIfPresent(String.self, forKey: key) ?? "" }
            azEnvironment = try string(.azEnvironment)
            location = try string(.location)
            name = try string(.name)
            osType = try string(.osType)
            computerName = try container.decodeIfPresent(OSProfile.self, forKey: .osProfile)?.computerName ?? ""
            resourceGroupName = try string(.resourceGroupName)
            resourceId = try string(.resourceId)
            subscriptionId = try string(.subscriptionId)
            tags = try string(.tags)
            vmScaleSetName = try string(.vmScaleSetName)
        }

        /// The tags as the daemon matches them (trimmed; parts that are not exactly `key:value` dropped).
        public var nodeTags: NodeTags { NodeTags(parsing: tags) }

        private struct OSProfile: Decodable {
            var computerName: String?
        }

        private enum CodingKeys: String, CodingKey {
            case azEnvironment, location, name, osType, osProfile, resourceGroupName, resourceId, subscriptionId, tags
            case vmScaleSetName
        }
    }

    /// The VM's network interfaces as IMDS reports them.
    public struct Network: Sendable, Equatable, Decodable {
        public var interfaces: [Interface] = []

        public init(interfaces: [Interface] = []) { self.interfaces = interfaces }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            interfaces = try container.decodeIfPresent([Interface].self, forKey: .interface) ?? []
        }

        private enum CodingKeys: String, CodingKey { case interface }
    }

    /// One NIC: its MAC and IPv4 configuration.
    public struct Interface: Sendable, Equatable, Decodable {
        public var macAddress: String
        public var ipv4Addresses: [IPAddress]
        public var ipv4Subnets: [Subnet]

        public init(macAddress: String = "", ipv4Addresses: [IPAddress] = [], ipv4Subnets: [Subnet] = []) {
            self.macAddress = macAddress
            self.ipv4Addresses = ipv4Addresses
            self.ipv4Subnets = ipv4Subnets
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            macAddress = try container.decodeIfPresent(String.self, forKey: .macAddress) ?? ""
            let ipv4 = try container.decodeIfPresent(IPv4.self, forKey: .ipv4)
            ipv4Addresses = ipv4?.ipAddress ?? []
            ipv4Subnets = ipv4?.subnet ?? []
        }

        private struct IPv4: Decodable {
            var ipAddress: [IPAddress]?
            var subnet: [Subnet]?
        }

        private enum CodingKeys: String, CodingKey { case macAddress, ipv4 }
    }

    /// A private address and the public address Azure maps to it, if any.
    public struct IPAddress: Sendable, Equatable, Decodable {
        public var privateIpAddress: String
        public var publicIpAddress: String

        public init(privateIpAddress: String, publicIpAddress: String = "") {
            self.privateIpAddress = privateIpAddress
            self.publicIpAddress = publicIpAddress
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            privateIpAddress = try container.decodeIfPresent(String.self, forKey: .privateIpAddress) ?? ""
            publicIpAddress = try container.decodeIfPresent(String.self, forKey: .publicIpAddress) ?? ""
        }

        private enum CodingKeys: String, CodingKey { case privateIpAddress, publicIpAddress }
    }

    /// A subnet as IMDS writes it: network address and prefix length, both strings.
    public struct Subnet: Sendable, Equatable, Decodable {
        public var address: String
        public var prefix: String

        public init(address: String, prefix: String) {
            self.address = address
            self.prefix = prefix
        }
    }
}

/// The IMDS load-balancer document (`/metadata/loadbalancer`, api-version 2020-10-01): the public frontends a
/// standard load balancer maps to this VM. The daemon only requires that IMDS answers it.
public struct LoadBalancerMetadata: Sendable, Equatable, Decodable {
    public var publicIpAddresses: [FrontendAddress]

    public init(publicIpAddresses: [FrontendAddress] = []) { self.publicIpAddresses = publicIpAddresses }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let loadbalancer = try container.decodeIfPresent(Body.self, forKey: .loadbalancer)
        publicIpAddresses = loadbalancer?.publicIpAddresses ?? []
    }

    private struct Body: Decodable { var publicIpAddresses: [FrontendAddress]? }
    private enum CodingKeys: String, CodingKey { case loadbalancer }

    /// One frontend and the private address behind it.
    public struct FrontendAddress: Sendable, Equatable, Decodable {
        public var frontendIpAddress: String
        public var privateIpAddress: String

        public init(frontendIpAddress: String, privateIpAddress: String) {
            self.frontendIpAddress = frontendIpAddress
            self.privateIpAddress = privateIpAddress
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            frontendIpAddress = try container.decodeIfPresent(String.self, forKey: .frontendIpAddress) ?? ""
            privateIpAddress = try container.decodeIfPresent(String.self, forKey: .privateIpAddress) ?? ""
        }

        private enum CodingKeys: String, CodingKey { case frontendIpAddress, privateIpAddress }
    }
}
