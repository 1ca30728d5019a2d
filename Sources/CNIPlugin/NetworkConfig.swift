#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The network config a runtime writes on the plugins' standard input: the conflist's entry for
/// this plugin plus `name`, `cniVersion`, the runtime's `runtimeConfig` and, when chained, the
/// previous plugin's result.
///
/// Only the fields the plugins use are read; any others (`capabilities`, `gatewayName`, …) are
/// ignored, as upstream does. Values that only matter to an annotated pod (`excludedCIDRs`,
/// `ipam.type`) are checked when such a pod needs them, so a conflist mistake there cannot
/// break a pod that does not use the gateway.
public struct NetworkConfig: Sendable {
    /// The runtime config key of containerd's pod-annotations capability.
    public static let podAnnotationsCapability = "io.kubernetes.cri.pod-annotations"
    /// Where the cni-manager listens when the config does not say.
    public static let defaultManagerSocket = "/var/run/egressgw/cni.sock"

    public var cniVersion: CNIVersion
    /// The network's name (the conflist's `name`).
    public var name: String
    /// The plugin type (the executable's name in `CNI_PATH`).
    public var type: String
    /// `ipam.type`; empty when the config has none.
    public var ipamType: String
    /// The result of the plugins before this one, in ``cniVersion``'s model.
    public var prevResult: CNIResult?
    /// The pod's annotations when the runtime passed them (`runtimeConfig` with the
    /// ``podAnnotationsCapability`` key); nil when it did not, which is not the same as none.
    public var podAnnotations: [String: String]?
    /// `excludedCIDRs`: CIDR text that bypasses the tunnel in gateway-default mode (upstream-cni §1.6).
    public var excludedCIDRs: [String]
    /// `managerSocket`: the cni-manager's unix socket.
    public var managerSocket: String
    /// GC's `cni.dev/valid-attachments`, reduced to their container IDs; nil outside GC.
    public var validContainerIDs: [String]?

    public init(cniVersion: CNIVersion = .current, name: String, type: String, ipamType: String = "",
                prevResult: CNIResult? = nil, podAnnotations: [String: String]? = nil,
                excludedCIDRs: [String] = [], managerSocket: String = NetworkConfig.defaultManagerSocket,
                validContainerIDs: [String]? = nil) {
        self.cniVersion = cniVersion
        self.name = name
        self.type = type
        self.ipamType = ipamType
        self.prevResult = prevResult
        self.podAnnotations = podAnnotations
        self.excludedCIDRs = excludedCIDRs
        self.managerSocket = managerSocket
        self.validContainerIDs = validContainerIDs
    }

    /// Parses standard input. Not JSON: code 6; a version this plugin does not speak: code 1;
    /// a missing or invalid `name`, or a `prevResult` that does not read: code 7.
    public static func parse(_ input: [UInt8]) throws(CNIError) -> NetworkConfig {
        let wire: Wire
        do {
            wire = try JSONDecoder().decode(Wire.self, from: Data(input))
        } catch {
            let isJSON = (try? JSONDecoder().decode(ObjectProbe.self, from: Data(input))) != nil
            throw CNIError(code: isJSON ? .invalidConfig : .decodingFailure,
                           message: "failed to parse CNI config: \(CNIJSON.describe(error))")
        }
        let versionText = wire.cniVersion ?? CNIVersion.implied.description
        guard let version = CNIVersion(versionText), CNIVersion.supported.contains(version) else {
            throw CNIError(code: .incompatibleVersion,
                           message: "incompatible CNI versions: config is \"\(versionText)\"",
                           details: "plugin supports " + CNIVersion.supported.map(\.description).joined(separator: ", "))
        }
        let name = wire.name ?? ""
        guard isValidName(name) else {
            throw CNIError(code: .invalidConfig,
                           message: "invalid network config: name \"\(name)\": must start with a letter or digit and contain only letters, digits, '_', '.' and '-'",
                           cniVersion: version)
        }
        var prevResult = wire.prevResult
        prevResult?.cniVersion = version
        return NetworkConfig(
            cniVersion: version, name: name, type: wire.type ?? "", ipamType: wire.ipam?.type ?? "",
            prevResult: prevResult, podAnnotations: wire.runtimeConfig?.podAnnotations,
            excludedCIDRs: wire.excludedCIDRs ?? [],
            managerSocket: wire.managerSocket.flatMap { $0.isEmpty ? nil : $0 } ?? defaultManagerSocket,
            validContainerIDs: wire.validAttachments?.map(\.containerID))
    }

    /// libcni's network-name rule: `^[a-zA-Z0-9][a-zA-Z0-9_.\-]*$`.
    static func isValidName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, first.isASCIIAlphanumeric else { return false }
        return name.unicodeScalars.allSatisfy { $0.isASCIIAlphanumeric || $0 == "_" || $0 == "." || $0 == "-" }
    }

    /// Decodes any JSON object: tells a config with a bad field from input that is not JSON at all.
    private struct ObjectProbe: Decodable {
        struct AnyKey: CodingKey {
            let stringValue: String
            var intValue: Int? { nil }
            init(stringValue: String) { self.stringValue = stringValue }
            init?(intValue: Int) { return nil }
        }
        init(from decoder: any Decoder) throws { _ = try decoder.container(keyedBy: AnyKey.self) }
    }

    private struct Wire: Decodable {
        struct IPAM: Decodable { let type: String? }
        struct RuntimeConfig: Decodable {
            let podAnnotations: [String: String]?
            enum CodingKeys: String, CodingKey { case podAnnotations = "io.kubernetes.cri.pod-annotations" }
        }
        let cniVersion: String?
        let name: String?
        let type: String?
        let ipam: IPAM?
        let prevResult: CNIResult?
        let runtimeConfig: RuntimeConfig?
        struct Attachment: Decodable { let containerID: String }
        let excludedCIDRs: [String]?
        let managerSocket: String?
        let validAttachments: [Attachment]?

        enum CodingKeys: String, CodingKey {
            case cniVersion, name, type, ipam, prevResult, runtimeConfig, excludedCIDRs, managerSocket
            case validAttachments = "cni.dev/valid-attachments"
        }
    }
}

extension Unicode.Scalar {
    fileprivate var isASCIIAlphanumeric: Bool {
        ("a"..."z").contains(self) || ("A"..."Z").contains(self) || ("0"..."9").contains(self)
    }
}
