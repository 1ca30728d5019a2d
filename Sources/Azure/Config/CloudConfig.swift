import Foundation
import Yams

/// The cloud-provider configuration file (`azure.json`) the operator reads at startup.
///
/// JSON or YAML; keys match case-insensitively (`subscriptionId` and `subscriptionID` are the same key) and unknown
/// keys are ignored, so the whole `azure.json` of an AKS node loads. String values are trimmed.
public struct CloudConfig: Sendable, Equatable {
    public var cloud = ""
    public var tenantId = ""
    public var subscriptionId = ""
    public var location = ""
    /// The node resource group: VMSS, VMs, NICs, the managed prefix and per-NIC public IPs.
    public var resourceGroup = ""
    public var vnetName = ""
    public var vnetResourceGroup = ""
    public var subnetName = ""
    public var gatewayLoadBalancerName = ""
    public var loadBalancerResourceGroup = ""
    public var userAgent = ""
    /// When set, the cloud's endpoints are discovered from this ARM endpoint.
    public var resourceManagerEndpoint = ""

    public var useManagedIdentityExtension = false
    /// A client ID, or an ARM resource ID (contains `/subscriptions/`) of the user-assigned identity.
    public var userAssignedIdentityID = ""
    public var aadClientId = ""
    public var aadClientSecret = ""
    public var aadClientCertPath = ""
    public var aadClientCertPassword = ""
    public var useFederatedWorkloadIdentityExtension = false
    public var aadFederatedTokenFile = ""

    /// The optional client-side token buckets (`cloudProviderRateLimit*`); `nil` when disabled.
    public var rateLimit: RateLimitSettings?

    /// Values from the process environment that take precedence for authentication.
    public var environment = AuthenticationEnvironment()

    public init() {}

    /// The default path of the Go operator's `--cloud-config`.
    public static let defaultPath = "/etc/kubernetes/kube-egress-gateway/azure.json"
    /// Used when `gatewayLoadBalancerName` is empty.
    public static let defaultLoadBalancerName = "kubeegressgateway-ilb"
    public static let defaultUserAgent = "kube-egress-gateway-controller"

    public var effectiveLoadBalancerName: String { gatewayLoadBalancerName.isEmpty ? Self.defaultLoadBalancerName : gatewayLoadBalancerName }
    public var effectiveVNetResourceGroup: String { vnetResourceGroup.isEmpty ? resourceGroup : vnetResourceGroup }
    public var effectiveLoadBalancerResourceGroup: String {
        loadBalancerResourceGroup.isEmpty ? resourceGroup : loadBalancerResourceGroup
    }
    public var effectiveUserAgent: String { userAgent.isEmpty ? Self.defaultUserAgent : userAgent }

