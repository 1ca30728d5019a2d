import EgressGatewayAPI
import Foundation
import Kube
import Netlink
import Testing
@testable import Sandbox

/// One request every 100 ms from a pod to the echo server, each outcome kept with its time.
actor RequestLoad {
    struct Outcome { let at: ContinuousClock.Instant; let ok: Bool }
    private(set) var outcomes: [Outcome] = []
    private let netns: NetworkNamespace
    private let expected: @Sendable (String) -> Bool

    init(netns: NetworkNamespace, expected: @escaping @Sendable (String) -> Bool) {
        self.netns = netns
        self.expected = expected
    }

    func run() async {
        while !Task.isCancelled {
            let source = (try? await SandboxCluster.fetchEcho(from: netns, timeout: 1)) ?? ""
            outcomes.append(Outcome(at: .now, ok: expected(source)))
            try? await Task.sleep(for: .milliseconds(100))
        }
    }

    func failures(since start: ContinuousClock.Instant) -> (failed: Int, total: Int) {
        let window = outcomes.filter { $0.at >= start }
        return (window.filter { !$0.ok }.count, window.count)
    }

    /// Whether the last `count` requests after `start` all succeeded.
    func recovered(since start: ContinuousClock.Instant, count: Int = 10) -> Bool {
        let window = outcomes.filter { $0.at >= start }
        return window.count >= count && window.suffix(count).allSatisfy(\.ok)
    }

    /// When requests succeeded again for good after `start`: the first of the final run of successes.
    func recoveredAt(since start: ContinuousClock.Instant) -> ContinuousClock.Instant? {
        let window = outcomes.filter { $0.at >= start }
        guard let lastFailure = window.lastIndex(where: { !$0.ok }) else { return nil }
        return window.indices.contains(lastFailure + 1) ? window[lastFailure + 1].at : nil
    }
}

extension EndToEndTests {
    @Test("a gateway node failure moves the pod's flow to the other gateway, and rolling restarts of every role keep it working")
    func gatewayFailureAndRollingRestarts() async throws {
        try await EndToEnd.withCluster { cluster, client in
            try await EndToEnd.namespace("e2e-restart", client)
            try await EndToEnd.gateway("egress", in: "e2e-restart", public: true, client)
            try await EndToEnd.pod("client", in: "e2e-restart", gateway: "egress", client)
            let prefix = try await EndToEnd.egressPrefix("egress", in: "e2e-restart", client)
            let first = await EndToEnd.source(of: "client", in: "e2e-restart", cluster) { EndToEnd.prefix(prefix, contains: $0) }
            try #require(EndToEnd.prefix(prefix, contains: first), "the pod never left from \(prefix) (last: \(first))")
            let gateways = cluster.layout.gateways.count
            let allHealthy = { await cluster.healthyBackends().count == gateways }
            #expect(await EndToEnd.eventually(allHealthy))

            let pod = try await client.resource(Pod.self, namespace: "e2e-restart").get("client")
            let netns = try #require(try await cluster.kubelet.networkNamespace(ofPod: pod.metadata.uid))
            let load = RequestLoad(netns: netns) { EndToEnd.prefix(prefix, contains: $0) }
            let sending = Task { await load.run() }
            defer { sending.cancel() }

            // Rolling restart: each role in turn; the next only once the pod's requests succeed again and every
            // gateway passes its probe.
            let roles = ["operator"] + cluster.layout.workers.map { "cni-manager/\($0.name)" } + cluster.layout.gateways.map { "gateway/\($0.name)" }
            for role in roles {
                let start = ContinuousClock.now
                try await cluster.restart(role)
                let back = await EndToEnd.eventually {
                    let requests = await load.recovered(since: start)
                    let probes = await allHealthy()
                    return requests && probes
                }
                let (failed, total) = await load.failures(since: start)
                print("e2e: restart of \(role): \(failed) of \(total) requests failed; settled after \(EndToEnd.seconds(since: start)) s")
                #expect(back, "requests did not recover after restarting \(role)")
                if !role.hasPrefix("gateway/") { #expect(failed == 0, "\(role)'s restart broke \(failed) requests") }
            }

            // Gateway failure: the gateway that carries the pod's flow (the one whose eth0 receives most while the pod
            // sends) loses its daemon and its link; the flow must move to the other one.
            let failing = try await Self.carryingGateway(cluster)
            let cut = ContinuousClock.now
            await cluster.runner.stop("gateway/\(failing.name)", grace: .seconds(30))
            try NetlinkHandle(namespace: NetworkNamespace(path: "\(NetworkNamespace.runDirectory)/\(failing.namespace)")).setLinkDown("eth0")
            let recovered = await EndToEnd.eventually { await load.recovered(since: cut, count: 20) }
            let (failed, total) = await load.failures(since: cut)
            let seconds = await load.recoveredAt(since: cut).map { String(format: "%.1f", Double(($0 - cut).components.seconds) + Double(($0 - cut).components.attoseconds) / 1e18) } ?? "0"
            print("e2e: \(failing.name) failed: requests succeeded again through the other gateway after \(seconds) s (\(failed) of \(total) failed)")
            #expect(recovered, "the pod's requests did not recover after \(failing.name) failed")

            // Up again, with the default route the kernel removed with the link.
            let node = try NetlinkHandle(namespace: NetworkNamespace(path: "\(NetworkNamespace.runDirectory)/\(failing.namespace)"))
            try node.setLinkUp("eth0")
            try node.replaceRoute(Route(destination: nil, gateway: SandboxLayout.fabricAddress, linkIndex: try node.link(named: "eth0").index))
            try await cluster.restart("gateway/\(failing.name)")
            #expect(await EndToEnd.eventually(allHealthy), "\(failing.name) did not pass its probe again")
        }
    }

    /// The gateway node whose `eth0` receives the most packets over two seconds (while the load runs).
    static func carryingGateway(_ cluster: SandboxCluster) async throws -> NodeLayout {
        func received(_ node: NodeLayout) throws -> Int {
            let output = try NetworkNamespace(path: "\(NetworkNamespace.runDirectory)/\(node.namespace)")
                .executeChecked("ip", ["-j", "-s", "link", "show", "dev", "eth0"]).stdout
            let links = try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [[String: Any]]
            let stats = links?.first?["stats64"] as? [String: Any]
            return (stats?["rx"] as? [String: Any])?["packets"] as? Int ?? 0
        }
        let before = try cluster.layout.gateways.map(received)
        try await Task.sleep(for: .seconds(2))
        let after = try cluster.layout.gateways.map(received)
        let deltas = zip(after, before).map { $0 - $1 }
        print("e2e: packets received by the gateways in 2 s: \(deltas)")
        return cluster.layout.gateways[deltas.indices.max { deltas[$0] < deltas[$1] }!]
    }
}
