import Foundation
import HTTPClient

/// Everything a `KubeClient` needs to reach one API server: its URL, TLS trust and identity, credentials, the default
/// namespace and how the client introduces itself.
///
/// Make one with ``load(kubeconfig:context:environment:)`` (the usual search order), ``inCluster(environment:directory:)``
/// or from a parsed ``KubeConfig``; or fill it in directly (tests against a local server).
public struct KubeClientConfiguration: Sendable {
    /// How requests authenticate, on top of any client certificate in `tls`.
    public enum Credentials: Sendable, CustomStringConvertible {
        case none
        case bearer(String)
        /// A token file, read again when it changes (projected service-account tokens rotate).
        case tokenFile(String)
        /// An exec plugin that yields a token and/or a client certificate, cached until it expires.
        case exec(ExecCredentialPlugin)

        /// Never shows a token.
        public var description: String {
            switch self {
            case .none: "no credentials"
            case .bearer: "bearer token <redacted>"
            case .tokenFile(let path): "token file \(path)"
            case .exec(let plugin): "exec plugin \(plugin.config.command)"
            }
        }
    }

    /// The API server's base URL, `https://host:port` with an optional path prefix and no trailing slash.
    public var server: String
    public var tls: TLSConfiguration
    public var credentials: Credentials
    /// The namespace the configuration says to work in (the context's, or the pod's own in a cluster).
    public var namespace: String
    /// `egressgw/<version> (<role>)` for the project's roles.
    public var userAgent: String
    public var proxy: ProxyConfiguration
    /// Timeouts of ordinary requests; watches have no total limit.
    public var timeouts: HTTPTimeouts
    /// Where this configuration came from (`kubeconfig /root/.kube/config, context "aks"`, `in-cluster`), for logs.
    public var source: String

    public init(
        server: String,
        tls: TLSConfiguration = TLSConfiguration(),
        credentials: Credentials = .none,
        namespace: String = "default",
        userAgent: String = KubeClientConfiguration.userAgent(version: "dev", role: "client"),
        proxy: ProxyConfiguration = .fromProcessEnvironment(),
        timeouts: HTTPTimeouts = .request,
        source: String = "explicit"
    ) {
        var server = server
        while server.hasSuffix("/") { server.removeLast() }
        self.server = server
        self.tls = tls
        self.credentials = credentials
        self.namespace = namespace
        self.userAgent = userAgent
        self.proxy = proxy
        self.timeouts = timeouts
        self.source = source
    }

    /// The project's User-Agent: `egressgw/<version> (<role>)`, which the API server's audit log shows.
    public static func userAgent(version: String, role: String) -> String {
        "egressgw/\(version) (\(role))"
    }
}

extension KubeClientConfiguration {
    /// The configuration the way controllers find it: the kubeconfig given by the caller (`--kubeconfig`), else the
    /// files of `KUBECONFIG` (merged), else in-cluster when `KUBERNETES_SERVICE_HOST` is set, else `~/.kube/config`.
    ///
    /// - Parameters:
    ///   - kubeconfig: a path given on the command line; it must exist.
    ///   - context: a context to use instead of the current context (kubeconfig only).
    ///   - environment: the process environment (`KUBECONFIG`, `HOME`, `KUBERNETES_SERVICE_*`).
    ///   - serviceAccountDirectory: where the in-cluster files are mounted.
    public static func load(
        kubeconfig: String? = nil,
        context: String? = nil,
        environment: [String: String],
        serviceAccountDirectory: String = InClusterConfig.defaultDirectory
    ) throws(KubeConfigError) -> KubeClientConfiguration {
        if let kubeconfig, !kubeconfig.isEmpty {
            return try KubeConfig.load(file: kubeconfig).clientConfiguration(context: context, environment: environment)
        }
        if let list = environment["KUBECONFIG"], !list.isEmpty {
            let paths = list.split(separator: ":").map(String.init).filter { !$0.isEmpty }
            var merged: KubeConfig?
            // As with kubectl, files of the list that do not exist are skipped; unreadable or malformed ones are not.
            for path in paths where FileManager.default.fileExists(atPath: path) {
                let file = try KubeConfig.load(file: path)
                merged = merged.map { $0.merging(file) } ?? file
            }
            if let merged { return try merged.clientConfiguration(context: context, environment: environment) }
        }
        if let host = environment["KUBERNETES_SERVICE_HOST"], !host.isEmpty {
            return try InClusterConfig.load(environment: environment, directory: serviceAccountDirectory)
        }
        var searched = environment["KUBECONFIG"].map { [$0] } ?? []
        if let home = environment["HOME"], !home.isEmpty {
            let path = "\(home)/.kube/config"
            if FileManager.default.fileExists(atPath: path) {
                return try KubeConfig.load(file: path).clientConfiguration(context: context, environment: environment)
            }
            searched.append(path)
        }
        throw .noConfiguration(searched: searched)
    }
}
