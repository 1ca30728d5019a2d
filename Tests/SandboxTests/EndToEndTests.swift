import EgressGatewayAPI
import Foundation
import Kube
import Netlink
import Testing
@testable import Sandbox

/// The whole system on this machine with real packets: the roles as processes, the emulated Azure
/// driving the fabric, WireGuard (wireguard-go), NAT and the load balancer. No timed assertions:
/// conditions are polled with generous deadlines and the seconds they took are printed.
@Suite("End to end", .serialized, .enabled(if: EndToEnd.missing == nil, Comment(rawValue: EndToEnd.missing ?? "")))
struct EndToEndTests {
    @Test("public and private mode in two namespaces on one pool: annotated pods leave from their SGC's addresses, plain pods from their node; deleting everything leaves nothing in Azure, the nodes or the API")
    func modesAndDeleteEverything() async throws {
        try await EndToEnd.withCluster { cluster, client in
            let started = ContinuousClock.now
            for (namespace, isPublic) in [("e2e-public", true), ("e2e-private", false)] {
                try await EndToEnd.namespace(namespace, client)
                try await EndToEnd.gateway("egress", in: namespace, public: isPublic, client)
                try await EndToEnd.pod("annotated", in: namespace, gateway: "egress", client)
                try await EndToEnd.pod("plain", in: namespace, gateway: nil, client)
            }
            let publicPrefix = try await EndToEnd.egressPrefix("egress", in: "e2e-public", client)
            let privatePrefix = try await EndToEnd.egressPrefix("egress", in: "e2e-private", client)
            print("e2e: SGCs ready after \(EndToEnd.seconds(since: started)) s: public \(publicPrefix), private \(privatePrefix)")
            try #require(!publicPrefix.isEmpty && !privatePrefix.isEmpty)
            #expect(IPNetwork(publicPrefix) != nil)
            #expect(privatePrefix.split(separator: ",").allSatisfy { SandboxLayout.vnet.contains(IPAddress(String($0))!) })

            for (namespace, prefix, other) in [("e2e-public", publicPrefix, privatePrefix), ("e2e-private", privatePrefix, publicPrefix)] {
                let annotated = await EndToEnd.source(of: "annotated", in: namespace, cluster) { EndToEnd.prefix(prefix, contains: $0) }
                print("e2e: \(namespace)/annotated left from \(annotated) after \(EndToEnd.seconds(since: started)) s")
                #expect(EndToEnd.prefix(prefix, contains: annotated), "\(namespace)/annotated left from \(annotated), not from \(prefix)")
                #expect(!EndToEnd.prefix(other, contains: annotated), "cross-talk: \(namespace)/annotated left from the other SGC's \(annotated)")

                let pod = try await client.resource(Pod.self, namespace: namespace).get("plain")
                let node = cluster.layout.node(named: pod.spec.nodeName)?.primaryIP.description ?? "?"
                let plain = await EndToEnd.source(of: "plain", in: namespace, cluster) { $0 == node }
                #expect(plain == node, "\(namespace)/plain left from \(plain), not from its node \(node)")
            }

            // Delete everything: the pods, the SGCs (and with them what the operator made), the namespaces.
            let deleting = ContinuousClock.now
            for namespace in ["e2e-public", "e2e-private"] {
                for pod in ["annotated", "plain"] { _ = try await client.resource(Pod.self, namespace: namespace).delete(pod) }
                _ = try await client.resource(StaticGatewayConfiguration.self, namespace: namespace).delete("egress")
            }
            let sgcsGone = await EndToEnd.eventually {
                (try? await client.resource(StaticGatewayConfiguration.self, namespace: nil).list().items.isEmpty) == true
            }
            #expect(sgcsGone)
            #expect(await EndToEnd.eventually { cluster.azure.egressgwResources().isEmpty },
                    "left in Azure: \(cluster.azure.egressgwResources())")
            for kind in [GatewayLBConfiguration.resource, GatewayVMConfiguration.resource, PodEndpoint.resource] {
                #expect(await EndToEnd.eventually {
                    (try? await client.dynamic(kind).list().items.isEmpty) == true
                }, "\(kind.plural) left in the API")
            }
            let nodesClean = await EndToEnd.eventually(seconds: 90) { await Self.leftoversOnNodes(cluster).isEmpty }
            let onNodes = await Self.leftoversOnNodes(cluster)
            if !onNodes.isEmpty { print("e2e: left on the nodes: \(onNodes)") }
            #expect(nodesClean, "left on the nodes: \(onNodes)")
            print("e2e: everything deleted after \(EndToEnd.seconds(since: deleting)) s")
        }
    }

    /// The egressgw state on the nodes: WireGuard links, the gateway's addresses, NAT chains, pod sandboxes.
    static func leftoversOnNodes(_ cluster: SandboxCluster) async -> [String] {
        var found: [String] = []
        for node in cluster.layout.nodes {
            guard let files = await cluster.runner.fileSystem(of: node.name) else { continue }
            var namespaces = [("", NetworkNamespace(path: "\(NetworkNamespace.runDirectory)/\(node.namespace)"))]
            let gatewayNamespace = files.hostPath("/run/netns/ns-static-egress-gateway")
            if FileManager.default.fileExists(atPath: gatewayNamespace) { namespaces.append((" gw", NetworkNamespace(path: gatewayNamespace))) }
            for (label, namespace) in namespaces {
                let links = (try? NetlinkHandle(namespace: namespace).links()) ?? []
                found += links.filter { $0.name.hasPrefix("wg") }.map { "\(node.name)\(label): link \($0.name)" }
                let nat = (try? namespace.execute("iptables-save", ["-t", "nat"]).stdout) ?? ""
                found += nat.split(separator: "\n").filter { $0.hasPrefix(":EGRESS") }.map { "\(node.name)\(label): chain \($0)" }
                let addresses = (try? namespace.execute("ip", ["-o", "-4", "addr", "show"]).stdout) ?? ""
                found += addresses.split(separator: "\n").filter { $0.contains("eth0:egress") || $0.contains(" host0 ") }
                    .map { "\(node.name)\(label): address \($0)" }
            }
            // The gateway's own namespace stays (the daemon never removes it, as upstream); pods' must not.
            let sandboxes = (try? FileManager.default.contentsOfDirectory(atPath: files.netnsDirectory)) ?? []
            found += sandboxes.filter { $0.hasPrefix(cluster.layout.prefix + "-pod-") }.map { "\(node.name): pod netns \($0)" }
        }
        return found
    }
}
