import Foundation
import Yams

/// The contents of one or more kubeconfig files: clusters, users and contexts by name, and the current context.
///
/// Paths in a file are resolved against that file's directory and `*-data` fields are base64-decoded when the file
/// is read, so a merged configuration no longer depends on where each entry came from; every entry remembers its
/// file for error messages.
public struct KubeConfig: Sendable, Equatable {
    public var clusters: [String: Cluster] = [:]
    public var users: [String: User] = [:]
    public var contexts: [String: Context] = [:]
    /// The context used when the caller names none; empty when unset.
    public var currentContext = ""
    /// The files this configuration was read from, in precedence order.
    public var files: [String] = []

    public init() {}

    /// How to reach and trust one API server.
    public struct Cluster: Sendable, Equatable {
        /// `https://host:port`, possibly with a path prefix.
        public var server = ""
        /// A PEM bundle file, already resolved against the kubeconfig's directory.
        public var certificateAuthority: String?
        public var certificateAuthorityData: [UInt8]?
        public var insecureSkipTLSVerify = false
        /// A proxy for this cluster only, overriding `HTTPS_PROXY`.
        public var proxyURL: String?
        /// The file that defined this cluster.
        public var file = ""

        public init() {}
    }

    /// How to authenticate. Only the members a file sets are non-nil. It never prints its secrets.
    public struct User: Sendable, Equatable, CustomStringConvertible {
        public var token: String?
        public var tokenFile: String?
        public var clientCertificate: String?
        public var clientCertificateData: [UInt8]?
        public var clientKey: String?
        public var clientKeyData: [UInt8]?
        public var exec: ExecConfig?
        /// Set for `username`/`password` users, which this client does not support.
        public var usesBasicAuth = false
        /// The name of an `auth-provider` (removed from kubectl; kubelogin replaces it), which this client does not
        /// support.
        public var authProvider: String?
        /// The file that defined this user.
        public var file = ""

        public init() {}

        public var description: String { "user from \(file)" }
    }

    /// Which cluster and user to use together, and the default namespace.
    public struct Context: Sendable, Equatable {
        public var cluster = ""
        public var user = ""
        /// Empty means `default`.
        public var namespace = ""
        /// The file that defined this context.
        public var file = ""

        public init() {}
    }

    /// An exec credential plugin (`client.authentication.k8s.io`), such as kubelogin on AKS.
    public struct ExecConfig: Sendable, Equatable {
        /// `client.authentication.k8s.io/v1` or `/v1beta1`; the plugin must answer with the same.
        public var apiVersion = ""
        /// The executable: a name looked up in `PATH`, or a path (resolved against the kubeconfig's directory).
        public var command = ""
        public var args: [String] = []
        /// Set in the plugin's environment on top of this process's.
        public var env: [EnvVar] = []
        /// Shown when the command cannot be found.
        public var installHint = ""
        /// Whether the plugin gets the cluster (server, CA) in `KUBERNETES_EXEC_INFO`.
        public var provideClusterInfo = false
        /// The file that defined this plugin.
        public var file = ""

        public init() {}

        /// One environment variable of the plugin.
        public struct EnvVar: Sendable, Equatable {
            public var name: String
            public var value: String

            public init(name: String, value: String) {
                self.name = name
                self.value = value
            }
        }
    }
}

