import ArgumentParser
import Foundation
import KubeEmulator
import Logging

/// `egressgw-sandbox apiserver`: the KubeEmulator as a standalone server, with a kubeconfig for kubectl.
struct APIServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "apiserver",
        abstract: "Run the emulated Kubernetes API server and write a kubeconfig for it.")

    @Option(help: "Address to listen on, HOST:PORT (port 0 picks a free one).")
    var listen = "127.0.0.1:6443"

    @Option(help: "Write a kubeconfig for the server to this file.")
    var kubeconfigOut: String?

    @Flag(help: "Serve plain HTTP instead of HTTPS with a generated CA and serving certificate.")
    var plainHTTP = false

    @Option(help: "Also write the generated CA certificate (PEM) to this file.")
    var caOut: String?

    @Option(help: "Require this bearer token (it authenticates as system:admin); without it, no authentication.")
    var token: String?

    @Flag(help: "Authorize requests with the RBAC objects in the store (needs --token).")
    var rbac = false

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel = "info"

    func validate() throws {
        guard parseListen() != nil else {
            throw ValidationError("--listen: expected HOST:PORT with a port from 0 to 65535, got \"\(listen)\"")
        }
        guard Logger.Level(rawValue: logLevel) != nil else {
            throw ValidationError("--log-level: unknown level \"\(logLevel)\"")
        }
        if plainHTTP, caOut != nil { throw ValidationError("--ca-out needs HTTPS: drop --plain-http") }
        if rbac, token == nil { throw ValidationError("--rbac needs --token: without authentication every request is system:admin") }
    }

    private func parseListen() -> (host: String, port: Int)? {
        guard let colon = listen.lastIndex(of: ":"), let port = Int(listen[listen.index(after: colon)...]),
              (0...65535).contains(port)
        else { return nil }
        let host = String(listen[..<colon])
        return host.isEmpty ? nil : (host, port)
    }

    func run() async throws {
        guard let (host, port) = parseListen() else { throw ValidationError("--listen: invalid \"\(listen)\"") }
        var logger = Logger(label: "egressgw-sandbox.apiserver")
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .info
        var configuration = KubeEmulator.Configuration()
        if let token {
            configuration.authentication = .bearerTokens([token: .admin])
            if rbac { configuration.authorization = .rbac }
        }
        let emulator = KubeEmulator(configuration: configuration, logger: logger)
        let certificates = plainHTTP ? nil : try await TLSCertificates.generate(hosts: Self.certificateHosts(for: host))
        if let certificates, let caOut {
            try certificates.certificateAuthority.write(toFile: caOut, atomically: true, encoding: .utf8)
        }
        let kubeconfigOut = kubeconfigOut
        let token = token
        let log = logger
        let scheme = certificates == nil ? "http" : "https"
        let onListening: @Sendable (Int) async -> Void = { bound in
            let url = "\(scheme)://\(host.contains(":") ? "[\(host)]" : host):\(bound)"
            if let kubeconfigOut {
                do {
                    try Kubeconfig.render(server: url, certificateAuthority: certificates?.certificateAuthority, token: token)
                        .write(toFile: kubeconfigOut, atomically: true, encoding: .utf8)
                } catch {
                    log.error("cannot write kubeconfig \(kubeconfigOut): \(error)")
                }
            }
            log.info("kube API server emulator listening on \(url)")
        }
        if let certificates {
            try await emulator.run(host: host, port: port, tls: certificates, onListening: onListening)
        } else {
            try await emulator.run(host: host, port: port, onListening: onListening)
        }
    }

    /// The names the serving certificate covers: the listen address, plus loopback names when it is a wildcard or
    /// loopback address.
    static func certificateHosts(for host: String) -> [String] {
        var hosts = [host]
        if ["0.0.0.0", "::", "127.0.0.1", "::1", "localhost"].contains(host) {
            hosts += ["127.0.0.1", "::1", "localhost"]
        }
        var unique: [String] = []
        for name in hosts where !unique.contains(name) && name != "0.0.0.0" && name != "::" { unique.append(name) }
        return unique
    }
}
