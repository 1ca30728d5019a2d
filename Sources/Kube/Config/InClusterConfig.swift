import Foundation
import HTTPClient

/// The configuration of a pod talking to its own cluster: the API server from `KUBERNETES_SERVICE_HOST`/`_PORT`,
/// and the service account's token, CA bundle and namespace from the files the kubelet mounts.
public enum InClusterConfig {
    /// Where the kubelet mounts the service account.
    public static let defaultDirectory = "/var/run/secrets/kubernetes.io/serviceaccount"

    /// Reads the in-cluster configuration. The token is not read here but before requests, from the file, so a
    /// rotated projected token is picked up; it must exist now, though, so that a pod without a service-account
    /// token fails at start-up with a clear message.
    public static func load(
        environment: [String: String] = ProcessInfo.processInfo.environment,
        directory: String = defaultDirectory
    ) throws(KubeConfigError) -> KubeClientConfiguration {
        guard let host = environment["KUBERNETES_SERVICE_HOST"], !host.isEmpty else {
            throw .inCluster(detail: "KUBERNETES_SERVICE_HOST is not set (not running in a pod?)")
        }
        guard let port = environment["KUBERNETES_SERVICE_PORT"], !port.isEmpty else {
            throw .inCluster(detail: "KUBERNETES_SERVICE_PORT is not set")
        }
        guard let portNumber = Int(port), (1...65535).contains(portNumber) else {
            throw .inCluster(detail: "KUBERNETES_SERVICE_PORT \"\(port)\" is not a port number")
        }
        let tokenPath = "\(directory)/token"
        let caPath = "\(directory)/ca.crt"
        for path in [tokenPath, caPath] where !FileManager.default.isReadableFile(atPath: path) {
            throw .inCluster(detail: "cannot read \(path)")
        }
        let namespace: String
        do {
            namespace = try String(contentsOfFile: "\(directory)/namespace", encoding: .utf8)
                .trimmingCharacters(in: .whitespacesAndNewlines)
        } catch {
            throw .inCluster(detail: "cannot read \(directory)/namespace: \(KubeConfig.reason(error))")
        }
        let hostPart = host.contains(":") ? "[\(host)]" : host
        return KubeClientConfiguration(
            server: "https://\(hostPart):\(portNumber)",
            tls: TLSConfiguration(trustRoots: .file(caPath)),
            credentials: .tokenFile(tokenPath),
            namespace: namespace.isEmpty ? "default" : namespace,
            proxy: ProxyConfiguration(environment: environment),
            source: "in-cluster (\(directory))")
    }
}