extension KubeConfig {
    /// Reads one kubeconfig file.
    public static func load(file path: String) throws(KubeConfigError) -> KubeConfig {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw .fileNotReadable(path: path, reason: Self.reason(error))
        }
        return try parse(yaml: text, file: path)
    }

    /// Parses kubeconfig YAML; `file` names it in errors and is the base of relative paths.
    public static func parse(yaml: String, file: String) throws(KubeConfigError) -> KubeConfig {
        var config = KubeConfig()
        config.files = [file]
        guard !yaml.allSatisfy(\.isWhitespace) else { return config }
        let raw: RawKubeConfig
        do {
            raw = try YAMLDecoder().decode(RawKubeConfig.self, from: yaml)
        } catch let error as DecodingError {
            throw Self.describe(error, file: file)
        } catch {
            throw .malformed(path: file, detail: String(describing: error))
        }
        let directory = (file as NSString).deletingLastPathComponent
        func resolve(_ path: String?) -> String? {
            guard let path, !path.isEmpty else { return nil }
            guard !path.hasPrefix("/"), !directory.isEmpty else { return path }
            return URL(fileURLWithPath: "\(directory)/\(path)").standardized.path
        }
        func base64(_ text: String?, field: String) throws(KubeConfigError) -> [UInt8]? {
            guard let text, !text.isEmpty else { return nil }
            let compact = text.filter { !$0.isWhitespace }
            guard let data = Data(base64Encoded: compact) else {
                throw .invalidField(path: file, field: field, detail: "not valid base64")
            }
            return [UInt8](data)
        }

        config.currentContext = raw.currentContext ?? ""
        for (index, entry) in (raw.clusters ?? []).enumerated() {
            let field = "clusters[\(index)]"
            guard let name = entry.name, !name.isEmpty else {
                throw .invalidField(path: file, field: "\(field).name", detail: "missing")
            }
            let value = entry.cluster ?? RawCluster()
            var cluster = Cluster()
            cluster.server = value.server ?? ""
            cluster.certificateAuthority = resolve(value.certificateAuthority)
            cluster.certificateAuthorityData = try base64(
                value.certificateAuthorityData, field: "\(field).cluster.certificate-authority-data")
            cluster.insecureSkipTLSVerify = value.insecureSkipTLSVerify ?? false
            cluster.proxyURL = value.proxyURL.flatMap { $0.isEmpty ? nil : $0 }
            cluster.file = file
            if config.clusters[name] == nil { config.clusters[name] = cluster }
        }
        for (index, entry) in (raw.users ?? []).enumerated() {
            let field = "users[\(index)]"
            guard let name = entry.name, !name.isEmpty else {
                throw .invalidField(path: file, field: "\(field).name", detail: "missing")
            }
            let value = entry.user ?? RawUser()
            var user = User()
            user.token = value.token.flatMap { $0.isEmpty ? nil : $0 }
            user.tokenFile = resolve(value.tokenFile)
            user.clientCertificate = resolve(value.clientCertificate)
            user.clientCertificateData = try base64(
                value.clientCertificateData, field: "\(field).user.client-certificate-data")
            user.clientKey = resolve(value.clientKey)
            user.clientKeyData = try base64(value.clientKeyData, field: "\(field).user.client-key-data")
            user.usesBasicAuth = !(value.username ?? "").isEmpty || !(value.password ?? "").isEmpty
            user.authProvider = value.authProvider?.name ?? (value.authProvider == nil ? nil : "")
            user.file = file
            if let exec = value.exec {
                user.exec = try Self.execConfig(exec, field: "\(field).user.exec", file: file, resolve: resolve)
            }
            if config.users[name] == nil { config.users[name] = user }
        }
        for (index, entry) in (raw.contexts ?? []).enumerated() {
            guard let name = entry.name, !name.isEmpty else {
                throw .invalidField(path: file, field: "contexts[\(index)].name", detail: "missing")
            }
            var context = Context()
            context.cluster = entry.context?.cluster ?? ""
            context.user = entry.context?.user ?? ""
            context.namespace = entry.context?.namespace ?? ""
            context.file = file
            if config.contexts[name] == nil { config.contexts[name] = context }
        }
        return config
    }

    /// This configuration with `other`'s entries added where this one has none of that name, as `KUBECONFIG`
    /// lists merge: the first file to define a name (or the current context) wins.
    public func merging(_ other: KubeConfig) -> KubeConfig {
        var merged = self
        merged.clusters.merge(other.clusters) { first, _ in first }
        merged.users.merge(other.users) { first, _ in first }
        merged.contexts.merge(other.contexts) { first, _ in first }
        if merged.currentContext.isEmpty { merged.currentContext = other.currentContext }
        merged.files += other.files
        return merged
    }

    private static func execConfig(
        _ raw: RawExec, field: String, file: String, resolve: (String?) -> String?
    ) throws(KubeConfigError) -> ExecConfig {
        var exec = ExecConfig()
        exec.apiVersion = raw.apiVersion ?? ""
        guard ExecCredentialPlugin.supportedAPIVersions.contains(exec.apiVersion) else {
            let supported = ExecCredentialPlugin.supportedAPIVersions.joined(separator: ", ")
            throw .invalidField(
                path: file, field: "\(field).apiVersion",
                detail: exec.apiVersion.isEmpty
                    ? "missing (supported: \(supported))"
                    : "\"\(exec.apiVersion)\" is not supported (supported: \(supported))")
        }
        guard let command = raw.command, !command.isEmpty else {
            throw .invalidField(path: file, field: "\(field).command", detail: "missing")
        }
        // A bare name is looked up in PATH when the plugin runs; only a relative path is relative to the file.
        exec.command = command.contains("/") ? (resolve(command) ?? command) : command
        exec.args = raw.args ?? []
        for (index, variable) in (raw.env ?? []).enumerated() {
            guard let name = variable.name, !name.isEmpty else {
                throw .invalidField(path: file, field: "\(field).env[\(index)].name", detail: "missing")
            }
            exec.env.append(ExecConfig.EnvVar(name: name, value: variable.value ?? ""))
        }
        exec.installHint = raw.installHint ?? ""
        exec.provideClusterInfo = raw.provideClusterInfo ?? false
        exec.file = file
        return exec
    }

    /// A decoding error as "the field, what was wrong", with the field path written as in the file.
    private static func describe(_ error: DecodingError, file: String) -> KubeConfigError {
        func path(_ codingPath: [any CodingKey]) -> String {
            var text = ""
            for key in codingPath {
                if let index = key.intValue {
                    text += "[\(index)]"
                } else {
                    text += text.isEmpty ? key.stringValue : ".\(key.stringValue)"
                }
            }
            return text
        }
        switch error {
        case .typeMismatch(let type, let context):
            let field = path(context.codingPath)
            return .invalidField(path: file, field: field.isEmpty ? "(document)" : field,
                                 detail: "expected \(Self.typeName(type))")
        case .valueNotFound(let type, let context):
            return .invalidField(path: file, field: path(context.codingPath),
                                 detail: "expected \(Self.typeName(type)), found null")
        case .keyNotFound(let key, let context):
            return .invalidField(path: file, field: path(context.codingPath + [key]), detail: "missing")
        case .dataCorrupted(let context):
            let field = path(context.codingPath)
            let detail = context.underlyingError.map { String(describing: $0) } ?? context.debugDescription
            return field.isEmpty ? .malformed(path: file, detail: detail)
                : .invalidField(path: file, field: field, detail: detail)
        @unknown default:
            return .malformed(path: file, detail: String(describing: error))
        }
    }

    /// What was expected, in the terms of YAML (Yams reports its node kinds; other decoders report Swift types).
    private static func typeName(_ type: Any.Type) -> String {
        let name = String(describing: type)
        if type == String.self || name.hasSuffix("Scalar") { return "a single value" }
        if type == Bool.self { return "true or false" }
        if name.hasSuffix("Sequence") || name.hasPrefix("Array") { return "a list" }
        return "a mapping"
    }

    static func reason(_ error: any Error) -> String {
        let nsError = error as NSError
        if let underlying = nsError.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
            return String(cString: strerror(Int32(underlying.code)))
        }
        if nsError.domain == NSCocoaErrorDomain {
            switch nsError.code {
            case NSFileReadNoSuchFileError: return "no such file"
            case NSFileReadNoPermissionError: return "permission denied"
            case NSFileReadInapplicableStringEncodingError: return "not UTF-8 text"
            default: break
            }
        }
        return nsError.localizedDescription
    }
}