    /// Reads, parses and validates the file at `path`; `environment` is the process environment.
    public static func load(path: String, environment: [String: String] = ProcessInfo.processInfo.environment)
        throws(CloudConfigError) -> CloudConfig
    {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw .unreadable(path: path, reason: (error as NSError).localizedDescription)
        }
        var config = try parse(text, source: path)
        config.environment = AuthenticationEnvironment(environment)
        try config.validate()
        return config
    }

    /// Parses JSON or YAML text without validating; `source` names it in errors.
    public static func parse(_ text: String, source: String) throws(CloudConfigError) -> CloudConfig {
        let parsed: Any?
        do {
            parsed = try Yams.load(yaml: text)
        } catch {
            throw .invalid(source: source, field: "", reason: "neither JSON nor YAML: \(error)")
        }
        guard let object = parsed as? [String: Any] else {
            throw .invalid(source: source, field: "", reason: "the top level is not an object")
        }
        var reader = KeyReader(source: source, object: object)
        var config = CloudConfig()
        config.cloud = try reader.string("cloud")
        config.tenantId = try reader.string("tenantId")
        config.subscriptionId = try reader.string("subscriptionId")
        config.location = try reader.string("location")
        config.resourceGroup = try reader.string("resourceGroup")
        config.vnetName = try reader.string("vnetName")
        config.vnetResourceGroup = try reader.string("vnetResourceGroup")
        config.subnetName = try reader.string("subnetName")
        config.gatewayLoadBalancerName = try reader.string("gatewayLoadBalancerName")
        config.loadBalancerResourceGroup = try reader.string("loadBalancerResourceGroup")
        config.userAgent = try reader.string("userAgent")
        config.resourceManagerEndpoint = try reader.string("resourceManagerEndpoint")
        config.useManagedIdentityExtension = try reader.bool("useManagedIdentityExtension")
        config.userAssignedIdentityID = try reader.string("userAssignedIdentityID")
        config.aadClientId = try reader.string("aadClientId")
        config.aadClientSecret = try reader.string("aadClientSecret")
        config.aadClientCertPath = try reader.string("aadClientCertPath")
        config.aadClientCertPassword = try reader.string("aadClientCertPassword")
        config.useFederatedWorkloadIdentityExtension = try reader.bool("useFederatedWorkloadIdentityExtension")
        config.aadFederatedTokenFile = try reader.string("aadFederatedTokenFile")
        if try reader.bool("cloudProviderRateLimit") {
            config.rateLimit = RateLimitSettings(
                readQPS: try reader.number("cloudProviderRateLimitQPS") ?? RateLimitSettings.defaultQPS,
                readBucket: try reader.integer("cloudProviderRateLimitBucket") ?? RateLimitSettings.defaultBucket,
                writeQPS: try reader.number("cloudProviderRateLimitQPSWrite"),
                writeBucket: try reader.integer("cloudProviderRateLimitBucketWrite"))
        }
        return config
    }

    /// The checks of the Go operator, in its order and with its messages, plus two: an unknown `cloud` is an error,
    /// and a service principal may have a certificate instead of a secret.
    public func validate() throws(CloudConfigError) {
        func require(_ value: String, _ message: String) throws(CloudConfigError) {
            if value.isEmpty { throw .validation(message) }
        }
        try require(cloud, "cloud is empty")
        if environment.environmentFilePath.isEmpty || cloud.uppercased() != "AZURESTACKCLOUD" {
            guard AzureEnvironment.named(cloud) != nil else {
                throw .validation("cloud(\(cloud)) is not a known Azure environment: use AzurePublicCloud, AzureChinaCloud or AzureUSGovernmentCloud")
            }
        }
        try require(location, "location is empty")
        try require(subscriptionId, "subscription ID is empty")
        if !useManagedIdentityExtension {
            if !userAssignedIdentityID.isEmpty {
                throw .validation("useManagedIdentityExtension needs to be true when userAssignedIdentityID is provided")
            }
            // The Go check demands a secret even with a certificate, and its credential order then picks the secret:
            // a certificate could never be used. A certificate path stands in for the secret here.
            if aadClientId.isEmpty || (aadClientSecret.isEmpty && aadClientCertPath.isEmpty) {
                throw .validation("AAD client ID or AAD client secret is empty")
            }
        }
        try require(resourceGroup, "resource group is empty")
        try require(vnetName, "virtual network name is empty")
        try require(subnetName, "virtual network subnet name is empty")
    }

    /// The cloud's endpoints from the `cloud` name, or from `AZURE_ENVIRONMENT_FILEPATH` for `AzureStackCloud`.
    /// A configured `resourceManagerEndpoint` needs ``AzureEnvironment/discover(resourceManagerEndpoint:http:)``.
    public func azureEnvironment() throws(CloudConfigError) -> AzureEnvironment {
        var resolved: AzureEnvironment
        if cloud.uppercased() == "AZURESTACKCLOUD", !environment.environmentFilePath.isEmpty {
            resolved = try AzureEnvironment.load(file: environment.environmentFilePath)
        } else if let known = AzureEnvironment.named(cloud) {
            resolved = known
        } else {
            throw .validation("cloud(\(cloud)) is not a known Azure environment: use AzurePublicCloud, AzureChinaCloud or AzureUSGovernmentCloud")
        }
        if !environment.authorityHost.isEmpty {
            resolved.authorityHost = environment.authorityHost.hasSuffix("/") ? environment.authorityHost : environment.authorityHost + "/"
        }
        return resolved
    }
}

