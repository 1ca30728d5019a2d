import EgressGatewayAPI
import Foundation
import Kube
import Logging
import Netlink
import Testing
@testable import Sandbox

/// The whole system for one test: its own run (`egst-<id>`, a state directory in /tmp), every role
/// as a process of the `egressgw` built next to the test bundle.
enum EndToEnd {
    static let egressgw: String = {
        let bundle = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: bundle).deletingLastPathComponent().appendingPathComponent("egressgw").path
    }()

    /// Why the tests cannot run here, or nil.
    static let missing: String? = {
        if !SandboxTestSupport.isRoot { return "needs root" }
        if !SandboxTestSupport.hasKubectl { return "needs kubectl to render deploy/default" }
        if !FileManager.default.isExecutableFile(atPath: "/usr/bin/wireguard-go") { return "needs wireguard-go (make deps)" }
        if !FileManager.default.isExecutableFile(atPath: "/usr/lib/cni/bridge") { return "needs containernetworking-plugins (make deps)" }
        if !FileManager.default.isExecutableFile(atPath: egressgw) { return "needs the egressgw binary at \(egressgw) (swift build)" }
        return nil
    }()

    /// Whether the host has no route into the VNet: the control link gives the host 10.224.255.254 and such a
    /// route, and a running sandbox (or another process's test) holds them.
    static var hostVNetIsFree: Bool {
        let routes = (try? NetlinkHandle().routes(family: .ipv4)) ?? []
        return !routes.contains { $0.destination.map { SandboxLayout.vnet.contains($0.address) || $0.contains(SandboxLayout.vnet.address) } ?? false }
    }

    static let logger: Logger = {
        var logger = Logger(label: "e2e")
        logger.logLevel = .warning
        return logger
    }()

    /// Brings a run up, runs `body`, and removes everything, checking that nothing is left.
    static func withCluster(workers: Int = 2, gateways: Int = 2, _ body: (SandboxCluster, KubeClient) async throws -> Void) async throws {
        await ControlLinkTurn.shared.acquire()
        defer { Task { await ControlLinkTurn.shared.release() } }
        // Another process's sandbox may hold the control address for a while; wait for it. One that stays (a
        // user's `make demo KEEP=1`) fails the test rather than letting it pass untested.
        guard await eventually(seconds: 120, { hostVNetIsFree }) else {
            Issue.record("e2e not run: the host keeps a route into \(SandboxLayout.vnet), so a sandbox is up; remove it with `egressgw-sandbox down`")
            return
        }
        let id = String(UInt32.random(in: 0x100000..<0xffffff), radix: 16)
        let layout = try SandboxLayout(runID: id, namePrefix: "egst", workers: workers, gateways: gateways, hostControlLink: true)
        let state = "/tmp/egst-\(id)"
        try Topology.create(layout)
        let options = SandboxOptions(layout: layout, stateDirectory: state, egressgw: egressgw,
                                     deployDirectory: SandboxTestSupport.repositoryRoot + "/deploy/default")
        let started = ContinuousClock.now
        var cluster: SandboxCluster?
        do {
            let running = try await SandboxCluster.start(options, logger: logger)
            cluster = running
            print("e2e \(layout.prefix): up after \(seconds(since: started)) s; logs in \(state)/logs")
            try await body(running, try running.adminClient())
        } catch {
            print("e2e \(layout.prefix) failed; logs were in \(state)/logs: \(error)")
            await tearDown(cluster, layout: layout, state: state)
            throw error
        }
        await tearDown(cluster, layout: layout, state: state)
    }

    private static func tearDown(_ cluster: SandboxCluster?, layout: SandboxLayout, state: String) async {
        if let cluster { #expect(await cluster.shutdown().isEmpty) }
        #expect(Topology.destroy(layout).isEmpty)
        #expect(Topology.leftovers(matching: layout.prefix, hostLinks: true).isEmpty)
        #expect(MountTable.mountPoints(under: state).isEmpty)
        try? FileManager.default.removeItem(atPath: state)
    }

    static func seconds(since start: ContinuousClock.Instant) -> String {
        let elapsed = ContinuousClock.now - start
        return String(format: "%.1f", Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
    }

    /// Polls `condition` every 200 ms until it holds or `seconds` pass (a deadline, never an assertion on time).
    static func eventually(seconds: Int = 180, _ condition: () async throws -> Bool) async rethrows -> Bool {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while ContinuousClock.now < deadline {
            if try await condition() { return true }
            try? await Task.sleep(for: .milliseconds(200))
        }
        return try await condition()
    }

    // MARK: Objects

    static func namespace(_ name: String, _ client: KubeClient) async throws {
        _ = try await client.resource(Namespace.self).create(Namespace(name: name))
    }

    static func gateway(_ name: String, in namespace: String, public isPublic: Bool, defaultRoute: DefaultRoute = .staticEgressGateway,
                        excludeCidrs: [String] = [], _ client: KubeClient) async throws {
        var sgc = StaticGatewayConfiguration()
        sgc.metadata = ObjectMeta(name: name, namespace: namespace)
        sgc.spec.gatewayNodepoolName = SandboxCloud.gatewayPool
        sgc.spec.provisionPublicIps = isPublic
        sgc.spec.defaultRoute = defaultRoute
        sgc.spec.excludeCidrs = excludeCidrs
        _ = try await client.resource(StaticGatewayConfiguration.self, namespace: namespace).create(sgc)
    }

    static func pod(_ name: String, in namespace: String, gateway: String?, _ client: KubeClient) async throws {
        var metadata = ObjectMeta(name: name, namespace: namespace)
        if let gateway { metadata.annotations = [EgressGateway.podAnnotation: gateway] }
        _ = try await client.resource(Pod.self, namespace: namespace).create(Pod(metadata: metadata, spec: PodSpec(
            containers: [Container(name: "curl", unknownFields: ["image": .string("curlimages/curl:8.10.1")])])))
    }

    /// The SGC's `status.egressIpPrefix` once it is Ready.
    static func egressPrefix(_ name: String, in namespace: String, _ client: KubeClient) async throws -> String {
        var prefix = ""
        _ = await eventually {
            let sgc = try? await client.resource(StaticGatewayConfiguration.self, namespace: namespace).get(name)
            prefix = sgc?.status.isProvisioned == true ? sgc!.status.egressIpPrefix : ""
            return !prefix.isEmpty
        }
        return prefix
    }

    /// Whether `address` is one of the egress prefix's: a CIDR (public) or a comma-separated list (private).
    static func prefix(_ prefix: String, contains address: String) -> Bool {
        guard let ip = IPAddress(address) else { return false }
        return prefix.split(separator: ",").contains { item in
            let text = item.trimmingCharacters(in: .whitespaces)
            return IPNetwork(text)?.contains(ip) ?? (IPAddress(text) == ip)
        }
    }

    /// Polls the pod's fetches until the echo server sees an address `expected` accepts; returns the last one seen.
    static func source(of pod: String, in namespace: String, _ cluster: SandboxCluster, seconds: Int = 180,
                       until expected: (String) -> Bool) async -> String {
        var seen = ""
        _ = await eventually(seconds: seconds) {
            seen = (try? await cluster.fetchEcho(fromPod: namespace, pod)) ?? ""
            return expected(seen)
        }
        return seen
    }
}