// The file's shape, as kubectl writes it. Everything is optional here so that the checks above can say which field
// is missing instead of failing the whole decode.
private struct RawKubeConfig: Decodable {
    var currentContext: String?
    var clusters: [Named<RawCluster>]?
    var users: [NamedUser]?
    var contexts: [NamedContext]?

    enum CodingKeys: String, CodingKey {
        case currentContext = "current-context"
        case clusters, users, contexts
    }
}

private struct Named<Value: Decodable>: Decodable {
    var name: String?
    var cluster: Value?
}

private struct NamedUser: Decodable {
    var name: String?
    var user: RawUser?
}

private struct NamedContext: Decodable {
    var name: String?
    var context: RawContext?
}

private struct RawCluster: Decodable {
    var server: String?
    var certificateAuthority: String?
    var certificateAuthorityData: String?
    var insecureSkipTLSVerify: Bool?
    var proxyURL: String?

    enum CodingKeys: String, CodingKey {
        case server
        case certificateAuthority = "certificate-authority"
        case certificateAuthorityData = "certificate-authority-data"
        case insecureSkipTLSVerify = "insecure-skip-tls-verify"
        case proxyURL = "proxy-url"
    }
}

private struct RawUser: Decodable {
    var token: String?
    var tokenFile: String?
    var clientCertificate: String?
    var clientCertificateData: String?
    var clientKey: String?
    var clientKeyData: String?
    var username: String?
    var password: String?
    var authProvider: RawAuthProvider?
    var exec: RawExec?

    enum CodingKeys: String, CodingKey {
        case token, tokenFile, username, password, exec
        case clientCertificate = "client-certificate"
        case clientCertificateData = "client-certificate-data"
        case clientKey = "client-key"
        case clientKeyData = "client-key-data"
        case authProvider = "auth-provider"
    }
}

private struct RawAuthProvider: Decodable {
    var name: String?
}

private struct RawExec: Decodable {
    var apiVersion: String?
    var command: String?
    var args: [String]?
    var env: [RawEnvVar]?
    var installHint: String?
    var provideClusterInfo: Bool?
}

private struct RawEnvVar: Decodable {
    var name: String?
    var value: String?
}

private struct RawContext: Decodable {
    var cluster: String?
    var user: String?
    var namespace: String?
}
