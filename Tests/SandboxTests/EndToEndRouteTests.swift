import EgressGatewayAPI
import Foundation
import Kube
import Testing
@testable import Sandbox

extension EndToEndTests {
    @Test("defaultRoute: staticEgressGateway with the echo server excluded bypasses the tunnel; azureNetworking tunnels only the listed CIDRs")
    func defaultRouteModes() async throws {
        let echo = "\(SandboxLayout.echoAddress)/32"
        // (namespace, defaultRoute, excludeCidrs, whether the echo server is reached through the gateway)
        let cases: [(String, DefaultRoute, [String], Bool)] = [
            ("e2e-gw-excluded", .staticEgressGateway, [echo], false),
            ("e2e-azure-listed", .azureNetworking, [echo], true),
            ("e2e-azure-other", .azureNetworking, ["198.18.0.0/15"], false),
        ]
        try await EndToEnd.withCluster { cluster, client in
            let started = ContinuousClock.now
            for (namespace, route, cidrs, _) in cases {
                try await EndToEnd.namespace(namespace, client)
                try await EndToEnd.gateway("egress", in: namespace, public: true, defaultRoute: route, excludeCidrs: cidrs, client)
                try await EndToEnd.pod("annotated", in: namespace, gateway: "egress", client)
            }
            for (namespace, route, cidrs, tunnelled) in cases {
                let prefix = try await EndToEnd.egressPrefix("egress", in: namespace, client)
                try #require(!prefix.isEmpty, "\(namespace): the SGC never became ready")
                let pods = client.resource(Pod.self, namespace: namespace)
                _ = await EndToEnd.eventually { (try? await pods.get("annotated").spec.nodeName.isEmpty) == false }
                let pod = try await pods.get("annotated")
                let node = cluster.layout.node(named: pod.spec.nodeName)?.primaryIP.description ?? "?"
                let expected: @Sendable (String) -> Bool = { tunnelled ? EndToEnd.prefix(prefix, contains: $0) : $0 == node }
                let seen = await EndToEnd.source(of: "annotated", in: namespace, cluster, until: expected)
                print("e2e: \(namespace) (\(route), excludeCidrs \(cidrs)) left from \(seen) after \(EndToEnd.seconds(since: started)) s")
                #expect(expected(seen), "\(namespace): left from \(seen), expected \(tunnelled ? "an address of \(prefix)" : "its node \(node)")")
            }
        }
    }
}
