import ARMEmulator
import Foundation
import Kube
import Logging
import Netlink

/// The sandbox's Azure: the ARM emulator seeded with the layout's pools, the AAD token endpoint the operator
/// signs in at, and IMDS answering each node as itself; it writes the operator's cloud config and turns every
/// change of the ARM state into the ``FabricState`` the ``FabricController`` applies.
///
/// IMDS is reached from the nodes through the fabric's DNAT of 169.254.169.254:80 to ``Endpoints/imdsPort`` on
/// the host's control address; DNAT keeps the source address, so IMDS sees each node's primary IP and answers
/// with that node's instance document.
///
/// ```swift
/// let azure = try SandboxAzure(layout: layout, directory: stateDirectory, logger: logger)
/// let endpoints = try await azure.start()
/// for await state in azure.fabricStates() { try await fabric.update(state) }
/// ```
public actor SandboxAzure {
    /// Where the emulators listen and what the operator is given.
    public struct Endpoints: Sendable, Hashable {
        /// `http://HOST:PORT` of ARM.
        public var resourceManager: String
        /// `http://HOST:PORT/` of the AAD token endpoint (the authority host).
        public var activeDirectory: String
        /// IMDS's port on the host; the fabric sends 169.254.169.254:80 there.
        public var imdsPort: UInt16
        /// The operator's `--cloud-config` (`azure.json`, mode 0600: it holds the client secret).
        public var cloudConfigFile: String
        /// The custom cloud's endpoints, read through `AZURE_ENVIRONMENT_FILEPATH` (the cloud config names
        /// `AzureStackCloud`).
        public var environmentFile: String

        /// The variables the operator's process needs next to `--cloud-config`.
        public var operatorEnvironment: [String: String] { ["AZURE_ENVIRONMENT_FILEPATH": environmentFile] }
    }

    public nonisolated let cloud: SandboxCloud
    public nonisolated let arm: ARMEmulator
    public nonisolated let imds: IMDSEmulator
    public nonisolated let aad: AADEmulator
    /// The seeded nodes, in layout order (workers, then gateways).
    public nonisolated let seededNodes: [SeededNode]

    private let host: String
    private let directory: String
    private let logger: Logger
    private let clientSecret: String
    private let feed = LatestValueFeed<FabricState>()
    private var servers: [RunningServer] = []
    private var watcher: Task<Void, Never>?
    private var endpoints: Endpoints?
    private var lastIgnored: [String] = []

    /// Seeds the emulator for `layout`. `host` is where the servers will listen (the control address in a run;
    /// loopback in tests without the fabric); `directory` receives the cloud-config files.
    public init(layout: SandboxLayout, directory: String, host: String = SandboxLayout.controlAddress.description,
                logger: Logger) throws(SandboxError) {
        cloud = SandboxCloud(layout: layout)
        self.host = host
        self.directory = directory
        self.logger = logger
        clientSecret = (0..<4).map { _ in String(UInt64.random(in: 0..<UInt64.max), radix: 16) }.joined()
        let authority = TokenAuthority()
        var configuration = ARMEmulator.Configuration()
        configuration.tokenAuthority = authority
        configuration.publicAddressPool = SandboxCloud.publicAddressPool
        var armLogger = logger
        armLogger.logLevel = .notice
        arm = ARMEmulator(configuration: configuration, logger: armLogger)
        imds = IMDSEmulator(authority: authority)
        aad = AADEmulator(authority: authority)
        aad.register(clientID: SandboxCloud.servicePrincipalClientID, tenant: SandboxCloud.tenant, credential: .secret(clientSecret))

        let seeded: [SeededNode]
        do { seeded = try arm.apply(cloud.seed) } catch { throw .step("seed the ARM emulator", cause: error) }
        let expected = layout.nodes.map { ($0.name, $0.primaryIP.description) }
        guard seeded.map(\.name) == expected.map(\.0), seeded.map(\.primaryIP) == expected.map(\.1) else {
            throw .invalidConfiguration(field: "seeded nodes", value: seeded.map { "\($0.name)=\($0.primaryIP)" }.joined(separator: ","),
                                        reason: "differ from the layout's \(expected.map { "\($0.0)=\($0.1)" }.joined(separator: ","))")
        }
        seededNodes = seeded
        let identity = IMDSEmulator.ManagedIdentity(clientID: SandboxCloud.nodeIdentityClientID, tenant: SandboxCloud.tenant)
        for node in seeded {
            imds.register(node.imdsInstance(subscription: SandboxCloud.subscription, location: SandboxCloud.location,
                                            identities: [identity]),
                          forCallerAddress: node.primaryIP)
        }
    }

    /// Starts ARM, AAD and IMDS (port 0 picks a free one), writes the cloud config and begins publishing fabric
    /// states. Call it once; a later call returns the endpoints of the first.
    public func start(armPort: Int = 0, aadPort: Int = 0, imdsPort: Int = 0) async throws(SandboxError) -> Endpoints {
        if let endpoints { return endpoints }
        let host = self.host
        do {
            let armServer = try await arm.start(host: host, port: armPort)
            servers.append(armServer)
            let aadServer = try await aad.start(host: host, port: aadPort)
            servers.append(aadServer)
            let imdsServer = try await imds.start(host: host, port: imdsPort)
            servers.append(imdsServer)
            let started = Endpoints(
                resourceManager: armServer.url, activeDirectory: aadServer.url + "/", imdsPort: UInt16(imdsServer.port),
                cloudConfigFile: directory + "/azure.json", environmentFile: directory + "/azure-environment.json")
            try writeCloudConfig(started)
            endpoints = started
        } catch {
            await stopServers()
            if let error = error as? SandboxError { throw error }
            throw .step("start the Azure emulators on \(host)", cause: error)
        }
        let changes = arm.changes()
        publish()
        watcher = Task { [weak self] in
            for await _ in changes {
                guard let self else { return }
                await self.publish()
            }
        }
        logger.info("Azure emulators listening", metadata: [
            "arm": "\(endpoints!.resourceManager)", "aad": "\(endpoints!.activeDirectory)", "imdsPort": "\(endpoints!.imdsPort)",
        ])
        return endpoints!
    }

    /// The fabric states the ARM state calls for: the current one first, then each change (equal states are not
    /// repeated; a slow reader skips to the newest). Ends when the sandbox's Azure stops.
    public nonisolated func fabricStates() -> AsyncStream<FabricState> { feed.stream() }

    /// The latest derived state (nil before ``start(armPort:aadPort:imdsPort:)``).
    public nonisolated var fabricState: FabricState? { feed.latest }

    /// What egressgw made in the emulated Azure and has not removed (see ``ARMSnapshot/egressgwResources(loadBalancerName:)``).
    public nonisolated func egressgwResources() -> [String] { ARMSnapshot(arm).egressgwResources() }

    /// The Node objects of the layout (``SandboxCloud/nodeObjects``).
    public nonisolated var nodeObjects: [Node] { cloud.nodeObjects }

    /// Stops publishing and the servers; the cloud-config files stay for `down` to remove.
    public func stop() async {
        watcher?.cancel()
        watcher = nil
        feed.finish()
        await stopServers()
    }

    private func stopServers() async {
        for server in servers { await server.stop() }
        servers = []
    }

    private func publish() {
        let derivation = FabricDerivation(ARMSnapshot(arm), layout: cloud.layout, imdsPort: endpoints?.imdsPort)
        if derivation.ignored != lastIgnored {
            for line in derivation.ignored where !lastIgnored.contains(line) {
                logger.warning("the sandbox fabric ignores part of the ARM state", metadata: ["reason": "\(line)"])
            }
            lastIgnored = derivation.ignored
        }
        if feed.publish(derivation.state) {
            logger.info("fabric state derived from ARM", metadata: [
                "secondaryIPs": "\(derivation.state.secondaryIPs.count)", "publicIPs": "\(derivation.state.publicIPs.count)",
                "loadBalancerRules": "\(derivation.state.loadBalancerRules.count)",
            ])
        }
    }

    /// `azure.json` as the operator reads it (a custom cloud by `AzureStackCloud`, a service principal), and the
    /// environment file with the emulators' endpoints.
    private func writeCloudConfig(_ endpoints: Endpoints) throws(SandboxError) {
        let config: [String: Any] = [
            "cloud": "AzureStackCloud",
            "tenantId": SandboxCloud.tenant,
            "subscriptionId": SandboxCloud.subscription,
            "location": SandboxCloud.location,
            "resourceGroup": SandboxCloud.resourceGroup,
            "vnetName": SandboxCloud.vnetName,
            "vnetResourceGroup": SandboxCloud.resourceGroup,
            "subnetName": SandboxCloud.subnetName,
            "gatewayLoadBalancerName": SandboxCloud.loadBalancerName,
            "loadBalancerResourceGroup": SandboxCloud.resourceGroup,
            "useManagedIdentityExtension": false,
            "aadClientId": SandboxCloud.servicePrincipalClientID,
            "aadClientSecret": clientSecret,
        ]
        let environment: [String: Any] = [
            "name": "AzureStackCloud",
            "resourceManagerEndpoint": endpoints.resourceManager,
            "activeDirectoryEndpoint": endpoints.activeDirectory,
            "tokenAudience": "https://management.core.windows.net/",
        ]
        try SandboxError.during("write \(endpoints.cloudConfigFile) and \(endpoints.environmentFile)") {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            for (path, object, mode) in [(endpoints.cloudConfigFile, config, 0o600), (endpoints.environmentFile, environment, 0o644)] {
                let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
                guard FileManager.default.createFile(atPath: path, contents: data, attributes: [.posixPermissions: mode]) else {
                    throw SandboxError.stateFile(path: path, reason: "cannot be written")
                }
                try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
            }
        }
    }
}
