import Foundation

/// An exec credential plugin (`client.authentication.k8s.io/v1` or `v1beta1`), as AKS clusters use with kubelogin:
/// the command prints an `ExecCredential` with a token and/or a client certificate, which is kept until its
/// `expirationTimestamp` (or, without one, until the API server rejects it).
///
/// Concurrent callers share one run of the command.
public actor ExecCredentialPlugin {
    public static let supportedAPIVersions = ["client.authentication.k8s.io/v1", "client.authentication.k8s.io/v1beta1"]

    /// What the plugin is told about the cluster when `provideClusterInfo` is set.
    public struct ClusterInfo: Sendable, Equatable {
        public var server: String
        public var certificateAuthorityData: [UInt8]?
        public var insecureSkipTLSVerify: Bool

        public init(server: String, certificateAuthorityData: [UInt8]? = nil, insecureSkipTLSVerify: Bool = false) {
            self.server = server
            self.certificateAuthorityData = certificateAuthorityData
            self.insecureSkipTLSVerify = insecureSkipTLSVerify
        }
    }

    /// The `status` of an `ExecCredential`. It never prints its secrets.
    public struct Credential: Sendable, Equatable, CustomStringConvertible {
        public var token: String?
        /// PEM, as the plugin printed it.
        public var clientCertificateData: [UInt8]?
        public var clientKeyData: [UInt8]?
        /// When to run the plugin again; nil means "until the server rejects it".
        public var expiration: Date?

        public init(token: String? = nil, clientCertificateData: [UInt8]? = nil, clientKeyData: [UInt8]? = nil,
                    expiration: Date? = nil) {
            self.token = token
            self.clientCertificateData = clientCertificateData
            self.clientKeyData = clientKeyData
            self.expiration = expiration
        }

        public var description: String {
            let kind = token != nil ? "token" : "client certificate"
            return expiration.map { "\(kind) until \(Timestamp($0))" } ?? kind
        }
    }

    public nonisolated let config: KubeConfig.ExecConfig
    public nonisolated let cluster: ClusterInfo
    /// The environment the command starts from (the plugin's `env` is added on top).
    private let baseEnvironment: [String: String]
    private var cached: Credential?
    private var running: Task<Credential, any Error>?

    public init(config: KubeConfig.ExecConfig, cluster: ClusterInfo,
                environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.config = config
        self.cluster = cluster
        baseEnvironment = environment
    }

    /// The cached credential while it is valid, else a fresh one from the command.
    public func credential() async throws(KubeConfigError) -> Credential {
        if let cached, cached.expiration.map({ $0 > Date() }) ?? true { return cached }
        let task: Task<Credential, any Error>
        if let running {
            task = running
        } else {
            task = Task { try await self.execute() }
            running = task
        }
        do {
            let credential = try await withTaskCancellationHandler {
                try await task.value
            } onCancel: {
                task.cancel()
            }
            if running == task { running = nil }
            cached = credential
            return credential
        } catch {
            if running == task { running = nil }
            if let error = error as? KubeConfigError { throw error }
            throw .execPlugin(command: config.command, detail: String(describing: error))
        }
    }

    /// Forgets `credential` (the server answered 401 to it), so the next request runs the command again.
    public func invalidate(_ credential: Credential) {
        if cached == credential { cached = nil }
    }

    private func execute() async throws(KubeConfigError) -> Credential {
        let executable = try resolveExecutable()
        var environment = baseEnvironment
        for variable in config.env { environment[variable.name] = variable.value }
        environment["KUBERNETES_EXEC_INFO"] = try execInfo()
        let output: ProcessOutput
        do {
            output = try await ProcessOutput.run(executable: executable, arguments: config.args, environment: environment)
        } catch {
            throw .execPlugin(command: config.command, detail: "cannot start \(executable): \(error)")
        }
        guard output.status == 0 else {
            let stderr = String(decoding: output.stderr, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            throw .execPlugin(command: config.command,
                              detail: "exited with status \(output.status)" + (stderr.isEmpty ? "" : ": \(stderr)"))
        }
        return try parse(output.stdout)
    }

    /// The command as a path: a path as given (already resolved against the kubeconfig), a name looked up in PATH.
    private func resolveExecutable() throws(KubeConfigError) -> String {
        let hint = config.installHint.isEmpty ? "" : "; \(config.installHint)"
        if config.command.contains("/") {
            guard FileManager.default.isExecutableFile(atPath: config.command) else {
                throw .execPlugin(command: config.command, detail: "not found or not executable\(hint)")
            }
            return config.command
        }
        let path = baseEnvironment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for directory in path.split(separator: ":") where !directory.isEmpty {
            let candidate = "\(directory)/\(config.command)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        throw .execPlugin(command: config.command, detail: "not found in PATH\(hint)")
    }

    /// `KUBERNETES_EXEC_INFO`: the request the plugin answers, with the cluster when asked for.
    private func execInfo() throws(KubeConfigError) -> String {
        var spec: [String: JSONValue] = ["interactive": false]
        if config.provideClusterInfo {
            var clusterObject: [String: JSONValue] = ["server": .string(cluster.server)]
            if let data = cluster.certificateAuthorityData {
                clusterObject["certificate-authority-data"] = .string(Data(data).base64EncodedString())
            }
            if cluster.insecureSkipTLSVerify { clusterObject["insecure-skip-tls-verify"] = true }
            spec["cluster"] = .object(clusterObject)
        }
        let info: JSONValue = ["apiVersion": .string(config.apiVersion), "kind": "ExecCredential", "spec": .object(spec)]
        guard let data = try? info.jsonData() else {
            throw .execPlugin(command: config.command, detail: "cannot encode KUBERNETES_EXEC_INFO")
        }
        return String(decoding: data, as: UTF8.self)
    }

    private func parse(_ stdout: [UInt8]) throws(KubeConfigError) -> Credential {
        func fail(_ detail: String) -> KubeConfigError { .execPlugin(command: config.command, detail: detail) }
        guard let json = try? JSONValue(json: Data(stdout)) else {
            let text = String(decoding: stdout.prefix(200), as: UTF8.self)
            throw fail("printed no ExecCredential JSON: \"\(text)\"")
        }
        guard json["kind"]?.stringValue == "ExecCredential" else { throw fail("kind is not ExecCredential") }
        let apiVersion = json["apiVersion"]?.stringValue ?? ""
        guard apiVersion == config.apiVersion else {
            throw fail("answered with apiVersion \"\(apiVersion)\", expected \"\(config.apiVersion)\"")
        }
        guard let status = json["status"]?.objectValue else { throw fail("ExecCredential has no status") }
        var credential = Credential()
        credential.token = status["token"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 }
        credential.clientCertificateData = status["clientCertificateData"]?.stringValue.map { Array($0.utf8) }
        credential.clientKeyData = status["clientKeyData"]?.stringValue.map { Array($0.utf8) }
        if let text = status["expirationTimestamp"]?.stringValue {
            guard let time = try? MicroTimestamp(rfc3339: text) else {
                throw fail("status.expirationTimestamp \"\(text)\" is not an RFC 3339 time")
            }
            credential.expiration = time.date
        }
        switch (credential.clientCertificateData != nil, credential.clientKeyData != nil) {
        case (true, false): throw fail("status.clientCertificateData without status.clientKeyData")
        case (false, true): throw fail("status.clientKeyData without status.clientCertificateData")
        default: break
        }
        guard credential.token != nil || credential.clientCertificateData != nil else {
            throw fail("status has neither token nor clientCertificateData")
        }
        return credential
    }
}
