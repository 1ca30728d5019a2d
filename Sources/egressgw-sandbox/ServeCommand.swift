import ArgumentParser
import Foundation
import KubeEmulator
import Logging
import Netlink
import Sandbox

/// `egressgw-sandbox serve`: the supervisor `up` starts in the background. Hosts the API server on
/// the control address, the Internet's echo server and the fabric controller until SIGTERM.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve", abstract: "Run the sandbox supervisor (started by `up`).", shouldDisplay: false)

    @Option(help: "Directory of the state file.") var stateDirectory = SandboxRun.defaultDirectory
    @Option(help: "API server port on the control address.") var apiPort = 6443

    func run() async throws {
        var logger = Logger(label: "egressgw-sandbox")
        logger.logLevel = .info
        guard let run = try SandboxRun.load(from: stateDirectory) else {
            throw SandboxError.stateFile(path: SandboxRun.path(in: stateDirectory), reason: "no run recorded; use `up`")
        }
        let layout = try run.layout()
        let echo = try EchoServer(in: try NetworkNamespace.named(layout.internetNamespace))
        defer { echo.stop() }
        logger.info("echo server listening on \(echo.endpoint)")
        let fabric = try FabricController(layout: layout, logger: logger)
        try await fabric.update(FabricState())

        let token = (0..<4).map { _ in String(UInt64.random(in: 0..<UInt64.max), radix: 16) }.joined()
        var configuration = KubeEmulator.Configuration()
        configuration.authentication = .bearerTokens([token: .admin])
        let emulator = KubeEmulator(configuration: configuration, logger: logger)
        let kubeconfig = stateDirectory + "/kubeconfig"
        let host = SandboxLayout.controlAddress.description
        let directory = stateDirectory
        let log = logger
        // HTTPS: kubectl sends bearer tokens only over TLS.
        let certificates = try await TLSCertificates.generate(hosts: [host])
        try await emulator.run(host: host, port: apiPort, tls: certificates) { port in
            let url = "https://\(host):\(port)"
            do {
                var recorded = run
                recorded.apiServer = url
                recorded.kubeconfig = kubeconfig
                // Our own pid: `up` starts us through setsid, which may fork.
                recorded.processes["supervisor"] = getpid()
                try recorded.save(to: directory)
                try Kubeconfig.render(server: url, certificateAuthority: certificates.certificateAuthority, token: token).write(toFile: kubeconfig, atomically: true, encoding: .utf8)
            } catch {
                log.error("cannot write \(kubeconfig): \(error)")
            }
            log.info("kube API server emulator listening on \(url)")
        }
        await fabric.stop()
    }
}