/// The `cloudProviderRateLimit*` token buckets: reads (GET, HEAD) and writes, each a rate and a burst.
public struct RateLimitSettings: Sendable, Equatable {
    public static let defaultQPS = 1.0
    public static let defaultBucket = 5
    public var readQPS: Double
    public var readBucket: Int
    /// Writes share the read settings when these are not set.
    public var writeQPS: Double
    public var writeBucket: Int

    public init(readQPS: Double, readBucket: Int, writeQPS: Double? = nil, writeBucket: Int? = nil) {
        self.readQPS = readQPS
        self.readBucket = readBucket
        self.writeQPS = writeQPS ?? readQPS
        self.writeBucket = writeBucket ?? readBucket
    }
}

/// The environment variables that override or add to the file for authentication (workload identity injects them).
public struct AuthenticationEnvironment: Sendable, Equatable {
    public var tenantID = ""
    public var clientID = ""
    public var clientSecret = ""
    public var federatedTokenFile = ""
    public var authorityHost = ""
    /// A custom cloud's endpoints, for `cloud: AzureStackCloud`.
    public var environmentFilePath = ""

    public init() {}

    public init(_ variables: [String: String]) {
        func value(_ name: String) -> String { (variables[name] ?? "").trimmingWhitespace }
        tenantID = value("AZURE_TENANT_ID")
        clientID = value("AZURE_CLIENT_ID")
        clientSecret = value("AZURE_CLIENT_SECRET")
        federatedTokenFile = value("AZURE_FEDERATED_TOKEN_FILE")
        authorityHost = value("AZURE_AUTHORITY_HOST")
        environmentFilePath = value("AZURE_ENVIRONMENT_FILEPATH")
    }
}

/// Why the cloud config could not be used. Messages name the file and the key.
public enum CloudConfigError: Error, Sendable, Equatable, CustomStringConvertible {
    case unreadable(path: String, reason: String)
    /// A key holds the wrong kind of value, or the text does not parse.
    case invalid(source: String, field: String, reason: String)
    /// A validation message of the Go operator (or the unknown-cloud check).
    case validation(String)
    /// Endpoint discovery from `resourceManagerEndpoint` failed.
    case discovery(url: String, reason: String)

    public var description: String {
        switch self {
        case .unreadable(let path, let reason): "cannot read cloud config \(path): \(reason)"
        case .invalid(let source, let field, let reason) where field.isEmpty: "cloud config \(source): \(reason)"
        case .invalid(let source, let field, let reason): "cloud config \(source): \(field): \(reason)"
        case .validation(let message): "invalid cloud config: \(message)"
        case .discovery(let url, let reason): "cannot discover the Azure environment from \(url): \(reason)"
        }
    }
}

/// Looks keys up case-insensitively and converts values as Go's JSON decoder would accept them.
private struct KeyReader {
    let source: String
    let values: [String: Any]

    init(source: String, object: [String: Any]) {
        self.source = source
        var lowered: [String: Any] = [:]
        for (key, value) in object { lowered[key.lowercased()] = value }
        values = lowered
    }

    func string(_ key: String) throws(CloudConfigError) -> String {
        switch values[key.lowercased()] {
        case nil, is NSNull: return ""
        case let text as String: return text.trimmingWhitespace
        case let value?: throw .invalid(source: source, field: key, reason: "want a string, found \(value)")
        }
    }

    func bool(_ key: String) throws(CloudConfigError) -> Bool {
        switch values[key.lowercased()] {
        case nil, is NSNull: return false
        case let flag as Bool: return flag
        case let value?: throw .invalid(source: source, field: key, reason: "want true or false, found \(value)")
        }
    }

    func number(_ key: String) throws(CloudConfigError) -> Double? {
        switch values[key.lowercased()] {
        case nil, is NSNull: return nil
        case let value as Int: return Double(value)
        case let value as Double: return value
        case let value?: throw .invalid(source: source, field: key, reason: "want a number, found \(value)")
        }
    }

    func integer(_ key: String) throws(CloudConfigError) -> Int? {
        switch values[key.lowercased()] {
        case nil, is NSNull: return nil
        case let value as Int: return value
        case let value?: throw .invalid(source: source, field: key, reason: "want an integer, found \(value)")
        }
    }
}
