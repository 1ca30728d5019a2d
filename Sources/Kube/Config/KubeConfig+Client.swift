import Foundation
import HTTPClient

extension KubeConfig {
    /// The client configuration of a context: `context`, or the current context when nil.
    ///
    /// - Parameter environment: supplies the proxy variables when the cluster sets no `proxy-url`.
    public func clientConfiguration(
        context requested: String? = nil,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(KubeConfigError) -> KubeClientConfiguration {
        let name = requested.flatMap { $0.isEmpty ? nil : $0 } ?? currentContext
        guard !name.isEmpty else { throw .noCurrentContext(files: files) }
        guard let context = contexts[name] else { throw .contextNotFound(name: name, files: files) }
        guard let cluster = clusters[context.cluster] else {
            throw .missingReference(context: name, kind: "cluster", name: context.cluster, files: files)
        }
        // A context without a user is legitimate (an unauthenticated or certificate-less local server).
        let user: User
        if context.user.isEmpty {
            user = User()
        } else if let defined = users[context.user] {
            user = defined
        } else {
            throw .missingReference(context: name, kind: "user", name: context.user, files: files)
        }

        let clusterField = "clusters[name=\(context.cluster)].cluster"
        let userField = "users[name=\(context.user)].user"
        let server = try Self.serverURL(cluster.server, file: cluster.file, field: "\(clusterField).server")
        var tls = TLSConfiguration()
        if let data = cluster.certificateAuthorityData {
            tls.trustRoots = .pem(data)
        } else if let path = cluster.certificateAuthority {
            try Self.checkReadable(path, file: cluster.file, field: "\(clusterField).certificate-authority")
            tls.trustRoots = .file(path)
        }
        if cluster.insecureSkipTLSVerify {
            guard tls.trustRoots == .system else {
                throw .invalidField(
                    path: cluster.file, field: "\(clusterField).insecure-skip-tls-verify",
                    detail: "cannot be combined with a certificate authority (it would not be checked)")
            }
            tls.insecureSkipVerify = true
        }
        tls.clientIdentity = try Self.clientIdentity(user, field: userField)

        let credentials: KubeClientConfiguration.Credentials
        if let authProvider = user.authProvider {
            throw .invalidField(
                path: user.file, field: "\(userField).auth-provider",
                detail: "auth-provider \"\(authProvider)\" is not supported; use an exec plugin instead "
                    + "(for AKS: kubelogin convert-kubeconfig)")
        } else if user.usesBasicAuth {
            throw .invalidField(
                path: user.file, field: "\(userField).username",
                detail: "basic authentication is not supported; use a token, a client certificate or an exec plugin")
        } else if let token = user.token {
            credentials = .bearer(token)
        } else if let tokenFile = user.tokenFile {
            // Read before each request (it may rotate), but it must exist now: a typo should fail at start-up.
            try Self.checkReadable(tokenFile, file: user.file, field: "\(userField).tokenFile")
            credentials = .tokenFile(tokenFile)
        } else if let exec = user.exec {
            let info = ExecCredentialPlugin.ClusterInfo(
                server: server, certificateAuthorityData: cluster.certificateAuthorityData,
                insecureSkipTLSVerify: cluster.insecureSkipTLSVerify)
            credentials = .exec(ExecCredentialPlugin(config: exec, cluster: info))
        } else {
            credentials = .none
        }

        let proxy = cluster.proxyURL.map { ProxyConfiguration(httpProxy: $0, httpsProxy: $0) }
            ?? ProxyConfiguration(environment: environment)
        return KubeClientConfiguration(
            server: server, tls: tls, credentials: credentials,
            namespace: context.namespace.isEmpty ? "default" : context.namespace,
            proxy: proxy,
            source: "kubeconfig \(files.joined(separator: ":")), context \"\(name)\"")
    }

    private static func checkReadable(_ path: String, file: String, field: String) throws(KubeConfigError) {
        guard !FileManager.default.isReadableFile(atPath: path) else { return }
        let reason = FileManager.default.fileExists(atPath: path) ? "permission denied" : "no such file"
        throw .invalidField(path: file, field: field, detail: "cannot read \(path): \(reason)")
    }

    private static func serverURL(_ text: String, file: String, field: String) throws(KubeConfigError) -> String {
        let server = text.trimmingCharacters(in: .whitespaces)
        guard !server.isEmpty else { throw .invalidField(path: file, field: field, detail: "missing") }
        let lower = server.lowercased()
        // kubectl takes a bare host:port to mean https.
        let url = lower.hasPrefix("https://") || lower.hasPrefix("http://") ? server : "https://\(server)"
        guard !url.contains("?"), !url.contains("#"), url.dropFirst(url.hasPrefix("https") ? 8 : 7).first != "/"
        else {
            throw .invalidField(path: file, field: field, detail: "\"\(text)\" is not a server URL like https://host:6443")
        }
        return url
    }

    /// The client certificate and key, from inline data or files (a mix is read into memory).
    private static func clientIdentity(_ user: User, field: String) throws(KubeConfigError)
        -> TLSConfiguration.ClientIdentity?
    {
        let hasCertificate = user.clientCertificateData != nil || user.clientCertificate != nil
        let hasKey = user.clientKeyData != nil || user.clientKey != nil
        switch (hasCertificate, hasKey) {
        case (false, false):
            return nil
        case (true, false):
            throw .invalidField(path: user.file, field: "\(field).client-key", detail: "missing (a client certificate needs its key)")
        case (false, true):
            throw .invalidField(path: user.file, field: "\(field).client-certificate", detail: "missing (a client key needs its certificate)")
        case (true, true):
            break
        }
        if let certificate = user.clientCertificate, let key = user.clientKey {
            try checkReadable(certificate, file: user.file, field: "\(field).client-certificate")
            try checkReadable(key, file: user.file, field: "\(field).client-key")
            return .files(certificate: certificate, key: key)
        }
        func bytes(_ data: [UInt8]?, _ path: String?, _ name: String) throws(KubeConfigError) -> [UInt8] {
            if let data { return data }
            let path = path ?? ""
            do {
                return [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
            } catch {
                throw .invalidField(path: user.file, field: "\(field).\(name)",
                                    detail: "cannot read \(path): \(KubeConfig.reason(error))")
            }
        }
        return .pem(certificate: try bytes(user.clientCertificateData, user.clientCertificate, "client-certificate"),
                    key: try bytes(user.clientKeyData, user.clientKey, "client-key"))
    }
}
