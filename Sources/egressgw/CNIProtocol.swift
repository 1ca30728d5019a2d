import Logging
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The parts of the CNI 1.1 protocol (containernetworking/cni SPEC.md) that both plugins share:
/// the versions they speak, the operations a runtime asks for and the environment it sets.
enum CNIProtocol {
    /// The spec version of every reply this binary writes.
    static let specVersion = "1.1.0"
    /// The config versions accepted: those with the ADD/DEL/CHECK result format this plugin writes.
    static let supportedVersions = ["0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"]

    /// The answer to `VERSION`, one line of JSON:
    /// `{"cniVersion":"1.1.0","supportedVersions":["0.3.0",…,"1.1.0"]}`.
    static func versionReply() -> String {
        struct Reply: Encodable {
            let cniVersion: String
            let supportedVersions: [String]
        }
        return encodeLine(Reply(cniVersion: specVersion, supportedVersions: supportedVersions))
    }

    /// `value` as compact JSON with sorted keys, so replies are byte-for-byte stable.
    static func encodeLine(_ value: some Encodable) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // The reply types hold only strings, numbers and arrays of them, which always encode.
        let data = (try? encoder.encode(value)) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}

/// An operation named by `CNI_COMMAND`.
enum CNIOperation: String, Sendable, CaseIterable {
    case add = "ADD"
    case del = "DEL"
    case check = "CHECK"
    case status = "STATUS"
    case gc = "GC"
    case version = "VERSION"
}

/// The `CNI_*` variables a runtime sets when it executes a plugin.
struct CNIEnvironment: Sendable, Equatable {
    /// `CNI_COMMAND`; `nil` when unset or empty, i.e. the binary was run by hand.
    var operation: CNIOperation?
    /// `CNI_CONTAINERID`.
    var containerID: String?
    /// `CNI_NETNS`: the path of the container's network namespace.
    var networkNamespace: String?
    /// `CNI_IFNAME`: the interface the runtime asks for inside the container.
    var interfaceName: String?
    /// `CNI_ARGS`: `K=V;K=V` pairs, parsed by the plugin that needs them.
    var arguments: String?
    /// `CNI_PATH`: where delegated plugins (IPAM) are looked up.
    var pluginPath: String?

    /// Reads the variables from `environment`. An unknown `CNI_COMMAND` is a CNI error (code 4).
    init(_ environment: [String: String]) throws(CNIError) {
        func value(_ name: String) -> String? {
            guard let text = environment[name], !text.isEmpty else { return nil }
            return text
        }
        if let command = value("CNI_COMMAND") {
            guard let operation = CNIOperation(rawValue: command) else {
                throw CNIError(code: .invalidEnvironment, message: "unknown CNI_COMMAND \"\(command)\"",
                               details: "CNI_COMMAND must be one of "
                                   + CNIOperation.allCases.map(\.rawValue).joined(separator: ", "))
            }
            self.operation = operation
        }
        containerID = value("CNI_CONTAINERID")
        networkNamespace = value("CNI_NETNS")
        interfaceName = value("CNI_IFNAME")
        arguments = value("CNI_ARGS")
        pluginPath = value("CNI_PATH")
    }
}

extension CNIEnvironment {
    /// The variables that were set, for log records about this invocation.
    var logMetadata: Logger.Metadata {
        var metadata: Logger.Metadata = [:]
        metadata["command"] = operation.map { .string($0.rawValue) }
        metadata["containerID"] = containerID.map { .string($0) }
        metadata["netns"] = networkNamespace.map { .string($0) }
        metadata["ifName"] = interfaceName.map { .string($0) }
        metadata["args"] = arguments.map { .string($0) }
        metadata["path"] = pluginPath.map { .string($0) }
        return metadata
    }
}
