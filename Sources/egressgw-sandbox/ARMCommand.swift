import ARMEmulator
import ArgumentParser
import Foundation
import Logging

/// `HOST:PORT` of a listener (port 0 picks a free one).
struct ListenAddress: ExpressibleByArgument, Sendable {
    var host: String
    var port: Int

    init?(argument: String) {
        guard let colon = argument.lastIndex(of: ":"), let port = Int(argument[argument.index(after: colon)...]),
              (0...65535).contains(port)
        else { return nil }
        host = String(argument[..<colon]).trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        self.port = port
        if host.isEmpty { return nil }
    }

    func url(port bound: Int) -> String { "http://\(host.contains(":") ? "[\(host)]" : host):\(bound)" }
}

/// `egressgw-sandbox arm`: the ARM emulator standalone, seeded from YAML, optionally with IMDS and AAD sharing
/// its token authority so that ARM can require tokens.
struct ARMCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "arm",
        abstract: "Run the emulated Azure Resource Manager, seeded from a YAML file.")

    @Option(help: "Address to listen on, HOST:PORT (port 0 picks a free one).")
    var listen: ListenAddress = ListenAddress(argument: "127.0.0.1:8443")!

    @Option(help: "YAML seed: subscription, resource groups, VNets, scale-set and VM pools.")
    var seed: String

    @Option(help: "Write the seeded nodes (name, instance ID, NIC primary IP, ...) as JSON to this file.")
    var nodesOut: String?

    @Option(help: "Polls a long-running PUT or DELETE takes to finish (0: synchronous).")
    var operationPolls = 0

    @Option(help: "Items per page of a list.")
    var pageSize = 100

    @Option(help: "Also serve IMDS here (each node answered by its primary IP), sharing ARM's token authority.")
    var imdsListen: ListenAddress?

    @Option(help: "Also serve the AAD token endpoint here.")
    var aadListen: ListenAddress?

    @Option(help: "Register this service principal as CLIENT_ID:SECRET in the seed's tenant (with --aad-listen).")
    var servicePrincipal: String?

    @Option(help: "Managed identity client ID every node's IMDS hands tokens for (with --imds-listen).")
    var identity: String?

    @Option(help: "Tenant of issued tokens.")
    var tenant = "00000000-0000-4000-8000-00000000a11d"

    @Flag(help: "Require bearer tokens from the IMDS or AAD emulators on every ARM request.")
    var requireToken = false

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel = "info"

    func validate() throws {
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("--log-level: unknown level \"\(logLevel)\"") }
        if requireToken, imdsListen == nil, aadListen == nil {
            throw ValidationError("--require-token needs --imds-listen or --aad-listen: nothing else issues tokens")
        }
        if let servicePrincipal, !servicePrincipal.contains(":") {
            throw ValidationError("--service-principal: expected CLIENT_ID:SECRET")
        }
    }

    func run() async throws {
        var logger = Logger(label: "egressgw-sandbox.arm")
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .info
        let seed = try Seed(contentsOfFile: self.seed)
        let authority = TokenAuthority()
        var configuration = ARMEmulator.Configuration()
        configuration.operationPolls = operationPolls
        configuration.pageSize = pageSize
        if requireToken { configuration.tokenAuthority = authority }
        let arm = ARMEmulator(configuration: configuration, logger: logger)
        let nodes = try arm.apply(seed)
        if let nodesOut {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try encoder.encode(nodes).write(to: URL(fileURLWithPath: nodesOut))
        }
        let listen = self.listen
        let log = logger
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                try await arm.run(host: listen.host, port: listen.port) { bound in
                    log.info("ARM emulator listening on \(listen.url(port: bound)) with \(nodes.count) nodes")
                }
            }
            if let imdsListen {
                let imds = IMDSEmulator(authority: authority)
                let identities = identity.map { [IMDSEmulator.ManagedIdentity(clientID: $0, tenant: tenant)] } ?? []
                for node in nodes {
                    imds.register(node.imdsInstance(subscription: seed.subscription, location: seed.location, identities: identities),
                                  forCallerAddress: node.primaryIP)
                }
                group.addTask {
                    try await imds.run(host: imdsListen.host, port: imdsListen.port) { bound in
                        log.info("IMDS emulator listening on \(imdsListen.url(port: bound))")
                    }
                }
            }
            if let aadListen {
                let aad = AADEmulator(authority: authority)
                if let servicePrincipal, let colon = servicePrincipal.firstIndex(of: ":") {
                    aad.register(clientID: String(servicePrincipal[..<colon]), tenant: tenant,
                                 credential: .secret(String(servicePrincipal[servicePrincipal.index(after: colon)...])))
                }
                group.addTask {
                    try await aad.run(host: aadListen.host, port: aadListen.port) { bound in
                        log.info("AAD emulator listening on \(aadListen.url(port: bound))")
                    }
                }
            }
            try await group.waitForAll()
        }
    }
}

/// `egressgw-sandbox imds`: IMDS standalone, answering each seeded node by its NIC's primary IP.
struct IMDSCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "imds",
        abstract: "Run the emulated Instance Metadata Service for the nodes of a YAML seed.")

    @Option(help: "Address to listen on, HOST:PORT (169.254.169.254:80 inside the sandbox).")
    var listen: ListenAddress = ListenAddress(argument: "127.0.0.1:8080")!

    @Option(help: "YAML seed whose nodes IMDS answers for (by their primary IP).")
    var seed: String

    @Option(help: "Answer every caller as this seeded node (by name), for a single-node setup on loopback.")
    var node: String?

    @Option(help: "Managed identity client ID every node gets tokens for.")
    var identity: String?

    @Option(help: "Tenant of issued tokens.")
    var tenant = "00000000-0000-4000-8000-00000000a11d"

    func run() async throws {
        let seed = try Seed(contentsOfFile: self.seed)
        // The seed is applied to a private fabric to learn the addresses ARM would allocate: the same seed gives
        // the same addresses in the ARM process.
        let nodes = try ARMEmulator().apply(seed)
        let imds = IMDSEmulator(authority: TokenAuthority())
        let identities = identity.map { [IMDSEmulator.ManagedIdentity(clientID: $0, tenant: tenant)] } ?? []
        for node in nodes {
            imds.register(node.imdsInstance(subscription: seed.subscription, location: seed.location, identities: identities),
                          forCallerAddress: node.primaryIP)
        }
        if let name = node {
            guard let chosen = nodes.first(where: { $0.name == name }) else {
                throw ValidationError("--node: the seed has no node \"\(name)\" (it has \(nodes.map(\.name).joined(separator: ", ")))")
            }
            let instance = chosen.imdsInstance(subscription: seed.subscription, location: seed.location, identities: identities)
            for address in ["127.0.0.1", "::1"] { imds.register(instance, forCallerAddress: address) }
        }
        let listen = self.listen
        try await imds.run(host: listen.host, port: listen.port) { bound in
            print("IMDS emulator listening on \(listen.url(port: bound)) for \(nodes.count) nodes")
        }
    }
}
