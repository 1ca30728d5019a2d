import Foundation
import Netlink
import Testing
@testable import Sandbox

/// Real namespaces, links and packets: needs root. Serialized because each test builds a whole sandbox.
@Suite("Topology", .serialized, .enabled(if: SandboxTestSupport.isRoot, SandboxTestSupport.rootMessage))
struct TopologyTests {
    @Test("a node reaches the Internet's echo server, which sees the node's primary IP")
    func nodeReachesEchoServer() throws {
        try SandboxTestSupport.withTopology(workers: 1, gateways: 1) { layout in
            let echo = try EchoServer(in: try NetworkNamespace.named(layout.internetNamespace))
            defer { echo.stop() }
            for node in layout.nodes {
                let reply = try NamespacedSocket.get(in: try NetworkNamespace.named(node.namespace),
                                                     to: SandboxLayout.echoAddress, port: SandboxLayout.echoPort, path: "/")
                #expect(reply.status == 200)
                #expect(reply.body == "\(node.primaryIP)\n")
            }
        }
    }

    @Test("nodes reach each other across the fabric by proxy ARP")
    func nodesReachEachOther() throws {
        try SandboxTestSupport.withTopology(workers: 2, gateways: 1) { layout in
            let from = try NetworkNamespace.named(layout.workers[0].namespace)
            for node in layout.nodes.dropFirst() {
                let output = try from.execute("ping", ["-c", "1", "-W", "2", node.primaryIP.description])
                #expect(output.exitCode == 0, "ping \(node.name): \(output.stdout)\(output.stderr)")
            }
        }
    }

    @Test("create refuses when a namespace with the run's prefix exists, and destroy leaves nothing")
    func leftoversAreRefused() throws {
        let layout = try SandboxTestSupport.layout(workers: 1, gateways: 1)
        let stray = try NetworkNamespace.create(named: layout.fabricNamespace)
        defer { try? stray.delete() }
        #expect(throws: SandboxError.self) { try Topology.create(layout) }
        #expect(Topology.destroy(layout).isEmpty)
        #expect(Topology.leftovers(matching: layout.prefix + "-", hostLinks: false).isEmpty)
    }
}
