/// A CNI error result: written as JSON on standard output, with exit status 1, so the runtime
/// reports `msg` on the pod instead of an opaque failure.
struct CNIError: Error, Equatable, Sendable, CustomStringConvertible, Encodable {
    /// A CNI error code. 1–99 are reserved for the meanings the spec gives them.
    struct Code: RawRepresentable, Equatable, Sendable {
        let rawValue: UInt

        /// 4: a required `CNI_*` variable is missing or invalid; the message names it.
        static let invalidEnvironment = Code(rawValue: 4)
        /// 50: answer to STATUS when the plugin cannot service ADD.
        static let pluginNotAvailable = Code(rawValue: 50)
    }

    var cniVersion = CNIProtocol.specVersion
    var code: Code
    /// The spec's `msg`: one line, shown to users by the runtime.
    var message: String
    /// The spec's `details`: more context; omitted from the JSON when empty.
    var details: String

    init(code: Code, message: String, details: String = "") {
        self.code = code
        self.message = message
        self.details = details
    }

    /// The error result, one line of JSON with sorted keys.
    var json: String { CNIProtocol.encodeLine(self) }

    var description: String { details.isEmpty ? message : "\(message) (\(details))" }

    private enum CodingKeys: String, CodingKey {
        case cniVersion, code, message = "msg", details
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(cniVersion, forKey: .cniVersion)
        try container.encode(code.rawValue, forKey: .code)
        try container.encode(message, forKey: .message)
        if !details.isEmpty { try container.encode(details, forKey: .details) }
    }
}
