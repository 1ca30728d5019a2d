import Foundation

/// A certificate authority and a serving certificate signed by it, for serving the emulator over HTTPS.
///
/// They are made with the `openssl` command rather than in Swift: the only Swift X.509 stack (swift-certificates
/// on swift-crypto) would compile a second copy of BoringSSL next to the one swift-nio-ssl already brings for
/// serving, and `openssl` is part of every Debian base system. Keys are EC P-256; files live in a temporary
/// directory only while openssl runs.
public struct TLSCertificates: Sendable {
    /// PEM of the CA certificate: what clients trust (`certificate-authority-data` in a kubeconfig).
    public var certificateAuthority: String
    /// PEM of the serving certificate.
    public var certificate: String
    /// PEM of the serving certificate's private key.
    public var privateKey: String

    public init(certificateAuthority: String, certificate: String, privateKey: String) {
        self.certificateAuthority = certificateAuthority
        self.certificate = certificate
        self.privateKey = privateKey
    }

    /// Generates a new CA and a serving certificate valid for `hosts` (IP addresses and DNS names).
    public static func generate(hosts: [String] = ["127.0.0.1", "localhost"], openssl: String = "/usr/bin/openssl")
        async throws(TLSCertificateError) -> TLSCertificates
    {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("egw-emulator-tls-\(getpid())-\(UUID().uuidString.prefix(8))")
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw .io(path: directory.path, error.localizedDescription)
        }
        defer { try? FileManager.default.removeItem(at: directory) }
        let names = hosts.map { host in
            host.contains(":") || host.allSatisfy({ $0.isNumber || $0 == "." }) ? "IP:\(host)" : "DNS:\(host)"
        }
        let key = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        let extensions = """
            basicConstraints=critical,CA:FALSE
            keyUsage=critical,digitalSignature,keyEncipherment
            extendedKeyUsage=serverAuth
            subjectAltName=\(names.joined(separator: ","))

            """
        do {
            try extensions.write(to: directory.appendingPathComponent("server.ext"), atomically: true, encoding: .utf8)
        } catch {
            throw .io(path: directory.appendingPathComponent("server.ext").path, error.localizedDescription)
        }
        func file(_ name: String) -> String { directory.appendingPathComponent(name).path }
        try await run(openssl, ["req", "-x509"] + key + [
            "-keyout", file("ca.key"), "-out", file("ca.crt"), "-days", "365", "-subj", "/CN=egressgw-emulator-ca",
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
        ])
        try await run(openssl, ["req"] + key + [
            "-keyout", file("server.key"), "-out", file("server.csr"), "-subj", "/CN=egressgw-emulator",
        ])
        try await run(openssl, [
            "x509", "-req", "-in", file("server.csr"), "-CA", file("ca.crt"), "-CAkey", file("ca.key"),
            "-CAcreateserial", "-CAserial", file("ca.srl"), "-out", file("server.crt"), "-days", "365",
            "-extfile", file("server.ext"),
        ])
        func read(_ name: String) throws(TLSCertificateError) -> String {
            let path = directory.appendingPathComponent(name).path
            do {
                return try String(contentsOfFile: path, encoding: .utf8)
            } catch {
                throw .io(path: path, error.localizedDescription)
            }
        }
        return TLSCertificates(certificateAuthority: try read("ca.crt"), certificate: try read("server.crt"),
                               privateKey: try read("server.key"))
    }

    /// Runs a command without blocking a thread of the cooperative pool.
    private static func run(_ executable: String, _ arguments: [String]) async throws(TLSCertificateError) {
        let child: ChildProcess
        do {
            child = try ChildProcess(executable, arguments)
        } catch {
            throw .command(error.description, "cannot start")
        }
        let result = await child.finished()
        guard result.status == 0 else {
            throw .command(child.command, "exit \(result.status): \(result.error)\(result.output)")
        }
    }
}

/// Why certificates could not be made.
public enum TLSCertificateError: Error, CustomStringConvertible {
    case command(String, String)
    case io(path: String, String)

    public var description: String {
        switch self {
        case .command(let command, let detail): "generate emulator certificates: \(command): \(detail)"
        case .io(let path, let detail): "generate emulator certificates: \(path): \(detail)"
        }
    }
}
