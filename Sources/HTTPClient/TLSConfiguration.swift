/// How the client verifies servers and proves its own identity over TLS.
public struct TLSConfiguration: Sendable, Equatable {
    /// The certificate authorities a server certificate must chain to.
    public enum TrustRoots: Sendable, Equatable {
        /// The system's bundle, as libcurl was built to find it.
        case system
        /// A PEM bundle file; only these authorities are trusted.
        case file(String)
        /// PEM bundle bytes (a kubeconfig's decoded `certificate-authority-data`); only these are trusted.
        case pem([UInt8])
    }

    /// A client certificate with its private key, both PEM.
    public enum ClientIdentity: Sendable, Equatable, CustomStringConvertible {
        case files(certificate: String, key: String)
        case pem(certificate: [UInt8], key: [UInt8])

        /// Never shows inline key material.
        public var description: String {
            switch self {
            case .files(let certificate, let key): "client certificate \(certificate), key \(key)"
            case .pem: "inline client certificate and key <redacted>"
            }
        }
    }

    public var trustRoots: TrustRoots
    public var clientIdentity: ClientIdentity?
    /// Accept any server certificate and host name. For tests and explicit user opt-in only.
    public var insecureSkipVerify: Bool

    public init(trustRoots: TrustRoots = .system, clientIdentity: ClientIdentity? = nil, insecureSkipVerify: Bool = false) {
        self.trustRoots = trustRoots
        self.clientIdentity = clientIdentity
        self.insecureSkipVerify = insecureSkipVerify
    }

    /// The files this configuration reads, checked before each request so that a missing file is
    /// reported by name rather than as a TLS failure.
    var files: [String] {
        var paths: [String] = []
        if case .file(let path) = trustRoots { paths.append(path) }
        if case .files(let certificate, let key) = clientIdentity { paths += [certificate, key] }
        return paths
    }
}

/// How requests are authorised. A request that already carries an `Authorization` header keeps it.
public enum Authorization: Sendable, CustomStringConvertible {
    /// A fixed bearer token.
    case bearer(String)
    /// A bearer token read from a file, and read again whenever the file changes (rotated
    /// projected service-account tokens) or at least once a minute.
    case bearerTokenFile(String)
    /// A bearer token obtained before each request (exec credential plugins, cloud identity);
    /// the provider is expected to cache.
    case bearerTokenProvider(@Sendable () async throws -> String)

    /// Never shows the token.
    public var description: String {
        switch self {
        case .bearer: "bearer token <redacted>"
        case .bearerTokenFile(let path): "bearer token from \(path)"
        case .bearerTokenProvider: "bearer token from a provider"
        }
    }
}
