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
        let kubeconfigOut = kubeconfigOut
        let token = token
        let log = logger
        try await emulator.run(host: host, port: port) { bound in
            let url = "http://\(host):\(bound)"
            if let kubeconfigOut {
                do {
                    try Kubeconfig.render(server: url, token: token)
                        .write(toFile: kubeconfigOut, atomically: true, encoding: .utf8)
                } catch {
                    log.error("cannot write kubeconfig \(kubeconfigOut): \(error)")
                }
            }
            log.info("kube API server emulator listening on \(url)")
        }
    }
}
