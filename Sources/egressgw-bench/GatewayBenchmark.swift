import ArgumentParser
import EgressGatewayAPI
import Foundation
import GatewayDaemon
import Kube
import KubeEmulator
import Logging
import Netlink
import Synchronization
import WireGuard

/// The gateway daemon taking over a node with N PodEndpoints, against an in-process KubeEmulator
/// on loopback, in a fresh node namespace (with a veth as `eth0`) that is removed afterwards:
/// start-up time to every peer and route installed, then the time from a new PodEndpoint's
/// creation to its peer being installed, GatewayStatus writes per second, peak memory.
struct GatewayBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gateway",
        abstract: "Time the gateway daemon's start-up with N PodEndpoints and its per-endpoint latency.")

    @Option(help: "PodEndpoints present before the daemon starts.")
    var peers = 10_000

    @Option(help: "PodEndpoints created one by one once it runs (latency samples).")
    var events = 200

    @Option(help: "Backend: automatic, kernel or userspace.")
    var backend: WireGuardPeersBenchmark.BackendChoice = .automatic

    func validate() throws {
        guard (1...60_000).contains(peers) else { throw ValidationError("--peers must be between 1 and 60000") }
        guard (1...10_000).contains(events) else { throw ValidationError("--events must be between 1 and 10000") }
    }

    func run() async throws {
        guard getuid() == 0 else { throw ValidationError("needs root (creates network namespaces)") }
        let marks = ReconcileMarks()
        LoggingSystem.bootstrap { _ in MarkingLogHandler(marks: marks) }
        let tag = "egw-bench-gw-\(getpid())"
        let node = try NetworkNamespace.create(named: tag)
        let gatewayName = tag + "-gw"
        defer {
            try? NetworkNamespace(path: NetworkNamespace.runDirectory + "/" + gatewayName).delete()
            try? node.delete()
        }
        // A veth stands in for the uplink: this kernel has no dummy links.
        try node.executeChecked("ip", ["link", "add", "eth0", "type", "veth", "peer", "name", "uplink-peer"])
        try node.executeChecked("ip", ["link", "set", "uplink-peer", "up"])
        try node.executeChecked("ip", ["addr", "add", "10.0.0.5/24", "dev", "eth0"])
        try node.executeChecked("ip", ["link", "set", "eth0", "up"])
        try node.executeChecked("ip", ["link", "set", "lo", "up"])

        let emulator = try await KubeEmulator(logger: Logger(label: "bench.emulator")).start()
        defer { Task { await emulator.stop() } }
        let client = try KubeClient(configuration: KubeClientConfiguration(server: emulator.url, proxy: .none))
        let setup = ContinuousClock.now
        let port = UInt16(6000 + getpid() % 1000)
        try await Fixture(client: client).create(peers: peers, port: port)
        print("fixture: \(peers) PodEndpoints in the emulator in \(format(ContinuousClock.now - setup)) (not counted)")

        let implementations = UserspaceImplementations(executable: "wireguard-go")
        try UserspaceImplementations.becomeSubreaper()
        let gatewayNode = try GatewayNode(hostNamespace: node, gatewayNamespaceName: gatewayName,
                                          wireGuard: WireGuardOptions(backend: backend.option))
        let daemon = GatewayDaemon(
            configuration: .init(nodeName: Fixture.nodeName, namespace: Fixture.namespace, secretNamespace: Fixture.namespace,
                                 node: gatewayNode),
            client: client, identity: Fixture.identity, probes: GatewayProbes(), implementations: implementations,
            logger: Logger(label: "bench.daemon"))
        let started = ContinuousClock.now
        let task = Task { await daemon.run() }
        let applied = await marks.waitFor("Gateway configuration reconciled", object: "default/egress")
        let startup = applied - started
        let link = GatewayLayout.wireGuardLinkName(port: port)
        let wireGuard = try WireGuardClient(namespace: daemon.configuration.node.gatewayNamespace, options: gatewayNode.wireGuard)
        let onDevice = try wireGuard.device(named: link).peers.count
        let links = try NetlinkHandle(namespace: daemon.configuration.node.gatewayNamespace)
        let routes = try links.routes(linkIndex: try links.link(named: link).index).count { $0.destination?.prefixLength == 32 }
        print("backend: \(wireGuard.backendKind)")
        print("start-up: daemon start to \(onDevice) peers and \(routes) routes on \(link): \(format(startup))")

        let endpoints = client.resource(PodEndpoint.self, namespace: "default")
        var latencies: [Duration] = []
        let steadyStart = ContinuousClock.now
        let writesBefore = await daemon.status.writes
        for index in 0..<events {
            let name = "new-\(index)"
            let peer = try Fixture.endpoint(name, index: peers + index)
            _ = try await endpoints.create(peer)
            let created = ContinuousClock.now
            let installed = await marks.waitFor("Pod wireguard endpoint reconciled", object: "default/\(name)")
            latencies.append(installed - created)
        }
        let steady = ContinuousClock.now - steadyStart
        try await Task.sleep(for: .seconds(1.5))
        let writes = await daemon.status.writes - writesBefore
        latencies.sort()
        print("PodEndpoint created → peer installed, \(events) events: p50 \(format(latencies[latencies.count / 2])), "
              + "p99 \(format(latencies[min(latencies.count - 1, latencies.count * 99 / 100)])), max \(format(latencies.last!))")
        print("GatewayStatus writes: \(writes) for \(events) events in \(format(steady)) "
              + "(\(String(format: "%.2f", Double(writes) / (steady + .seconds(1.5)).seconds)) per second)")
        print("peak memory (daemon and emulator in one process): VmHWM \(peakMemoryKiB().map { "\($0 / 1024) MiB" } ?? "unknown")")
        task.cancel()
        await task.value
        await implementations.stopAll()
    }

    private func format(_ duration: Duration) -> String {
        let milliseconds = duration.seconds * 1000
        return milliseconds >= 1000 ? String(format: "%.2f s", milliseconds / 1000) : String(format: "%.2f ms", milliseconds)
    }

    private func peakMemoryKiB() -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }) else { return nil }
        return Int(line.split(separator: " ").dropFirst().first ?? "")
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}

