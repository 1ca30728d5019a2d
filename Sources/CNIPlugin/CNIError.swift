/// A CNI error result: written as JSON on standard output, with exit status 1, so the runtime
/// reports `msg` on the pod instead of an opaque failure.
public struct CNIError: Error, Equatable, Sendable, CustomStringConvertible, Encodable {
    /// A CNI error code. 1–99 have the meanings the spec gives them; 100 and up are this plugin's.
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        public let rawValue: UInt
        public init(rawValue: UInt) { self.rawValue = rawValue }

        /// 1: the config's `cniVersion` is not one this plugin speaks, or it does not allow the command.
        public static let incompatibleVersion = Code(rawValue: 1)
        /// 3: the container's network namespace does not exist; the runtime need not clean up.
        public static let unknownContainer = Code(rawValue: 3)
        /// 4: a required `CNI_*` variable (or `CNI_ARGS` pair) is missing or invalid; the message names it.
        public static let invalidEnvironment = Code(rawValue: 4)
        /// 6: standard input is not the JSON document a network config must be.
        public static let decodingFailure = Code(rawValue: 6)
        /// 7: the network config (or the pod's gateway configuration) is invalid; the message names the field.
        public static let invalidConfig = Code(rawValue: 7)
        /// 8: `CNI_NETNS` is the plugin's own network namespace (libcni's `ErrInvalidNetNS`).
        public static let invalidNamespace = Code(rawValue: 8)
        /// 11: transient (the cni-manager is unreachable, the gateway is not ready): retry later.
        public static let tryAgainLater = Code(rawValue: 11)
        /// 50: answer to STATUS when the plugin cannot service ADD.
        public static let pluginNotAvailable = Code(rawValue: 50)
        /// 100: CHECK found the pod's network different from what ADD made.
        public static let podNetworkMismatch = Code(rawValue: 100)
        /// 101: a command this build does not implement yet.
        public static let notImplemented = Code(rawValue: 101)
        /// 999: the kernel, a helper program or an IPAM plugin failed (libcni's `ErrInternal`).
        public static let internalFailure = Code(rawValue: 999)

        public var description: String { String(rawValue) }
    }

    /// The version the error is written in: the config's when it was readable.
    public var cniVersion: CNIVersion
    public var code: Code
    /// The spec's `msg`: one line, shown to users by the runtime.
    public var message: String
    /// The spec's `details`: more context; omitted from the JSON when empty.
    public var details: String

    public init(code: Code, message: String, details: String = "", cniVersion: CNIVersion = .current) {
        self.cniVersion = cniVersion
        self.code = code
        self.message = message
        self.details = details
    }

    /// The error result, one line of JSON with sorted keys.
    public var json: String { CNIJSON.line(self) }

    public var description: String { details.isEmpty ? message : "\(message) (\(details))" }

    private enum CodingKeys: String, CodingKey {
        case cniVersion, code, message = "msg", details
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(cniVersion.description, forKey: .cniVersion)
        try container.encode(code.rawValue, forKey: .code)
        try container.encode(message, forKey: .message)
        if !details.isEmpty { try container.encode(details, forKey: .details) }
    }
}

extension CNIError {
    /// A failure of the kernel or a helper program during `operation`, keeping the cause's text.
    static func failed(_ operation: String, _ cause: any Error) -> CNIError {
        CNIError(code: .internalFailure, message: "\(operation): \(cause)")
    }

    /// A bad config field, naming it and its value.
    static func invalidConfig(field: String, value: String, reason: String) -> CNIError {
        CNIError(code: .invalidConfig, message: "invalid network config: \(field) \"\(value)\": \(reason)")
    }
}
