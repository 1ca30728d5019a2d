import Logging

/// One execution of a CNI plugin by a runtime: checks the environment and the config version
/// the way libcni's skel does, hands the command to a ``CNIHandler`` and turns the outcome into
/// what the runtime reads (a reply or an error object on stdout, usage on stderr).
public struct CNIInvocation: Sendable {
    /// The plugin's name in messages, e.g. `egressgw-cni`.
    public let plugin: String
    /// The plugin's release, shown in the usage text.
    public let version: String
    public let handler: any CNIHandler
    public let logger: Logger

    public init(plugin: String, version: String, handler: any CNIHandler, logger: Logger) {
        self.plugin = plugin
        self.version = version
        self.handler = handler
        self.logger = logger
    }

    /// What the plugin answers.
    public enum Outcome: Equatable, Sendable {
        /// Text on stdout (possibly empty), exit status 0.
        case reply(String)
        /// An error object on stdout, exit status 1.
        case failure(CNIError)
        /// Usage on stderr, exit status 0: run by hand, without `CNI_COMMAND`.
        case usage(String)

        /// What goes to standard output.
        public var standardOutput: String {
            switch self {
            case .reply(let text): text
            case .failure(let error): error.json + "\n"
            case .usage: ""
            }
        }

        /// What goes to standard error.
        public var standardError: String {
            if case .usage(let text) = self { return text }
            return ""
        }

        public var exitStatus: Int32 {
            if case .failure = self { return 1 }
            return 0
        }
    }

    /// The answer to a runtime that set `environment` and writes `input()` on stdin. Standard
    /// input is read only for commands that take a config, so a person running the binary in a
    /// terminal is not left waiting.
    public func outcome(environment: [String: String], input: () -> [UInt8]) async -> Outcome {
        let cni: CNIEnvironment
        do {
            cni = try CNIEnvironment(environment)
        } catch {
            return refuse(error, metadata: [:])
        }
        guard let operation = cni.operation else {
            return .usage("""
                CNI \(plugin) plugin version \(version)
                CNI protocol versions supported: \(CNIVersion.supported.map(\.description).joined(separator: ", "))
                A container runtime executes this plugin with CNI_COMMAND and the other CNI_* variables set.

                """)
        }
        if operation == .version { return .reply(Self.versionReply + "\n") }
        let bytes = input()
        if operation == .del { return await delete(cni, input: bytes) }
        do throws(CNIError) {
            try cni.requireVariables(for: operation)
            let config = try NetworkConfig.parse(bytes)
            do throws(CNIError) {
                return try await perform(operation, CNIRequest(environment: cni, config: config, input: bytes))
            } catch {
                var versioned = error
                versioned.cniVersion = config.cniVersion
                throw versioned
            }
        } catch {
            return refuse(error, metadata: cni.logMetadata)
        }
    }

    private func perform(_ operation: CNIOperation, _ request: CNIRequest) async throws(CNIError) -> Outcome {
        let version = request.config.cniVersion
        switch operation {
        case .add:
            return .reply(try await handler.add(request).converted(to: version).json + "\n")
        case .check:
            guard version.allowsCheck else { throw versionRefusal(operation, version, minimum: .v0_4_0) }
            try await handler.check(request)
        case .status:
            guard version.allowsStatusAndGC else { throw versionRefusal(operation, version, minimum: .v1_1_0) }
            try await handler.status(request)
        case .gc:
            guard version.allowsStatusAndGC else { throw versionRefusal(operation, version, minimum: .v1_1_0) }
            try await handler.garbageCollect(request)
        case .del:
            try await handler.delete(request)
        case .version:
            return .reply(Self.versionReply + "\n")
        }
        return .reply("")
    }

    /// DEL never fails (upstream-cni §1.7): a runtime that cannot tear a sandbox down keeps the
    /// pod terminating forever. Problems are logged on stderr and the answer is success.
    private func delete(_ cni: CNIEnvironment, input: [UInt8]) async -> Outcome {
        do throws(CNIError) {
            try cni.requireVariables(for: .del)
            let config = try NetworkConfig.parse(input)
            try await handler.delete(CNIRequest(environment: cni, config: config, input: input))
        } catch {
            logger.warning("DEL: \(error); reporting success anyway", metadata: cni.logMetadata)
        }
        return .reply("")
    }

    private func versionRefusal(_ operation: CNIOperation, _ version: CNIVersion, minimum: CNIVersion) -> CNIError {
        CNIError(code: .incompatibleVersion,
                 message: "config version \(version) does not allow \(operation.rawValue) (needs \(minimum) or later)",
                 cniVersion: version)
    }

    private func refuse(_ error: CNIError, metadata: Logger.Metadata) -> Outcome {
        var metadata = metadata
        metadata["code"] = .stringConvertible(error.code.rawValue)
        logger.error("CNI request refused: \(error)", metadata: metadata)
        return .failure(error)
    }

    /// The answer to `VERSION`, one line of JSON:
    /// `{"cniVersion":"1.1.0","supportedVersions":["0.3.0",…,"1.1.0"]}`.
    public static var versionReply: String {
        struct Reply: Encodable {
            let cniVersion: String
            let supportedVersions: [String]
        }
        return CNIJSON.line(Reply(cniVersion: CNIVersion.current.description,
                                  supportedVersions: CNIVersion.supported.map(\.description)))
    }
}