/// The cluster objects of the benchmark: one gateway targeting the node and its PodEndpoints.
private struct Fixture {
    static let namespace = "kube-egress-gateway-system"
    static let nodeName = "bench-node"
    static let identity = NodeIdentity(computerName: nodeName, vmScaleSetName: "", resourceGroupName: "",
                                       tagText: "aks-managed-poolName:gwpool")
    let client: KubeClient

    static func endpoint(_ name: String, index: Int) throws -> PodEndpoint {
        // Random 32 bytes are a valid Curve25519 public key; deriving from private keys only costs time.
        let key = try PublicKey(bytes: try PresharedKey.generate().bytes)
        let address = "10.\(64 + index / 65_536).\(index / 256 % 256).\(index % 256)/32"
        return PodEndpoint(metadata: ObjectMeta(name: name, namespace: "default"),
                           spec: PodEndpointSpec(staticGatewayConfiguration: "egress", podIpAddress: address,
                                                 podPublicKey: key.base64))
    }

    func create(peers: Int, port: UInt16) async throws {
        for definition in CustomResourceDefinitions.all {
            _ = try await client.resource(CustomResourceDefinition.self).create(definition)
        }
        for name in [Self.namespace, "default"] {
            _ = try? await client.resource(Kube.Namespace.self).create(Kube.Namespace(name: name))
        }
        _ = try await client.resource(Node.self).create(Node(metadata: ObjectMeta(name: Self.nodeName)))
        let key = try PrivateKey.generate()
        let gateways = client.resource(StaticGatewayConfiguration.self, namespace: "default")
        var gateway = try await gateways.create(StaticGatewayConfiguration(
            metadata: ObjectMeta(name: "egress", namespace: "default"),
            spec: StaticGatewayConfigurationSpec(gatewayNodepoolName: "gwpool")))
        _ = try await client.resource(Secret.self, namespace: Self.namespace).create(Secret(
            metadata: ObjectMeta(name: "sgw-bench", namespace: Self.namespace),
            data: [EgressGateway.SecretKey.privateKey: Data(key.base64.utf8)]))
        let configurations = client.resource(GatewayVMConfiguration.self, namespace: "default")
        var configuration = try await configurations.create(GatewayVMConfiguration(
            metadata: ObjectMeta(name: "egress", namespace: "default"), spec: GatewayVMConfigurationSpec()))
        configuration.status = GatewayVMConfigurationStatus(egressIpPrefix: "20.0.0.0/31", gatewayVMProfiles: [
            GatewayVMProfile(nodeName: Self.nodeName, primaryIP: "10.0.0.5", secondaryIP: "10.0.0.6"),
        ])
        _ = try await configurations.updateStatus(configuration)
        var reference = ObjectReference()
        reference.name = "sgw-bench"
        reference.namespace = Self.namespace
        gateway.status = StaticGatewayConfigurationStatus(egressIpPrefix: "20.0.0.0/31", gatewayServerProfile: GatewayServerProfile(
            ip: "10.0.0.100", port: Int32(port), publicKey: key.publicKey.base64, privateKeySecretRef: reference))
        _ = try await gateways.updateStatus(gateway)
        let endpoints = client.resource(PodEndpoint.self, namespace: "default")
        try await withThrowingTaskGroup(of: Void.self) { group in
            for worker in 0..<8 {
                group.addTask {
                    for index in stride(from: worker, to: peers, by: 8) {
                        _ = try await endpoints.create(try Self.endpoint("pod-\(index)", index: index))
                    }
                }
            }
            try await group.waitForAll()
        }
    }
}

/// When the daemon logged each reconcile message, per object: the benchmark's probe of "done".
private final class ReconcileMarks: Sendable {
    private struct State {
        var seen: [String: ContinuousClock.Instant] = [:]
        var waiting: [String: CheckedContinuation<ContinuousClock.Instant, Never>] = [:]
    }

    private let state = Mutex(State())

    func mark(_ message: String, object: String) {
        let now = ContinuousClock.now
        let key = message + " " + object
        let waiter = state.withLock { state -> CheckedContinuation<ContinuousClock.Instant, Never>? in
            if state.seen[key] == nil { state.seen[key] = now }
            return state.waiting.removeValue(forKey: key)
        }
        waiter?.resume(returning: now)
    }

    func waitFor(_ message: String, object: String) async -> ContinuousClock.Instant {
        let key = message + " " + object
        return await withCheckedContinuation { continuation in
            let seen = state.withLock { state -> ContinuousClock.Instant? in
                if let seen = state.seen[key] { return seen }
                state.waiting[key] = continuation
                return nil
            }
            if let seen { continuation.resume(returning: seen) }
        }
    }
}

/// Records the daemon's "reconciled" lines (all levels, printing nothing).
private struct MarkingLogHandler: LogHandler {
    let marks: ReconcileMarks
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .debug

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(level: Logger.Level, message: Logger.Message, metadata: Logger.Metadata?, source: String, file: String,
             function: String, line: UInt) {
        let text = message.description
        guard text.hasSuffix("reconciled"), let object = metadata?["object"] else { return }
        marks.mark(text, object: object.description)
    }
}
